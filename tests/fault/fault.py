#!/usr/bin/env python3
"""Fault-injection suite: short runs hit by signals, a full disk, a dying emulator or gnuplot,
each other and `ccexp cleanup`; after each, the exit code, meta.json and the CSV files must
tell what happened, and nothing of the run may be left on the machine.

Random points come from $CCX_FAULT_SEED (else the time); the seed is printed first, and
CCX_FAULT_SEED=<seed> replays the same points. Exit 0 when every case passes, 1 otherwise,
77 when it cannot run here (never under CI=true).
"""

import csv
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

CCEXP = os.environ.get("CCEXP", "")
CI = os.environ.get("CI") == "true"

# What the usage text of `ccexp run` documents.
EXIT_OK, EXIT_FAILURE = 0, 1

TUN_CFG = """experiment = {{ name = "fault-tun"; duration_s = {dur}; seed = 3; }};
link = {{ backend = "tun"; rate_mbit = 20.0; delay_ms = 5.0; queue_pkts = 50; }};
flows = ( {{ name = "a"; cc = "reno"; }}, {{ name = "b"; cc = "cubic"; start_s = 0.3; }} );
collect = {{ sample_interval_ms = 20; }};
"""
TC_CFG = """experiment = {{ name = "fault-tc"; duration_s = {dur}; seed = 3; }};
link = {{ backend = "tc"; rate_mbit = 20.0; queue_pkts = 50; }};
flows = ( {{ name = "a"; cc = "reno"; }} );
collect = {{ sample_interval_ms = 20; }};
"""
CONNS = {"tun": 2, "tc": 1}  # connections each config opens

# A gnuplot that hangs on the cwnd chart after writing the start of a PNG, as one killed or
# stopped by a full disk leaves it; the other charts go to the real one.
FAKE_GNUPLOT = """#!/bin/sh
case "$1" in
*cwnd*) printf '\\211PNG\\r\\n\\032\\n' >plots/cwnd.png; exec sleep 30 ;;
esac
exec {real} "$@"
"""

PNG_HEAD = b"\x89PNG\r\n\x1a\n"
PNG_TAIL = b"IEND\xaeB`\x82"


def skip(why):
    if CI:
        print(f"FAIL (CI=true, skips are failures): {why}", file=sys.stderr)
        sys.exit(1)
    print(f"SKIP: {why}", file=sys.stderr)
    sys.exit(77)


# ---------------------------------------------------------------- what is on the machine


def cgroup2_root():
    with open("/proc/mounts") as f:
        for line in f:
            fld = line.split()
            if len(fld) > 2 and fld[2] == "cgroup2":
                return fld[1]
    return None


def proc_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def children_of(pid):
    """Every descendant of pid (by /proc/*/stat ppid)."""
    parent = {}
    for p in proc_pids():
        st = read(f"/proc/{p}/stat")
        if st:
            parent[p] = int(st[st.rfind(")") + 2 :].split()[1])
    out, todo = [], [pid]
    while todo:
        q = todo.pop()
        for c, pp in parent.items():
            if pp == q:
                out.append(c)
                todo.append(c)
    return out


def comm(pid):
    return (read(f"/proc/{pid}/comm") or "").strip()


def bpf_ids(pids):
    """The BPF programs, links and maps these processes hold, from their fdinfo."""
    ids = {"prog": set(), "link": set(), "map": set()}
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if not target.startswith("anon_inode:bpf"):
                continue
            info = read(f"/proc/{pid}/fdinfo/{fd}") or ""
            for key in ("prog", "link", "map"):
                m = re.search(rf"^{key}_id:\s*(\d+)", info, re.M)
                if m:
                    ids[key].add(int(m.group(1)))
    return ids


