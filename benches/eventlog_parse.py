#!/usr/bin/env python3
"""Times `emrcost import eventlog` on large uncompressed event logs.

Builds logs from a real fixture (tests/fixtures/spark-events/dynamic-none):
its own lines, with its SparkListenerTaskEnd lines (the bulk of real logs,
each a few KB of task metrics) repeated until the file reaches the size
asked for. Reports MB/s for one file on one core (RAYON_NUM_THREADS=1) and
for a folder of several files on all cores, with peak memory.

    cargo build --release && python3 benches/eventlog_parse.py [MB]
"""
import os, re, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "emrcost")
SRC = os.path.join(ROOT, "tests", "fixtures", "spark-events", "dynamic-none")


def build(path, mb):
    src = os.path.join(SRC, os.listdir(SRC)[0])
    lines = open(src).read().splitlines(keepends=True)
    tasks = [l for l in lines if l.startswith('{"Event":"SparkListenerTaskEnd"')]
    head = [l for l in lines if 'SparkListenerApplicationEnd' not in l]
    end = [l for l in lines if 'SparkListenerApplicationEnd' in l]
    with open(path, "w") as f:
        f.writelines(head)
        while f.tell() < mb * 1_000_000:
            f.writelines(tasks)
        f.writelines(end)
    return os.path.getsize(path)


def run(paths, threads):
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    out = tempfile.mkdtemp(prefix="evl-out-")
    cmd = ["/usr/bin/time", "-v", BIN, "import", "eventlog", "--out", out] + paths
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    shutil.rmtree(out, ignore_errors=True)
    if r.returncode != 0:
        sys.exit(r.stderr[-2000:])
    rate = re.search(r"read (\d+) log\(s\), ([\d.]+) MB in ([\d.]+) s \((\d+) MB/s\)", r.stderr)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    return float(rate.group(2)), float(rate.group(3)), rss


def main():
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    tmp = tempfile.mkdtemp(prefix="evl-bench-")
    try:
        print(f"{'case':<34} {'MB':>7} {'s':>6} {'MB/s':>7} {'peak RSS MB':>12}")
        for size in (mb // 4, mb):
            p = os.path.join(tmp, f"one-{size}")
            build(p, size)
            total, secs, rss = run([p], 1)
            print(f"{'one file, 1 thread':<34} {total:7.0f} {secs:6.2f} {total / secs:7.0f} {rss:12.1f}")
        folder = os.path.join(tmp, "folder")
        os.makedirs(folder)
        for i in range(4):
            build(os.path.join(folder, f"app-{i}"), mb // 4)
        total, secs, rss = run([folder], None)
        print(f"{'folder of 4, all cores (' + str(os.cpu_count()) + ')':<34} {total:7.0f} {secs:6.2f} {total / secs:7.0f} {rss:12.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
