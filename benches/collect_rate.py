#!/usr/bin/env python3
"""How close `emrcost collect` gets to the GetJobRun quota.

Starts the test emulator (tests/emulator/front.py, moto behind quotas) on
loopback, seeds RUNS finished runs over 4 applications, makes the emulator
enforce the EMR Serverless quotas scaled by SCALE (default 10: GetJobRun
100/s burst 50, ListJobRuns 10/s burst 25), and runs the release binary
told the same rates. From the emulator's request log it reports:

  * the steady GetJobRun rate (calls after the burst, over their span) as a
    fraction of the quota rate: the target is at least 0.9;
  * the whole collection's wall time against the least the quota allows,
    (RUNS - burst) / rate;
  * how many calls were throttled.

Usage: cargo build --release && python3 benches/collect_rate.py [RUNS] [SCALE]
Needs the emulator's Python (target/emulator-venv, made by `cargo test`, or
EMRCOST_TEST_PYTHON).
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
SCALE = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
GET_RATE, GET_BURST = 10.0 * SCALE, 50
LIST_RATE, LIST_BURST = 1.0 * SCALE, 25


def python():
    p = os.environ.get("EMRCOST_TEST_PYTHON") or os.path.join(ROOT, "target/emulator-venv/bin/python")
    if not os.path.exists(p):
        sys.exit(f"{p} not found: run `cargo test` once (it makes the venv) or set EMRCOST_TEST_PYTHON")
    return p


def main():
    binary = os.path.join(ROOT, "target/release/emrcost")
    if not os.path.exists(binary):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="emrcost-collect-bench-")
    atexit.register(shutil.rmtree, tmp, True)  # even on sys.exit
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

        def post(path, doc):
            req = urllib.request.Request(base + path, data=json.dumps(doc).encode(), method="POST")
            return json.loads(urllib.request.urlopen(req).read())

        t0 = time.time() - 86400
        per_app = RUNS // 4
        apps = []
        for a in range(4):
            runs = []
            for i in range(per_app):
                c = t0 + (a * per_app + i) * 10
                runs.append({
                    "name": f"job-{i % 10}", "state": "SUCCESS", "createdAt": c, "startedAt": c + 20, "endedAt": c + 620,
                    "totalExecutionDurationSeconds": 600, "queuedDurationMilliseconds": 20000,
                    "billedResourceUtilization": {"vCPUHour": 1.0 + i, "memoryGBHour": 4.0, "storageGBHour": 0.0},
                })
            apps.append({"name": f"bench-{a}", "runs": runs})
        post("/_emu/seed", {"applications": apps})
        post("/_emu/config", {"enforce_quotas": True, "quota_scale": SCALE})
        post("/_emu/log/clear", {})

        out = os.path.join(tmp, "dataset")
        env = dict(os.environ, AWS_ENDPOINT_URL=base, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                   AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        started = time.time()
        subprocess.run(
            [binary, "-q", "collect", "--region", "us-east-1", "--out", out,
             "--get-rate", f"{GET_RATE:g}/{GET_BURST}", "--list-rate", f"{LIST_RATE:g}/{LIST_BURST}",
             "--concurrency", "32"],
            env=env, check=True,
        )
        wall = time.time() - started
        log = json.loads(urllib.request.urlopen(base + "/_emu/log").read())
        gets = [e["at"] for e in log if e["operation"] == "GetJobRun" and e["status"] == 200]
        throttled = sum(1 for e in log if e["status"] == 429)
        steady = gets[GET_BURST:]
        steady_rate = (len(steady) - 1) / (steady[-1] - steady[0]) if len(steady) > 1 else float("nan")
        least = (RUNS - GET_BURST) / GET_RATE
        print(f"runs collected:        {len(set(gets))} of {RUNS}")
        print(f"quota (scaled x{SCALE:g}):   GetJobRun {GET_RATE:g}/s burst {GET_BURST}, ListJobRuns {LIST_RATE:g}/s burst {LIST_BURST}")
        print(f"steady GetJobRun rate: {steady_rate:.1f}/s = {steady_rate / GET_RATE:.3f} of the quota (target >= 0.9)")
        print(f"wall time:             {wall:.2f} s; the quota allows no less than {least:.2f} s ({least / wall:.3f} of it)")
        print(f"throttled calls:       {throttled}")
    finally:
        emu.kill()
        emu.wait()


if __name__ == "__main__":
    main()
