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

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
JOBS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 500
RATE = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
BURST = 20


def python():
    p = os.environ.get("EMRCOST_TEST_PYTHON") or os.path.join(ROOT, "target/emulator-venv/bin/python")
    if not os.path.exists(p):
        sys.exit(f"{p} not found: run `cargo test` once (it makes the venv) or set EMRCOST_TEST_PYTHON")
    return p


def binary():
    found = [os.path.join(ROOT, "target", k, "emrcost") for k in ("release", "debug")]
    found = [b for b in found if os.path.exists(b)]
    if not found:
        sys.exit("build first: cargo build --release")
    return max(found, key=os.path.getmtime)


def post(base, path, doc):
    req = urllib.request.Request(base + path, data=json.dumps(doc).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def main():
    tmp = tempfile.mkdtemp(prefix="emrcost-glue-rate-")
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
        env = dict(os.environ, AWS_ENDPOINT_URL=base, AWS_ACCESS_KEY_ID="test",
                   AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
        env.pop("AWS_PROFILE", None)
        out = os.path.join(tmp, "ds")
        started = time.time()
        done = subprocess.run([binary(), "collect", "glue", "--region", "us-east-1", "--rate", f"{RATE}/{BURST}",
                               "--out", out], env=env, capture_output=True, text=True)
        wall = time.time() - started
        if done.returncode != 0:
            sys.exit(f"collect glue failed ({done.returncode}):\n{done.stderr[-3000:]}")
        with urllib.request.urlopen(base + "/_emu/log") as r:
            log = json.loads(r.read())
    finally:
        emu.terminate()
        emu.wait()
    calls = sorted(e["at"] for e in log if e["operation"] == "GetJobRuns")
    throttled = [e for e in log if e["status"] == 429]
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
