#!/usr/bin/env python3
"""Times `emrcost import eventlog s3://...` against the emulator's S3 on
loopback, side by side with what a user does today: copy the logs down
(boto3, the library under `aws s3 cp`/`aws s3 sync`) and import the copy.

The logs are built like benches/eventlog_parse.py builds them: a real
fixture's lines with its task ends repeated to the size asked for. Each
case is run for a total of MB/4 and MB, so a flat peak memory shows the
objects are streamed, not held.

    cargo build --release && python3 benches/s3_eventlog.py [MB]

Prints, per case: the log MB read, seconds, MB/s and emrcost's peak RSS.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402
from eventlog_parse import build  # noqa: E402

BUCKET = "bench-logs"


def put(base, key, path):
    with open(path, "rb") as f:
        data = f.read()
    req = urllib.request.Request(
        f"{base}/_emu/s3_put?bucket={BUCKET}&key={key}", data=data, method="POST"
    )
    with urllib.request.urlopen(req) as r:
        r.read()


def timed(cmd, env):
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    secs = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(r.stderr[-3000:])
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    m = re.search(r"read (\d+) log\(s\), ([\d.]+) MB in", r.stderr)
    return secs, rss, float(m.group(2)) if m else None


def copy_down(base, prefix, dest):
    """What `aws s3 sync` does, in its own library: list, then get each."""
    script = f"""
import boto3, os
s3 = boto3.client("s3", endpoint_url={base!r}, region_name="us-east-1",
                  aws_access_key_id="test", aws_secret_access_key="test")
for page in s3.get_paginator("list_objects_v2").paginate(Bucket={BUCKET!r}, Prefix={prefix!r}):
    for o in page.get("Contents", []):
        path = os.path.join({dest!r}, o["Key"][len({prefix!r}):])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        s3.download_file({BUCKET!r}, o["Key"], path)
"""
    t = time.perf_counter()
    subprocess.run([emu.python(), "-c", script], check=True)
    return time.perf_counter() - t


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    binary = emu.binary()
    tmp = tempfile.mkdtemp(prefix="s3-evl-")
    proc, base = emu.start(tmp)
    env = emu.env(base)
    try:
        print(f"emrcost: {binary}; emulator {base}; {os.cpu_count()} cores")
        print(f"{'case':<46} {'MB':>6} {'s':>6} {'MB/s':>6} {'peak RSS MB':>11}")
        for total in (mb // 4, mb):
            prefix = f"run-{total}/"
            files = []
            for i in range(4):
                p = os.path.join(tmp, f"app-{total}-{i}")
                build(p, total // 4)
                files.append(p)
                put(base, f"{prefix}app-{i}", p)
            out = os.path.join(tmp, f"out-{total}")
            secs, rss, logmb = timed(
                [binary, "import", "eventlog", "--quiet", "--out", out, f"s3://{BUCKET}/{prefix}"], env
            )
            # --quiet hides the rate line: the log MB are the files' sizes.
            logmb = sum(os.path.getsize(f) for f in files) / 1e6
            print(f"{'emrcost import s3:// (4 objects)':<46} {logmb:6.0f} {secs:6.2f} {logmb / secs:6.0f} {rss:11.1f}")
            down = os.path.join(tmp, f"down-{total}")
            copy_secs = copy_down(base, prefix, down)
            out2 = os.path.join(tmp, f"out2-{total}")
            isecs, irss, _ = timed([binary, "import", "eventlog", "--quiet", "--out", out2, down], env)
            both = copy_secs + isecs
            print(f"{'boto3 copy down + emrcost import from disk':<46} {logmb:6.0f} {both:6.2f} {logmb / both:6.0f} {irss:11.1f}")
            print(f"{'  of which the copy':<46} {'':6} {copy_secs:6.2f}")
            print(f"{'  of which the import from disk':<46} {'':6} {isecs:6.2f} {logmb / isecs:6.0f}")
            same = open(os.path.join(out, "eventlog-jobruns.csv")).read() == open(
                os.path.join(out2, "eventlog-jobruns.csv")
            ).read()
            print(f"{'  same runs both ways':<46} {str(same):>6}")
            for f in files:
                os.remove(f)
            shutil.rmtree(down, ignore_errors=True)
    finally:
        proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
