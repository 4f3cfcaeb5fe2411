#!/usr/bin/env python3
"""`emrcost bench` with 50 runs in flight against the EMR Serverless quotas.

Starts the test emulator (tests/emulator/front.py, moto behind the quotas)
on loopback, makes it enforce the real per-account rates (FACTS.md section
5: GetJobRun 10/s burst 50, StartJobRun 1/s burst 25, ...), scripts 50 runs
of RUN_S seconds, and runs a plan with `concurrency = 50` and
`poll_seconds = 1`: left alone, 50 followers polling once a second would
ask for 50 GetJobRun calls a second, five times the quota. From the
emulator's request log it reports:

  * GetJobRun calls in all, and the most made in any window of T seconds
    against what a 10/s, burst-50 token bucket allows (50 + 10 T): the
    target is never above it;
  * throttled answers (HTTP 429) of any operation: the target is 0;
  * the steady GetJobRun rate after the burst, as a share of the quota;
  * the wall time, and how late the runs' ends were seen (the price of
    sharing the quota between 50 followers).

Usage: cargo build --release && python3 benches/bench_quota.py [RUNS] [RUN_S]
Needs the emulator's Python (target/emulator-venv, made by `cargo test`, or
EMRCOST_TEST_PYTHON). Uses the newer of the release and debug
builds (the polling, not the binary's speed, is measured).
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emu import binary, env, log, post, start  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
RUN_S = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
GET_RATE, GET_BURST = 10.0, 50




PLAN = """name = "quota"
region = "us-east-1"
repeat = {runs}
concurrency = {runs}
timeout_minutes = 30
poll_seconds = 1
billed_wait_seconds = 30

[job]
entry_point = "s3://bucket/job.py"
release_label = "emr-7.5.0"
execution_role = "arn:aws:iam::123456789012:role/emrcost-test"

[[arm]]
label = "a"
service = "emr-serverless"
executor = {{ cores = 4, memory_gb = 14 }}
driver = {{ cores = 4, memory_gb = 14 }}
executors = 4
"""



def main():
    tmp = tempfile.mkdtemp(prefix="emrcost-bench-quota-")
    atexit.register(shutil.rmtree, tmp, True)  # even on sys.exit
    emu, base = start(tmp)
    try:
        post(base, "/_emu/config", {"enforce_quotas": True, "quota_scale": 1.0})
        billed = {"vCPUHour": 20 * RUN_S / 3600, "memoryGBHour": 80 * RUN_S / 3600, "storageGBHour": 0}
        post(base, "/_emu/script", {"arm": "a", "runs": [
            {"queue_s": 2.0, "pending_s": 1.0, "run_s": RUN_S, "billed": billed}]})
        plan = os.path.join(tmp, "plan.toml")
        with open(plan, "w") as f:
            f.write(PLAN.format(runs=RUNS))
        started = time.time()
        done = subprocess.run([binary(), "bench", plan, "--yes", "--out", os.path.join(tmp, "out")],
                              env=env(base), capture_output=True, text=True)
        wall = time.time() - started
        if done.returncode != 0:
            sys.exit(f"emrcost bench failed ({done.returncode}):\n{done.stderr[-3000:]}")
        entries = log(base)
    finally:
        emu.terminate()
        emu.wait()

    gets = sorted(e["at"] for e in entries if e["operation"] == "GetJobRun")
    throttled = [e for e in entries if e["status"] == 429]
    # The most calls in any window of T seconds, against the bucket's bound.
    worst = None
    for T in (1.0, 2.0, 5.0, 10.0, 30.0):
        j = 0
        for i in range(len(gets)):
            while gets[i] - gets[j] > T:
                j += 1
            n = i - j + 1
            excess = n - (GET_BURST + GET_RATE * T)
            if worst is None or excess > worst[2]:
                worst = (T, n, excess)
    peak = {}
    for T in (1.0, 10.0):
        j, best = 0, 0
        for i in range(len(gets)):
            while gets[i] - gets[j] > T:
                j += 1
            best = max(best, i - j + 1)
        peak[T] = best
    after = gets[GET_BURST:]
    steady = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 2 else float("nan")
    summary = json.load(open(os.path.join(tmp, "out", "bench.json")))
    arm = summary["arms"][0]
    # How late a run's end was seen: the run's scripted length (queue 2 s +
    # start 1 s + RUN_S) against its measured startup + runtime is exact;
    # the journal's transitions say when the end was first seen.
    lates = []
    for line in open(os.path.join(tmp, "out", "journal.jsonl")):
        ev = json.loads(line)
        if ev.get("event") != "finished":
            continue
        run = ev.get("run") or {}
        ended = run.get("ended_at")
        seen = [t for s, t in ev["transitions"] if s in ("SUCCESS", "FAILED", "CANCELLED")]
        if ended and seen:
            import datetime as dt
            end_ms = dt.datetime.fromisoformat(ended.replace("Z", "+00:00")).timestamp() * 1000
            lates.append((seen[0] - end_ms) / 1000)
    lates.sort()
    print(f"runs: {RUNS} in flight at once, {RUN_S:.0f} s each; {arm['succeeded']} succeeded")
    print(f"wall time: {wall:.1f} s")
    print(f"GetJobRun calls: {len(gets)}; most in 1 s: {peak[1.0]}, in 10 s: {peak[10.0]} "
          f"(quota: {GET_RATE:.0f}/s, burst {GET_BURST})")
    print(f"worst window against the bucket's bound (50 + 10 T): {worst[1]} calls in {worst[0]:.0f} s, "
          f"{'%+.0f' % worst[2]} against the bound")
    print(f"steady GetJobRun rate after the burst: {steady:.2f}/s = {steady / GET_RATE:.2f} of the quota")
    print(f"throttled answers: {len(throttled)}")
    if lates:
        print(f"end seen after the run ended: median {lates[len(lates) // 2]:.1f} s, max {lates[-1]:.1f} s")
    ok = worst[2] <= 0 and not throttled and arm["succeeded"] == RUNS
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
