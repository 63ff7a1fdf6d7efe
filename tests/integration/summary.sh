#!/bin/bash
# Integration test: summary.json and summary.csv of a real run, each number recomputed here
# from the raw files (flows.csv, cwnd.csv, ca_state.csv, rto.csv, link.csv) and the config's
# link rate; `ccexp plot` writes the same summary again; a bad summary setting is refused.
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
need_root
command -v python3 >/dev/null || skip "python3 is not installed (reads the results)"

tmp=$(mktemp -d /tmp/ccx-test-summary-XXXXXX)
export PYTHONPATH=$here

# A 20 Mbit/s, 20 ms RTT bottleneck: cubic for the whole run, reno joining at 2 s.
cat >"$tmp/summary.cfg" <<'CFG'
experiment = { name = "summary"; duration_s = 6.0; seed = 1; };
link = { backend = "tun"; rate_mbit = 20.0; delay_ms = 10.0; queue_pkts = 50; };
flows = (
  { name = "a"; cc = "cubic"; count = 2; },
  { name = "b"; cc = "reno"; start_s = 2.0; }
);
collect = { sample_interval_ms = 10; };
summary = { warmup_s = 1.5; };
CFG
run_ok "$tmp/out" "$tmp/summary.cfg" "summary run"

python3 - "$tmp/out" <<'PY'
import csv, json, math, os, sys
from ccx_results import check, rows, done

out = sys.argv[1]
S = json.load(open(os.path.join(out, "summary.json")))
srows = rows(out, "summary.csv")
flows = rows(out, "flows.csv")
cw = rows(out, "timeline/cwnd.csv")
WARMUP, RATE, BASE = 1.5, 20.0, 20.0

