"""Reading a ccexp results folder in the integration tests: CSV rows, meta.json, checks."""
import csv
import json
import os
import sys

failed = False


def check(what, ok, detail=""):
    global failed
    print(("ok: " if ok else "FAIL: ") + what + (f" ({detail})" if detail != "" else ""))
    failed |= not ok


def rows(out, name):
    with open(os.path.join(out, name)) as f:
        return list(csv.DictReader(f))


def meta(out):
    with open(os.path.join(out, "meta.json")) as f:
        return json.load(f)


# TCP state transitions a connection may make (RFC 9293 plus Linux's direct closes).
TRANSITIONS = {
    "SYN_SENT": {"ESTABLISHED", "CLOSE"},
    "SYN_RECV": {"ESTABLISHED", "FIN_WAIT1", "CLOSE"},
    "ESTABLISHED": {"FIN_WAIT1", "CLOSE_WAIT", "CLOSE"},
    "FIN_WAIT1": {"FIN_WAIT2", "CLOSING", "TIME_WAIT", "CLOSE"},
    "FIN_WAIT2": {"TIME_WAIT", "CLOSE"},
    "CLOSING": {"TIME_WAIT", "CLOSE"},
    "TIME_WAIT": {"CLOSE"},
    "CLOSE_WAIT": {"LAST_ACK", "CLOSE"},
    "LAST_ACK": {"CLOSE"},
}


def state_path_ok(path_rows, side):
    """True when the rows (old_state, new_state) chain from SYN_SENT (sender) or SYN_RECV
    (receiver) to CLOSE through allowed transitions."""
    if not path_rows:
        return False
    start = "SYN_SENT" if side == "sender" else "SYN_RECV"
    prev = start
    for r in path_rows:
        if r["old_state"] != prev or r["new_state"] not in TRANSITIONS.get(prev, ()):
            return False
        prev = r["new_state"]
    return prev == "CLOSE"


def check_state_paths(out):
    st = rows(out, "events/state.csv")
    conns = {}
    for r in st:
        conns.setdefault((r["flow"], r["conn"], r["side"]), []).append(r)
    for (flow, conn, side), path in sorted(conns.items()):
        check(f"state.csv: {flow}#{conn} {side} is a valid path to CLOSE",
              state_path_ok(path, side), " -> ".join([path[0]["old_state"]] +
                                                     [r["new_state"] for r in path]))
    return conns


def check_counters(out):
    m = meta(out)
    for ev, c in m["events"].items():
        check(f"{ev}: every event seen in BPF has a row",
              c["seen_in_bpf"] == c["received"] == c["rows"] and c["ringbuf_drops"] == 0, c)
    return m


def done():
    sys.exit(1 if failed else 0)
