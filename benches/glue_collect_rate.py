#!/usr/bin/env python3
"""How close `emrcost collect glue` gets to the rate it is told.

Starts the test emulator (tests/emulator/front.py) on loopback, seeds JOBS
Glue jobs of RUNS runs each (GetJobRuns pages of 100, as moto pages), makes
the emulator enforce RATE calls per second (burst 20) on GetJobs and
GetJobRuns, and runs `collect glue --rate RATE/20`. From the request log:

  * the steady GetJobRuns rate (calls after the burst, over their span) as
    a share of RATE: the target is at least 0.9;
  * throttled answers: the target is 0;
  * every run recorded once.

Usage: cargo build --release && python3 benches/glue_collect_rate.py [JOBS] [RUNS] [RATE]
Needs the emulator's Python (target/emulator-venv, made by `cargo test`, or
EMRCOST_TEST_PYTHON). Uses the newer of the release and debug builds.
"""

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emu import binary, env, log, post, start  # noqa: E402

JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 500
RATE = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
BURST = 20





def main():
    tmp = tempfile.mkdtemp(prefix="emrcost-glue-rate-")
    atexit.register(shutil.rmtree, tmp, True)  # even on sys.exit
    emu, base = start(tmp)
    try:
        now = int(time.time())
        jobs = []
        for j in range(JOBS):
            runs = [{"Id": f"jr_{j}_{i}", "Attempt": 0, "StartedOn": now - 86400 * 20 + i * 60,
                     "CompletedOn": now - 86400 * 20 + i * 60 + 330, "JobRunState": "SUCCEEDED",
                     "ExecutionTime": 300, "WorkerType": "G.1X", "NumberOfWorkers": 10, "GlueVersion": "4.0"}
                    for i in range(RUNS)]
            jobs.append({"Name": f"job-{j:04d}", "Command": {"Name": "glueetl"}, "runs": runs})
        post(base, "/_emu/glue_seed", {"jobs": jobs, "page_size": 100})
        post(base, "/_emu/config", {"enforce_quotas": True,
                                    "quotas": {"GetJobRuns": [RATE, BURST], "GetJobs": [RATE, BURST]}})
        out = os.path.join(tmp, "ds")
        started = time.time()
        done = subprocess.run([binary(), "collect", "glue", "--region", "us-east-1", "--rate", f"{RATE}/{BURST}",
                               "--out", out], env=env(base), capture_output=True, text=True)
        wall = time.time() - started
        if done.returncode != 0:
            sys.exit(f"collect glue failed ({done.returncode}):\n{done.stderr[-3000:]}")
        entries = log(base)
    finally:
        emu.terminate()
        emu.wait()
    calls = sorted(e["at"] for e in entries if e["operation"] == "GetJobRuns")
    throttled = [e for e in entries if e["status"] == 429]
    after = calls[BURST:]
    steady = (len(after) - 1) / (after[-1] - after[0]) if len(after) > 2 else float("nan")
    recorded = [l for l in done.stderr.splitlines() if "recorded" in l]
    print(f"{JOBS} jobs x {RUNS} runs; GetJobRuns pages of 100; --rate {RATE:g}/{BURST}")
    print(f"wall time: {wall:.1f} s; GetJobRuns calls: {len(calls)}")
    print(f"steady GetJobRuns rate after the burst: {steady:.2f}/s = {steady / RATE:.3f} of --rate")
    print(f"throttled answers: {len(throttled)}")
    print(recorded[0] if recorded else done.stderr[-500:])
    ok = steady / RATE >= 0.9 and not throttled and f"{JOBS * RUNS} recorded" in done.stderr
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
