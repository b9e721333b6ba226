#!/usr/bin/env python3
"""Prints each server's req/s and p99 as ratios of bare `node` (or --ref) from one harness run.
usage: ratios.py HARNESS_LIB_DIR RAW_JSON [REF]"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import bench  # noqa: E402  (the shared harness's own summarizer, so the medians are the same)

with open(sys.argv[2]) as f:
    data = json.load(f)
ref = sys.argv[3] if len(sys.argv) > 3 else 'node'
summary = bench.summarize(data['records'], ref)
servers = list(dict.fromkeys(r['server'] for r in data['records']))
workloads = data['meta']['workloads']
print(f"\n| server | " + " | ".join(f"{w} req/s | x {ref} | p99 ms | p99 x {ref}" for w in workloads) + " |")
print("|---|" + "---|---|---|---|" * len(workloads))
for s in servers:
    row = [f"`{s}`"]
    for w in workloads:
        c, r = summary.get((s, w)), summary.get((ref, w))
        if not c:
            row += ['–'] * 4
            continue
        ratio = c['rps'] / r['rps'] if r and r['rps'] else None
        p99 = c['p99'] / r['p99'] if r and r.get('p99') and c.get('p99') else None
        row += [f"{c['rps']:.0f}", f"{ratio:.2f}" if ratio else '–', f"{c['p99']:.2f}" if c.get('p99') else '–',
                f"{p99:.2f}" if p99 else '–']
    print("| " + " | ".join(row) + " |")