def bpftool(kind):
    try:
        out = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True,
                             timeout=20).stdout
        return json.loads(out or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return []


def leftovers(prefix, run_id, seen, out):
    """What of the run with this prefix is still on the machine."""
    left = []
    if prefix:
        left += [f"netns {n}" for n in sorted(os.listdir("/run/netns"))
                 if n.startswith(prefix)] if os.path.isdir("/run/netns") else []
        left += [f"link {n}" for n in sorted(os.listdir("/sys/class/net")) if n.startswith(prefix)]
        root = cgroup2_root()
        if root:
            left += [f"cgroup {root}/{n}" for n in sorted(os.listdir(root)) if n.startswith(prefix)]
        if os.path.exists(f"/run/ccexp/{prefix}"):
            left.append(f"state file /run/ccexp/{prefix}")
        if os.path.isdir("/sys/fs/bpf"):
            left += [f"pinned /sys/fs/bpf/{n}" for n in os.listdir("/sys/fs/bpf") if prefix in n]
    if run_id:
        avail = read("/proc/sys/net/ipv4/tcp_available_congestion_control") or ""
        left += [f"struct_ops {w}" for w in avail.split() if w.startswith("ccx") and run_id in w]
    if seen["prog"] or seen["link"] or seen["cgroup_ids"]:
        for p in bpftool("prog"):
            if p.get("id") in seen["prog"]:
                left.append(f"bpf prog {p['id']} {p.get('name', '')}")
        for lk in bpftool("link"):
            if lk.get("id") in seen["link"] or lk.get("cgroup_id") in seen["cgroup_ids"]:
                left.append(f"bpf link {lk['id']} {lk.get('type', '')}")
    me = os.getpid()
    for p in proc_pids():
        if p == me:
            continue
        cmd = (read(f"/proc/{p}/cmdline", "rb") or b"").replace(b"\0", b" ").decode(errors="replace")
        try:
            cwd = os.readlink(f"/proc/{p}/cwd")
        except OSError:
            cwd = ""
        st = read(f"/proc/{p}/stat") or ""
        if " Z " in st[st.rfind(")"):st.rfind(")") + 4]:
            continue  # a zombie holds nothing
        if f" {out} " in f" {cmd} " or cwd == out:
            left.append(f"process {p} {comm(p)}")
    return left


# ---------------------------------------------------------------- what the folder says


def load_meta(out):
    """(meta dict or None, problem or None)."""
    path = os.path.join(out, "meta.json")
    if not os.path.exists(path):
        return None, None
    try:
        with open(path) as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        size = os.path.getsize(path)
        return None, f"meta.json ({size} bytes) does not parse: {e}"


def csv_problems(out, meta):
    """Each CSV file: a header and whole rows of the header's width. A cut last line is allowed
    only where documented: a killed run (listed in cut_files) or a failed one."""
    probs = []
    status = (meta or {}).get("status")
    cut_listed = set((meta or {}).get("cut_files", []))
    for sub in ("", "timeline", "events"):
        d = os.path.join(out, sub)
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            if not n.endswith(".csv"):
                continue
            rel = os.path.join(sub, n)
            data = read(os.path.join(d, n), "rb")
            if data is None:
                continue
            cut = not data.endswith(b"\n")
            if status == "killed" and cut != (rel in cut_listed):
                probs.append(f"{rel}: cut_files {'omits' if cut else 'lists'} it")
            if cut and status not in ("killed", "failed"):
                probs.append(f"{rel}: " + ("empty, not even a header" if not data else
                                           f"last row cut ({len(data)} bytes)") +
                             f" in a run whose meta.json says {status}")
            if cut:
                data = data[: data.rfind(b"\n") + 1]
            if not data:
                continue
            rows = list(csv.reader(io.StringIO(data.decode(errors="replace"))))
            width = len(rows[0])
            bad = [i for i, r in enumerate(rows[1:], 2) if len(r) != width]
            if bad:
                probs.append(f"{rel}: {len(bad)} row(s) not {width} fields wide (line {bad[0]})")
    return probs


def png_whole(path):
    data = read(path, "rb") or b""
    return data.startswith(PNG_HEAD) and data.endswith(PNG_TAIL)


def mentions(obj, word):
    return word in json.dumps(obj)


def charts_failed_listed(meta, chart):
    """Whether meta.json names `chart` under a key that speaks of failure."""

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if "fail" in k.lower() and mentions(v, chart):
                    return True
                if walk(v):
                    return True
        elif isinstance(o, list):
            return any(walk(v) for v in o)
        return False

    return walk(meta or {})


def chart_problems(out, meta, rc, err):
    """A chart that was not drawn whole is reported: meta.json lists it as failed and does not
    say plain complete, the exit code is not 0, and no broken PNG is left unlisted."""
    probs = []
    plots = os.path.join(out, "plots")
    if not os.path.isdir(plots) or not meta:
        return probs
    missing = []
    for gp in sorted(os.listdir(plots)):
        if not gp.endswith(".gp"):
            continue
        chart = gp[:-3]
        png = os.path.join(plots, chart + ".png")
        if not png_whole(png):
            missing.append(chart)
            if os.path.exists(png) and not charts_failed_listed(meta, chart):
                probs.append(f"plots/{chart}.png is broken ({os.path.getsize(png)} bytes) and "
                             "meta.json does not list it as failed")
    if missing:
        if meta.get("status") == "complete":
            probs.append(f"chart(s) {', '.join(missing)} not drawn, status still plain complete")
        if not any(charts_failed_listed(meta, c) for c in missing):
            probs.append(f"meta.json does not list chart(s) {', '.join(missing)} as failed")
        if rc == EXIT_OK:
            probs.append(f"chart(s) {', '.join(missing)} not drawn, exit code 0")
        if re.search(rf"plots/({'|'.join(missing)})\.png\s*$", err, re.M):
            probs.append("ccexp printed the path of a chart it did not draw")
    return probs


# ---------------------------------------------------------------- one run


class Run:
    def __init__(self, suite, name, backend="tun", dur=1.5, out=None, env=None, new_session=False):
        self.suite, self.name, self.backend = suite, name, backend
        self.out = out or os.path.join(suite.tmp, name)
        self.cfg = os.path.join(suite.tmp, f"{name}.cfg")
        with open(self.cfg, "w") as f:
            f.write((TUN_CFG if backend == "tun" else TC_CFG).format(dur=dur))
        self.log = os.path.join(suite.tmp, f"{name}.log")
        self.t0 = time.monotonic()
        with open(self.log, "w") as lf:
            self.p = subprocess.Popen([CCEXP, "run", "-o", self.out, self.cfg], stdout=lf,
                                      stderr=subprocess.STDOUT, env=env,
                                      start_new_session=new_session)
        self.prefix = self.run_id = None
        self.seen = {"prog": set(), "link": set(), "map": set(), "cgroup_ids": set()}
        self.rc = None

    def elapsed(self):
        return time.monotonic() - self.t0

    def observe(self):
        """Notes the run's prefix, cgroup and BPF objects while it is alive."""
        if not self.prefix:
            meta, _ = load_meta(self.out)
            if meta and meta.get("run_id"):
                self.run_id = meta["run_id"]
                self.prefix = "ccx" + self.run_id
        if self.p.poll() is not None:
            return
        ids = bpf_ids([self.p.pid] + children_of(self.p.pid))
        for k in ("prog", "link", "map"):
            self.seen[k] |= ids[k]
        root = cgroup2_root()
        if self.prefix and root:
            try:
                self.seen["cgroup_ids"].add(os.stat(os.path.join(root, self.prefix)).st_ino)
            except OSError:
                pass

    def live(self):
        """Namespaces built and the flows' first events written."""
        self.observe()
        state = os.path.join(self.out, "events", "state.csv")
        return (self.prefix is not None and os.path.exists(f"/run/netns/{self.prefix}-snd")
                and os.path.exists(state) and os.path.getsize(state) > 0)

    def wait_until(self, cond, timeout=20.0, step=0.02):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.observe()
            if cond():
                return True
            if self.p.poll() is not None:
                return cond()
            time.sleep(step)
        return False

    def flows_over(self):
        """The flows ran and their processes (children named ccexp) are gone."""
        state = os.path.join(self.out, "events", "state.csv")
        started = os.path.exists(state) and os.path.getsize(state) > 0
        return started and not any(comm(c) == "ccexp" for c in children_of(self.p.pid))

    def child(self, name):
        for c in children_of(self.p.pid):
            if comm(c) == name:
                return c
        return None

    def wait(self, timeout=90):
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.suite.hangs.append(self.name)
            self.p.kill()
            self.rc = self.p.wait()
        return self.rc

    def output(self):
        return read(self.log) or ""

    def meta_status(self):
        meta, _ = load_meta(self.out)
        return (meta or {}).get("status")


# ---------------------------------------------------------------- the suite


class Suite:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.tmp = tempfile.mkdtemp(prefix="ccx-fault-")
        self.mnt = None
        self.cases = 0
        self.failed = []
        self.signals = {}
        self.leftovers = 0
        self.hangs = []
        self.cleanup_log = []

    def sent(self, kind):
        self.signals[kind] = self.signals.get(kind, 0) + 1

    def cleanup(self):
        r = subprocess.run([CCEXP, "cleanup"], capture_output=True, text=True, timeout=120)
        self.cleanup_log.append(r.stdout + r.stderr)
        return r

    def verdict(self, case, run, probs, what, extra_runs=()):
        """Common checks, then one line for the case."""
        self.cases += 1
        for r in (run,) + tuple(extra_runs):
            meta, bad = load_meta(r.out)
            if bad:
                probs.append(f"{r.name}: {bad}")
            probs += [f"{r.name}: {p}" for p in csv_problems(r.out, meta)]
            if r.prefix is None and meta and meta.get("run_id"):
                r.prefix, r.run_id = "ccx" + meta["run_id"], meta["run_id"]
            # The kernel frees a dead process's BPF programs and namespaces a little later.
            for _ in range(30):
                left = leftovers(r.prefix, r.run_id, r.seen, r.out)
                if not left:
                    break
                time.sleep(0.1)
            if left:
                self.leftovers += len(left)
                probs.append(f"{r.name}: left behind: {', '.join(left)}")
        label = f"{case:<34} {what}"
        if probs:
            self.failed.append(case)
            print(f"FAIL {label}")
            for p in probs:
                print(f"       - {p}")
            for r in (run,) + tuple(extra_runs):
                tail = r.output().strip().splitlines()[-6:]
                print("\n".join(f"       | {r.name}: {ln}" for ln in tail))
        else:
            print(f"ok   {label}")
        sys.stdout.flush()

    # -- signals at random points

    def case_signal(self, i, sig, backend):
        name = f"{sig.name.lower()}-{backend}-{i}"
        at = self.rng.uniform(0.05, 2.4)
        run = Run(self, name, backend)
        run.wait_until(lambda: run.elapsed() >= at, timeout=at + 5)
        status_before = run.meta_status()
        flows_over = run.flows_over()
        alive = run.p.poll() is None
        if alive:
            run.p.send_signal(sig)
            self.sent(sig.name[3:])
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        probs = []
        if not alive:
            # The run ended before the point came: a complete run.
            if rc != EXIT_OK or status != "complete":
                probs.append(f"run ended by itself with exit {rc}, status {status}")
        elif status_before not in (None, "running") or flows_over:
            # The signal came after the flows had ended: the measurement was whole, and both
            # complete and interrupted are the truth, if the exit code agrees.
            if (rc == EXIT_OK) != (status == "complete") or status not in (
                    "complete", "interrupted"):
                probs.append(f"exit {rc} with status {status}")
        elif rc == -sig and meta is None:
            pass  # before ccexp set its handlers: nothing was made
        elif status != "interrupted" or rc != EXIT_FAILURE:
            probs.append(f"want status interrupted, exit {EXIT_FAILURE}; got {status}, exit {rc}"
                         + (f" (error: {meta.get('error')})" if meta and meta.get("error") else ""))
        what = f"{sig.name} at {at:.2f} s: exit {rc}, status {status}"
        self.verdict(name, run, probs, what if alive else f"ended before {at:.2f} s: {status}")

    def case_kill(self, i, backend, reap):
        name = f"kill-{backend}-{i}" + ("" if reap else "-unreaped")
        at = self.rng.uniform(0.05, 2.4)
        run = Run(self, name, backend)
        run.wait_until(lambda: run.elapsed() >= at, timeout=at + 5)
        status_before = run.meta_status()
        alive = run.p.poll() is None
        if alive:
            run.p.send_signal(signal.SIGKILL)
            self.sent("KILL")
        # An unreaped ccexp is a zombie while cleanup runs, as under a parent that is busy.
        if reap:
            run.wait()
        else:
            # Not through Popen.poll(), which would reap it.
            for _ in range(500):
                if " Z " in (read(f"/proc/{run.p.pid}/stat") or " Z "):
                    break
                time.sleep(0.01)
        cl = self.cleanup()
        if not reap:
            run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        probs = []
        if cl.returncode != 0:
            probs.append(f"ccexp cleanup exit {cl.returncode}: {cl.stderr.strip()}")
        if not alive:
            if status != "complete":
                probs.append(f"run ended by itself with status {status}")
        elif status_before in (None, "running"):
            if meta is not None and status != "killed":
                probs.append(f"after SIGKILL + cleanup meta.json says {status}, want killed")
        elif status != status_before:
            probs.append(f"meta.json said {status_before} before the kill, {status} after")
        self.verdict(name, run, probs, f"KILL at {at:.2f} s + cleanup: status {status}")

    def case_sigint_at_start(self):
        """SIGINT the moment the first flow process exists: an interrupted start is an
        interruption, not a failure."""
        run = Run(self, "sigint-at-flow-start", "tun")
        probs = []
        if run.wait_until(lambda: run.child("ccexp") is not None, timeout=20, step=0.001):
            # The receivers come first, t0 100 ms later, then the senders connect.
            time.sleep(self.rng.uniform(0, 0.2))
            run.p.send_signal(signal.SIGINT)
            self.sent("INT")
        else:
            probs.append("no flow process was seen")
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        if status != "interrupted" or rc != EXIT_FAILURE:
            probs.append(f"want status interrupted, exit {EXIT_FAILURE}; got {status}, exit {rc}"
                         + (f" (error: {meta.get('error')})" if meta and meta.get("error") else ""))
        self.verdict(run.name, run, probs, f"exit {rc}, status {status}")

    def case_stuck_emulator(self):
        """An emulator that does not stop when asked is killed after a grace time: that is
        reported, not silent."""
        for attempt in range(3):
            self.stuck_tries = getattr(self, "stuck_tries", 0) + 1
            run = Run(self, f"stuck-emulator-{self.stuck_tries}", "tun")
            probs = []
            pid = None
            run.wait_until(run.live, timeout=20)
            # A light loop: the emulator is asked to stop soon after the flows end.
            while run.p.poll() is None and not run.flows_over():
                time.sleep(0.002)
            pid = run.child("ccexp-link")
            if pid:
                break
            run.wait()
            print(f"note {run.name}: the emulator ended before it could be stopped; again")
        if pid:
            os.kill(pid, signal.SIGSTOP)
            self.sent("STOP ccexp-link")
            time.sleep(0.05)
            st = read(f"/proc/{pid}/stat") or ""
            stopped = st[st.rfind(")") + 2:st.rfind(")") + 3]
            if stopped != "T":
                print(f"note {run.name}: the emulator ended as it was stopped: not exercised")
                pid = None
        else:
            print(f"note {run.name}: the emulator was not caught after the flows: not exercised")
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        said = [ln for ln in run.output().replace(run.out, "DIR").splitlines()
                if "emulator" in ln or ("link" in ln.lower() and "kill" in ln.lower())]
        if pid and not said:
            probs.append("the emulator was stopped and killed without a word on stderr")
        if pid and status == "complete" and not mentions(meta, "emulator"):
            probs.append("meta.json says complete and nothing of the killed emulator")
        self.verdict(run.name, run, probs, f"exit {rc}, status {status}")

    # -- four at once

    def case_four(self):
        runs = [Run(self, f"four-{i}", b) for i, b in enumerate(("tun", "tc", "tun", "tc"))]
        for r in runs:
            r.wait_until(r.live, timeout=20)
        probs = []
        for r in runs:
            rc = r.wait()
            meta, _ = load_meta(r.out)
            if rc != EXIT_OK or (meta or {}).get("status") != "complete":
                probs.append(f"{r.name}: exit {rc}, status {(meta or {}).get('status')}")
                continue
            if meta.get("events_unmatched"):
                probs.append(f"{r.name}: {meta['events_unmatched']} event(s) of no flow of its own")
            rows = list(csv.DictReader(open(os.path.join(r.out, "flows.csv"))))
            if len(rows) != CONNS[r.backend]:
                probs.append(f"{r.name}: {len(rows)} connection(s), want {CONNS[r.backend]}")
            for row in rows:
                if row["status"] != "ok" or int(row["bytes"] or 0) <= 0:
                    probs.append(f"{r.name}: flow {row['flow']}: status {row['status']}, "
                                 f"{row['bytes']} bytes")
        prefixes = {r.prefix for r in runs}
        if len(prefixes) != 4:
            probs.append(f"prefixes not distinct: {sorted(map(str, prefixes))}")
        self.verdict("four-at-once", runs[0], probs, "2 tun + 2 tc runs together",
                     extra_runs=runs[1:])

    # -- cleanup beside a live run

    def case_cleanup_live(self, backend):
        name = f"cleanup-beside-{backend}"
        run = Run(self, name, backend, dur=2.0)
        probs = []
        if not run.wait_until(run.live, timeout=20):
            probs.append("the run never got going")
        time.sleep(self.rng.uniform(0.1, 0.8))
        outs = []
        for when in ("flows", "drawing"):
            if when == "drawing":
                run.wait_until(lambda: os.path.isdir(os.path.join(run.out, "plots")), timeout=20,
                               step=0.005)
            if run.p.poll() is not None:
                break
            cl = self.cleanup()
            outs.append(cl.stdout + cl.stderr)
            if run.prefix and run.prefix in cl.stdout + cl.stderr and "spared" not in cl.stdout:
                probs.append(f"cleanup ({when}) named the live run: {cl.stdout.strip()}")
            if run.prefix and when == "flows" and not os.path.exists(f"/run/netns/{run.prefix}-snd"):
                probs.append("cleanup removed the live run's namespace")
            for ln in (cl.stdout + cl.stderr).splitlines():
                if run.prefix and run.prefix in ln or run.out in ln:
                    probs.append(f"cleanup ({when}) touched the live run: {ln}")
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        if rc != EXIT_OK or status != "complete":
            probs.append(f"live run: exit {rc}, status {status}")
        rows = list(csv.DictReader(open(os.path.join(run.out, "flows.csv")))) \
            if os.path.exists(os.path.join(run.out, "flows.csv")) else []
        if len(rows) != CONNS[backend] or any(r["status"] != "ok" for r in rows):
            probs.append(f"live run's flows.csv: {[(r['flow'], r['status']) for r in rows]}")
        for chart in ("throughput", "cwnd", "srtt"):
            if not png_whole(os.path.join(run.out, "plots", chart + ".png")):
                probs.append(f"live run's plots/{chart}.png is not a whole PNG")
        self.verdict(name, run, probs, f"{len(outs)} cleanup(s) during the run: exit {rc}, "
                     f"status {status}")

    # -- a full disk

    def mount_tmpfs(self):
        self.mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(self.mnt)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "ccx-fault", self.mnt], check=True)

    def fill(self, keep=0):
        """Fills the tmpfs (leaving about `keep` bytes)."""
        path = os.path.join(self.mnt, f"filler-{time.monotonic_ns()}")
        st = os.statvfs(self.mnt)
        n = max(0, st.f_bavail * st.f_frsize - keep)
        try:
            with open(path, "wb") as f:
                while n > 0:
                    n -= f.write(b"\0" * min(n, 1 << 16))
                if not keep:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
        except OSError:
            pass

    def unfill(self):
        for n in os.listdir(self.mnt):
            p = os.path.join(self.mnt, n)
            if n.startswith("filler-"):
                os.unlink(p)
            else:
                shutil.rmtree(p, ignore_errors=True)

    def disk_full_checks(self, run, rc, probs, need_enospc=True):
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        out = run.output()
        if need_enospc and "No space left on device" not in out:
            probs.append("no 'No space left on device' on stderr")
        if "Input/output error" in out:
            probs.append("stderr says 'Input/output error' where the cause is ENOSPC: " +
                         next(ln for ln in out.splitlines() if "Input/output error" in ln))
        return meta, status

    def case_full_before(self):
        self.unfill()
        self.fill()
        run = Run(self, "disk-full-before", "tun", out=os.path.join(self.mnt, "out"))
        rc = run.wait()
        probs = []
        meta, status = self.disk_full_checks(run, rc, probs)
        if rc != EXIT_FAILURE:
            probs.append(f"exit {rc}, want {EXIT_FAILURE}")
        if status == "complete":
            probs.append("status complete on a full disk")
        self.verdict("disk-full-before", run, probs, f"exit {rc}, status {status}")
        self.unfill()

    def case_full_mid(self, i):
        self.unfill()
        at = self.rng.uniform(0.4, 1.6)
        run = Run(self, f"disk-full-mid-{i}", "tun", out=os.path.join(self.mnt, f"mid{i}"))
        run.wait_until(lambda: run.elapsed() >= at, timeout=at + 5)
        alive = run.p.poll() is None
        self.fill()
        self.sent("disk full")
        rc = run.wait()
        probs = []
        meta, status = self.disk_full_checks(run, rc, probs, need_enospc=alive)
        if alive:
            if rc != EXIT_FAILURE:
                probs.append(f"exit {rc}, want {EXIT_FAILURE}")
            if status == "complete":
                probs.append("status complete although the disk filled during the run")
            elif status == "running" and "meta.json" not in run.output():
                probs.append("meta.json still says running and ccexp did not say it could not "
                             "update it")
            elif status == "failed" and not (meta or {}).get("error"):
                probs.append("status failed without an error")
        self.verdict(f"disk-full-mid-{i}", run, probs,
                     f"full at {at:.2f} s: exit {rc}, status {status}")
        self.unfill()

    def case_full_drawing(self):
        self.unfill()
        run = Run(self, "disk-full-drawing", "tun", out=os.path.join(self.mnt, "draw"))
        caught = run.wait_until(lambda: os.path.exists(os.path.join(run.out, "plots", "cwnd.gp")),
                                timeout=20, step=0.002)
        if caught:
            self.fill()
            self.sent("disk full")
        rc = run.wait()
        probs = []
        meta, status = self.disk_full_checks(run, rc, probs, need_enospc=False)
        if not caught:
            probs.append("the drawing was not caught")
        probs += chart_problems(run.out, meta, rc, run.output())
        self.verdict("disk-full-drawing", run, probs, f"exit {rc}, status {status}")
        self.unfill()

    # -- the emulator, the sampler, gnuplot

    def case_kill_helper(self, backend, helper):
        name = f"kill-{helper}"
        run = Run(self, name, backend, dur=2.0)
        probs = []
        pid = None
        if run.wait_until(run.live, timeout=20):
            time.sleep(self.rng.uniform(0.2, 0.8))
            pid = run.child(helper)
        if pid:
            os.kill(pid, signal.SIGKILL)
            self.sent(f"KILL {helper}")
        else:
            probs.append(f"no {helper} child found")
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        err = (meta or {}).get("error") or ""
        if helper == "ccexp-link":
            if rc != EXIT_FAILURE or status != "failed" or "emulator" not in err:
                probs.append(f"want exit 1, status failed, an error naming the emulator; got "
                             f"exit {rc}, status {status}, error {err!r}")
        else:
            totals = ((meta or {}).get("link", {}).get("up") or {}).get("totals") or {}
            if (rc == EXIT_OK) != (status == "complete"):
                probs.append(f"exit {rc} with status {status}")
            if status == "complete" and totals.get("complete") is not False:
                probs.append("the sampler was killed, meta.json link.up.totals.complete is "
                             f"{totals.get('complete')}")
        self.verdict(name, run, probs, f"exit {rc}, status {status}")

    def case_kill_gnuplot(self, how):
        name = f"gnuplot-{how}"
        env = None
        if how != "real":
            fake = os.path.join(self.tmp, "fakebin")
            os.makedirs(fake, exist_ok=True)
            with open(os.path.join(fake, "gnuplot"), "w") as f:
                f.write(FAKE_GNUPLOT.format(real=shutil.which("gnuplot") or "/usr/bin/gnuplot"))
            os.chmod(os.path.join(fake, "gnuplot"), 0o755)
            env = dict(os.environ, PATH=fake + ":" + os.environ.get("PATH", ""))
        run = Run(self, name, "tun", env=env, new_session=(how == "ctrl-c"))
        probs = []

        def gnuplot_child():
            # The fake is a script named gnuplot: what hangs is its sleep.
            for c in children_of(run.p.pid):
                # comm is the name of the file run: gnuplot-nox behind Debian's alternatives.
                name = comm(c)
                if (name.startswith("gnuplot") if how == "real" else name == "sleep"):
                    return c
            return None

        # A light loop: gnuplot draws a chart in a few tenths of a second.
        run.wait_until(run.live, timeout=20)
        pid, end = None, time.monotonic() + 30
        while not pid and run.p.poll() is None and time.monotonic() < end:
            pid = gnuplot_child()
            time.sleep(0.001)
        if pid and how == "ctrl-c":
            os.killpg(run.p.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
            self.sent("INT to the group")
        elif pid:
            try:
                os.kill(pid, signal.SIGKILL)
                self.sent("KILL gnuplot")
            except ProcessLookupError:
                pid = None
        if not pid:
            probs.append("gnuplot was not caught running")
        rc = run.wait()
        meta, _ = load_meta(run.out)
        status = (meta or {}).get("status")
        probs += chart_problems(run.out, meta, rc, run.output())
        if pid and not probs and all(png_whole(os.path.join(run.out, "plots", c + ".png"))
                                     for c in ("throughput", "cwnd", "srtt")):
            probs.append("every chart is whole although gnuplot was killed (caught too late?)")
        self.verdict(name, run, probs, f"exit {rc}, status {status}")


def main():
    if os.geteuid() != 0:
        skip("needs root: network namespaces, cgroups, BPF and a tmpfs mount")
    if not CCEXP or not os.access(CCEXP, os.X_OK):
        skip("CCEXP is not set to the ccexp binary (run through meson test)")
    for tool in ("ip", "bpftool", "gnuplot", "mount"):
        if not shutil.which(tool):
            skip(f"{tool} is not installed")
    seed = int(os.environ.get("CCX_FAULT_SEED") or time.time_ns() % 1000000007)
    print(f"seed {seed} (replay: CCX_FAULT_SEED={seed})")
    sys.stdout.flush()
    s = Suite(seed)
    t_start = time.monotonic()
    try:
        for i in range(6):
            s.case_signal(i, signal.SIGINT, ("tun", "tc")[i % 2])
        for i in range(6):
            s.case_signal(i, signal.SIGTERM, ("tun", "tc")[i % 2])
        for i in range(8):
            s.case_kill(i, ("tun", "tc")[i % 2], reap=(i < 6))
        s.case_sigint_at_start()
        s.case_four()
        s.case_cleanup_live("tun")
        s.case_cleanup_live("tc")
        s.case_kill_helper("tun", "ccexp-link")
        s.case_kill_helper("tc", "ccexp-qstats")
        s.case_stuck_emulator()
        s.case_kill_gnuplot("real")
        s.case_kill_gnuplot("fake")
        s.case_kill_gnuplot("ctrl-c")
        s.mount_tmpfs()
        s.case_full_before()
        for i in range(2):
            s.case_full_mid(i)
        s.case_full_drawing()
    finally:
        if s.mnt:
            subprocess.run(["umount", s.mnt])
    secs = time.monotonic() - t_start
    sigs = ", ".join(f"{k} {v}" for k, v in sorted(s.signals.items()))
    print(f"\n{s.cases} cases, {s.cases - len(s.failed)} passed, {len(s.failed)} failed "
          f"in {secs:.0f} s; faults sent: {sigs}; leftovers found: {s.leftovers}; "
          f"hung runs: {len(s.hangs)}")
    if s.failed:
        print("failed: " + " ".join(s.failed))
        print(f"files kept in {s.tmp}")
    else:
        shutil.rmtree(s.tmp, ignore_errors=True)
    print(f"{s.cases - len(s.failed)} passed, {len(s.failed)} failed")
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
