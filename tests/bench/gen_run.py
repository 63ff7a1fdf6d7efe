#!/usr/bin/env python3
"""Writes a results folder of made-up samples for chart benchmarks: FLOWS flows of CONNS
connections each, sampled every INTERVAL_MS for SECONDS, with a sawtooth cwnd, an srtt that
follows it and a retransmit at each cwnd drop. No run, no root.

usage: gen_run.py DIR FLOWS CONNS SECONDS INTERVAL_MS"""
import os
import random
import sys


def main():
    d, flows, conns, secs, ms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        float(sys.argv[4]), float(sys.argv[5])
    rnd = random.Random(1)
    os.makedirs(d + "/timeline", exist_ok=True)
    os.makedirs(d + "/events", exist_ok=True)
    names = ["flow%d" % i for i in range(flows)]
    with open(d + "/config.cfg", "w") as f:
        f.write('experiment = { name = "chart-bench"; duration_s = %g; };\n' % secs)
        f.write('link = { rate_mbit = 100.0; delay_ms = 10.0; };\nflows = (\n')
        f.write(",\n".join('  { name = "%s"; cc = "cubic"; count = %d; }' % (n, conns)
                           for n in names))
        f.write("\n);\ncollect = { sample_interval_ms = %g; };\n" % ms)
    steps = int(secs * 1000 / ms)
    cw = {(n, c): 10 + rnd.randrange(40) for n in names for c in range(conns)}
    peak = {(n, c): 60 + rnd.randrange(60) for n in names for c in range(conns)}
    with open(d + "/timeline/cwnd.csv", "w") as cf, \
            open(d + "/events/retrans.csv", "w") as rf, \
            open(d + "/timeline/throughput.csv", "w") as tf:
        cf.write("t_s,flow,conn,cwnd_pkts,ssthresh_pkts,srtt_us,packets_out,total_retrans,"
                 "bytes_acked\n")
        rf.write("t_s,flow,conn,side,seq,segs,result,cwnd_pkts,ssthresh_pkts,srtt_us\n")
        tf.write("t_s,flow,goodput_mbit\n")
        for k in range(1, steps + 1):
            t = k * ms / 1000.0
            for n in names:
                for c in range(conns):
                    w = cw[(n, c)] + 1
                    if w > peak[(n, c)]:
                        rf.write("%.6f,%s,%d,sender,1,1,0,%d,%d,%d\n"
                                 % (t - 0.001, n, c, w, w // 2, 20000 + 100 * w))
                        w = w // 2
                    cw[(n, c)] = w
                    cf.write("%.3f,%s,%d,%d,%d,%d,%d,0,%d\n"
                             % (t, n, c, w, w, 20000 + 100 * w + rnd.randrange(500), w,
                                k * 1448))
                tf.write("%.3f,%s,%.3f\n" % (t, n, 100.0 / flows * (0.8 + 0.4 * rnd.random())))


main()