def near(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol

# Every summary.csv row is the summary.json value.
def json_value(r):
    if r["scope"] == "run":
        return S["run"].get(r["metric"])
    if r["scope"] == "link":
        return S["link"][r["flow"]].get(r["metric"])
    if r["scope"] == "flow":
        return next(f for f in S["flows"] if f["flow"] == r["flow"]).get(r["metric"])
    return next(c for c in S["connections"]
                if c["flow"] == r["flow"] and str(c["conn"]) == r["conn"]).get(r["metric"])
mismatch = [r for r in srows
            if not ((r["value"] == "" and json_value(r) is None) or
                    (r["value"] != "" and near(float(r["value"]), json_value(r), 1e-6 * max(1, abs(json_value(r) or 0)))))]
check("summary.csv holds summary.json's values, row for row", not mismatch and len(srows) > 60,
      mismatch[:3])
check("summary.json records the warm-up and the base RTT from the link",
      S["run"]["warmup_s"] == WARMUP and S["base_rtt"] == "link_delay" and S["base_rtt_ms"] == BASE)

def samples(flow, conn):
    return [r for r in cw if r["flow"] == flow and r["conn"] == conn]

def acked_at(sm, t):
    ts = [float(r["t_s"]) for r in sm]; v = [int(r["bytes_acked"]) for r in sm]
    if t <= ts[0]: return v[0]
    if t >= ts[-1]: return v[-1]
    for i in range(1, len(ts)):
        if ts[i] >= t:
            return v[i - 1] + (v[i] - v[i - 1]) * (t - ts[i - 1]) / (ts[i] - ts[i - 1]) if ts[i] > ts[i - 1] else v[i]

def wpct(pairs, p):
    pairs = sorted(pairs); total = sum(w for _, w in pairs)
    if total <= 0:
        pairs = [(v, 1.0) for v, _ in pairs]; total = len(pairs)
    cum = 0
    for v, w in pairs:
        cum += w
        if w > 0 and cum >= p / 100 * total - 1e-12 * total:
            return v
    return pairs[-1][0]

def delay_pairs(sms):
    out = []
    for sm in sms:
        for i, r in enumerate(sm):
            w = float(sm[i + 1]["t_s"]) - float(r["t_s"]) if i + 1 < len(sm) else 0
            if int(r["srtt_us"]) > 0:
                out.append((int(r["srtt_us"]) / 1000, w))
    return out

ca_rows = rows(out, "events/ca_state.csv")
rto_rows = rows(out, "events/rto.csv")
for f in flows:
    name = f"{f['flow']}#{f['conn']}"
    c = next(x for x in S["connections"] if x["flow"] == f["flow"] and str(x["conn"]) == f["conn"])
    start, end, nbytes = float(f["start_s"]), float(f["end_s"]), int(f["bytes"])
    check(f"{name}: goodput_mbit is flows.csv bytes over its life",
          near(c["goodput_mbit"], nbytes * 8 / (end - start) / 1e6, 0.001), c["goodput_mbit"])
    sm = samples(f["flow"], f["conn"])
    t1 = float(sm[-1]["t_s"])
    steady = (acked_at(sm, t1) - acked_at(sm, start + WARMUP)) * 8 / (t1 - start - WARMUP) / 1e6
    check(f"{name}: goodput_steady_mbit from cwnd.csv bytes_acked after the warm-up",
          near(c["goodput_steady_mbit"], steady, 1e-6), (c["goodput_steady_mbit"], steady))
    pairs = delay_pairs([sm])
    for p in (50, 95, 99):
        check(f"{name}: srtt_p{p}_ms time-weighted from cwnd.csv",
              near(c[f"srtt_p{p}_ms"], wpct(pairs, p), 1e-9), (c[f"srtt_p{p}_ms"], wpct(pairs, p)))
    check(f"{name}: qdelay_p95_ms is srtt less the link's 2 x 10 ms",
          near(c["qdelay_p95_ms"], wpct(pairs, 95) - BASE, 1e-9) and c["qdelay_p50_ms"] >= -1,
          c["qdelay_p95_ms"])
    retrans, delivered = int(f["retrans"]), int(sm[-1]["delivered_pkts"])
    check(f"{name}: retrans_pkts is flows.csv's (TCP_INFO total_retrans)", c["retrans_pkts"] == retrans)
    check(f"{name}: retrans_rate_pct over delivered + retransmitted",
          near(c["retrans_rate_pct"], 100 * retrans / (retrans + delivered), 1e-9))
    nrto = sum(1 for r in rto_rows if r["flow"] == f["flow"] and r["conn"] == f["conn"] and r["side"] == "sender")
    check(f"{name}: rtos counts rto.csv's sender rows", c["rtos"] == nrto, (c["rtos"], nrto))
    # Congestion states: Open from the first sample, then each sender row, until end_s.
    acc = {k: 0.0 for k in ("Open", "Disorder", "CWR", "Recovery", "Loss")}
    cur, since = "Open", float(sm[0]["t_s"])
    for r in ca_rows:
        if r["flow"] == f["flow"] and r["conn"] == f["conn"] and r["side"] == "sender":
            t = float(r["t_s"])
            if t > since:
                acc[cur] += t - since; since = t
            cur = r["new_ca_state"]
    acc[cur] += end - since
    for k, v in acc.items():
        check(f"{name}: ca_{k.lower()}_s from ca_state.csv", near(c[f"ca_{k.lower()}_s"], v, 1e-6),
              (c[f"ca_{k.lower()}_s"], v))
    check(f"{name}: the states add up to its life from ESTABLISHED",
          near(sum(c[f"ca_{k.lower()}_s"] for k in acc), end - float(sm[0]["t_s"]), 1e-6))

# Flows: bytes over the flow's life, and Jain's index over flows and connections.
good = {}
for fl in ("a", "b"):
    fr = [f for f in flows if f["flow"] == fl]
    s0 = min(float(f["start_s"]) for f in fr); s1 = max(float(f["end_s"]) for f in fr)
    good[fl] = sum(int(f["bytes"]) for f in fr) * 8 / (s1 - s0) / 1e6
    F = next(x for x in S["flows"] if x["flow"] == fl)
    check(f"flow {fl}: goodput_mbit from flows.csv", near(F["goodput_mbit"], good[fl], 1e-6))
    check(f"flow {fl}: retrans_pkts is the sum", F["retrans_pkts"] == sum(int(f["retrans"]) for f in fr))
    pairs = delay_pairs([samples(fl, f["conn"]) for f in fr])
    check(f"flow {fl}: srtt_p95_ms over its connections' samples", near(F["srtt_p95_ms"], wpct(pairs, 95), 1e-9))
def jain(x):
    return sum(x) ** 2 / (len(x) * sum(v * v for v in x))
check("run: jain_flows over the flows' goodputs", near(S["run"]["jain_flows"], jain(list(good.values())), 1e-9))
g = [int(f["bytes"]) * 8 / (float(f["end_s"]) - float(f["start_s"])) / 1e6 for f in flows]
check("run: jain_conns over the connections' goodputs", near(S["run"]["jain_conns"], jain(g), 1e-9))
check("flow a started first: no convergence_s", next(x for x in S["flows"] if x["flow"] == "a")["convergence_s"] is None)
b = next(x for x in S["flows"] if x["flow"] == "b")
check("flow b joined: a convergence_s that is null or within its life",
      b["convergence_s"] is None or 0 <= b["convergence_s"] <= 4.5, b["convergence_s"])
fa = S["fairness_1s"]
check("fairness_1s: one bucket per second, Jain's index in (0, 1]",
      fa["t_s"][:3] == [0, 1, 2] and all(j is None or 0 < j <= 1 + 1e-12 for j in fa["jain_conns"]))
# The buckets again, as docs/metrics.md defines them: goodput from bytes_acked per second, a
# connection counting where its life covers 90% of the bucket, converged within +-20%.
conns = []
for f in flows:
    sm = samples(f["flow"], f["conn"])
    conns.append((float(f["start_s"]), float(f["end_s"]), sm))
nb = math.ceil(max(e for _, e, _ in conns))
jains, conv = [], []
for k in range(nb):
    act = [(acked_at(sm, k + 1) - acked_at(sm, k)) * 8 / 1e6
           for st, e, sm in conns if st <= k + 0.1 and k + 0.9 <= e]
    jains.append(jain(act) if len(act) >= 2 else None)
    fair = sum(act) / len(act) if act else 0
    conv.append(len(act) < 2 or (fair > 0 and all(abs(x - fair) <= 0.2 * fair for x in act)))
check("fairness_1s: jain_conns per bucket as recomputed",
      len(fa["jain_conns"]) == nb and all((a is None and b is None) or near(a, b, 1e-9)
                                          for a, b in zip(fa["jain_conns"], jains)),
      (fa["jain_conns"], jains))
b_start = min(float(f["start_s"]) for f in flows if f["flow"] == "b")
b_end = max(float(f["end_s"]) for f in flows if f["flow"] == "b")
want = None
for k in reversed(range(nb)):
    if k >= b_end - 0.9:
        continue
    if k < b_start or not conv[k]:
        break
    want = k - b_start
check("flow b: convergence_s as recomputed from the buckets",
      (want is None and b["convergence_s"] is None) or near(b["convergence_s"], want, 1e-9),
      (b["convergence_s"], want))

# The link: what link.csv delivered against the configured 20 Mbit/s, its drops and queue.
lk = [r for r in rows(out, "timeline/link.csv") if r["direction"] == "up"]
prev, deliv, span = 0.0, 0.0, 0.0
for r in lk:
    t = float(r["t_s"]); dt = t - prev; prev = t
    deliv += float(r["delivered_mbit"]) * dt; span += dt
L = S["link"]["up"]
check("link: utilisation_pct is link.csv's deliveries over 20 Mbit/s for the timeline",
      near(L["utilisation_pct"], 100 * deliv / (RATE * span), 0.01), (L["utilisation_pct"], 100 * deliv / (RATE * span)))
check("link: the bottleneck was busy (utilisation 80..101%)", 80 <= L["utilisation_pct"] <= 101, L["utilisation_pct"])
check("link: drops_pkts is link.csv's sum", L["drops_pkts"] == sum(int(r["dropped_pkts"]) for r in lk))
q = sorted(int(r["queue_pkts"]) for r in lk)
check("link: queue_max_pkts and the 50-packet limit", L["queue_max_pkts"] == q[-1] and q[-1] <= 50)
check("link: queue_p50_pkts", near(L["queue_p50_pkts"], q[(len(q) - 1) // 2] if len(q) % 2 else (q[len(q) // 2 - 1] + q[len(q) // 2]) / 2, 1e-9))
done()
PY
check "summary.json and summary.csv hold what the raw files say" [ $? = 0 ]

# ccexp plot writes the same summary from the saved files.
cp "$tmp/out/summary.json" "$tmp/summary.json.run"
cp "$tmp/out/summary.csv" "$tmp/summary.csv.run"
rm "$tmp/out/summary.json" "$tmp/out/summary.csv"
"$CCEXP" -q plot "$tmp/out" >"$tmp/plot.log" 2>&1
check "ccexp plot exits 0" [ $? = 0 ]
check "ccexp plot writes the same summary.json" cmp -s "$tmp/summary.json.run" "$tmp/out/summary.json"
check "ccexp plot writes the same summary.csv" cmp -s "$tmp/summary.csv.run" "$tmp/out/summary.csv"

# A bad setting: file, line and setting named, exit 2, no folder made.
sed 's/warmup_s = 1.5/warmup_s = 6.0/' "$tmp/summary.cfg" >"$tmp/bad.cfg"
"$CCEXP" run -o "$tmp/bad" "$tmp/bad.cfg" >"$tmp/bad.log" 2>&1
rc=$?
check "warmup_s past the duration: exit 2" [ "$rc" = 2 ]
check "the message names file, line and setting" grep -q "bad.cfg:8: summary.warmup_s: " "$tmp/bad.log"
check "no results folder is made" [ ! -e "$tmp/bad" ]

if [ "$fail" = 0 ]; then rm -rf "$tmp"; else echo "results kept in $tmp"; fi
exit $fail
