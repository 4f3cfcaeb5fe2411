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

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
RUN_S = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
GET_RATE, GET_BURST = 10.0, 50


def python():
    p = os.environ.get("EMRCOST_TEST_PYTHON") or os.path.join(ROOT, "target/emulator-venv/bin/python")
    if not os.path.exists(p):
        sys.exit(f"{p} not found: run `cargo test` once (it makes the venv) or set EMRCOST_TEST_PYTHON")
    return p


def binary():
    """The newer of the release and debug builds."""
    found = [os.path.join(ROOT, "target", k, "emrcost") for k in ("release", "debug")]
    found = [b for b in found if os.path.exists(b)]
    if not found:
        sys.exit("build first: cargo build --release")
    return max(found, key=os.path.getmtime)


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


def post(base, path, doc):
    req = urllib.request.Request(base + path, data=json.dumps(doc).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def main():
    tmp = tempfile.mkdtemp(prefix="emrcost-bench-quota-")
    port_file = os.path.join(tmp, "port")
    emu = subprocess.Popen(
        [python(), os.path.join(ROOT, "tests/emulator/front.py"), "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if os.path.exists(port_file):
                break
            time.sleep(0.1)
        base = "http://127.0.0.1:" + open(port_file).read().strip()
        post(base, "/_emu/config", {"enforce_quotas": True, "quota_scale": 1.0})
        billed = {"vCPUHour": 20 * RUN_S / 3600, "memoryGBHour": 80 * RUN_S / 3600, "storageGBHour": 0}
        post(base, "/_emu/script", {"arm": "a", "runs": [
            {"queue_s": 2.0, "pending_s": 1.0, "run_s": RUN_S, "billed": billed}]})
        plan = os.path.join(tmp, "plan.toml")
        with open(plan, "w") as f:
            f.write(PLAN.format(runs=RUNS))
        env = dict(os.environ, AWS_ENDPOINT_URL=base, AWS_ACCESS_KEY_ID="test",
                   AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        env.pop("AWS_PROFILE", None)
        started = time.time()
        done = subprocess.run([binary(), "bench", plan, "--yes", "--out", os.path.join(tmp, "out")],
                              env=env, capture_output=True, text=True)
        wall = time.time() - started
        if done.returncode != 0:
            sys.exit(f"emrcost bench failed ({done.returncode}):\n{done.stderr[-3000:]}")
        with urllib.request.urlopen(base + "/_emu/log") as r:
            log = json.loads(r.read())
    finally:
        emu.terminate()
        emu.wait()

    gets = sorted(e["at"] for e in log if e["operation"] == "GetJobRun")
    throttled = [e for e in log if e["status"] == 429]
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
