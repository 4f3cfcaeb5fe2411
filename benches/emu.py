"""What the emulator benches share: the emulator's Python, the newest
emrcost build, starting the test emulator on loopback, and its admin calls.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


def start(tmp):
    """Starts tests/emulator/front.py; returns (process, base URL)."""
    port_file = os.path.join(tmp, "port")
    emu = subprocess.Popen(
        [python(), os.path.join(ROOT, "tests/emulator/front.py"), "--port-file", port_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        if os.path.exists(port_file):
            break
        time.sleep(0.1)
    return emu, "http://127.0.0.1:" + open(port_file).read().strip()


def post(base, path, doc):
    req = urllib.request.Request(base + path, data=json.dumps(doc).encode(), method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())


def log(base):
    with urllib.request.urlopen(base + "/_emu/log") as r:
        return json.loads(r.read())


def env(base):
    """The environment that points emrcost at the emulator."""
    e = dict(os.environ, AWS_ENDPOINT_URL=base, AWS_ACCESS_KEY_ID="test",
             AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1")
    e.pop("AWS_PROFILE", None)
    return e
