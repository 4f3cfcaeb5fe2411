#!/usr/bin/env python3
"""`emrcost report` and `emrcost price` on a big fleet, side by side with
DuckDB on the same file, from Parquet and from CSV.

1. Writes target/bench/runs-<N>.parquet with `emrcost synth` (once), and
   the same runs as CSV with DuckDB's COPY (once): DuckDB writes times as
   `2026-08-01 09:01:21.712+00`, one of the forms emrcost reads.
2. For each input format: times `emrcost report FILE --format
   html,md,csv,json,svg` (all formats but PNG) with the release build, and
   reads its peak memory (getrusage of the child); then runs the same fleet
   summary in DuckDB on the same file: runs and state counts, runtime
   p50/p95/max and queue p50/p95 per application (quantile_disc: nearest
   rank, as emrcost's), and the EMR Serverless cost from billed usage at
   the price book's rates (pricing/serverless.csv), or for runs without
   billed usage from total usage under the billing rules. REPEAT rounds,
   each running report, DuckDB and price (step 4) back to back, so both
   tools meet the same state of the machine; ratios are the medians of
   each round's ratio.
3. Checks the two agree: counts and percentiles exactly, costs to the cent,
   per application and in total.
4. Times `emrcost price FILE --format csv|parquet --out ...` (every run's
   row, streamed) and reads its peak memory.

Usage: cargo build --release && python3 benches/report_10m.py [RUNS] [REPEAT] [FORMATS]
  e.g. python3 benches/report_10m.py 10000000 3 parquet,csv
Needs duckdb (pip install duckdb into .venv).
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import duckdb
except ImportError:
    sys.exit("needs the duckdb package: pip install duckdb")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 else 3
FORMATS = (sys.argv[3] if len(sys.argv) > 3 else "parquet,csv").split(",")
BIN = os.environ.get("EMRCOST_BIN") or os.path.join(ROOT, "target/release/emrcost")


def run_timed(cmd):
    """Wall time and the child's own peak memory (GB), via /usr/bin/time."""
    t = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, check=True, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    peak_kb = int(out.stderr.strip().splitlines()[-1])
    return wall, peak_kb / 1024 / 1024


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def summary_sql(source):
    rates = os.path.join(ROOT, "pricing/serverless.csv")
    return f"""
        with r as (select * from read_csv_auto('{rates}')),
        runs as (
          select p.*,
            coalesce(p.duration_s, epoch(p.ended_at) - epoch(p.started_at)) as runtime,
            (coalesce(p.billed_vcpu_hours, 0) > 0 or coalesce(p.billed_memory_gb_hours, 0) > 0
              or coalesce(p.billed_storage_gb_hours, 0) > 0) as has_billed,
            r.vcpu_hour_usd, r.memory_gb_hour_usd, r.storage_gb_hour_usd
          from {source} p
          join r on r.region = p.region and r.architecture = p.architecture
        ),
        priced as (
          select *,
            case when has_billed then
              billed_vcpu_hours * vcpu_hour_usd + billed_memory_gb_hours * memory_gb_hour_usd
                + billed_storage_gb_hours * storage_gb_hour_usd
            else
              -- billing rules on total usage
              (total_vcpu_hours * vcpu_hour_usd + total_memory_gb_hours * memory_gb_hour_usd)
                * (case when runtime > 0 and runtime < 60 then 60 / runtime else 1 end)
              + greatest(
                  total_storage_gb_hours * (case when runtime > 0 and runtime < 60 then 60 / runtime else 1 end)
                  - (1 + (total_vcpu_hours / (greatest(runtime, 0) / 3600) - driver_vcpu) / executor_vcpu)
                    * 20 * greatest(runtime, 60) / 3600,
                  0) * storage_gb_hour_usd
            end as serverless_usd
          from runs
        )
        select application_id,
          count(*) as runs,
          count(*) filter (where state = 'SUCCESS') as succeeded,
          count(*) filter (where state = 'FAILED') as failed,
          count(*) filter (where state = 'CANCELLED') as cancelled,
          quantile_disc(runtime, 0.5) as p50, quantile_disc(runtime, 0.95) as p95, max(runtime) as max,
          quantile_disc(queued_ms / 1000.0, 0.5) as q50, quantile_disc(queued_ms / 1000.0, 0.95) as q95,
          sum(serverless_usd) as serverless_usd
        from priced group by application_id order by application_id
        """


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    data = os.path.join(ROOT, "target/bench", f"runs-{RUNS}.parquet")
    os.makedirs(os.path.dirname(data), exist_ok=True)
    if not os.path.exists(data):
        wall, gb = run_timed([BIN, "-q", "synth", "--runs", str(RUNS), "--seed", "7", "--out", data])
        print(f"synth {RUNS:,} runs: {wall:.1f} s, peak {gb:.2f} GB, {os.path.getsize(data) / 1e6:.0f} MB")
    csv_data = data.replace(".parquet", ".csv")
    if "csv" in FORMATS and not os.path.exists(csv_data):
        duckdb.connect().execute(f"copy (select * from read_parquet('{data}')) to '{csv_data}' (header)")
        print(f"CSV of the same runs (DuckDB COPY): {os.path.getsize(csv_data) / 1e6:.0f} MB")
    failed = False
    for fmt in FORMATS:
        path = data if fmt == "parquet" else csv_data
        source = f"read_parquet('{path}')" if fmt == "parquet" else f"read_csv('{path}')"
        # Each format's outputs are about 4 GB at 10M runs: removed before
        # the next format starts, and on any failure.
        out = tempfile.mkdtemp(prefix="emrcost-report-bench-")
        try:
            failed |= bench_format(fmt, path, source, out)
        finally:
            shutil.rmtree(out, ignore_errors=True)
    if failed:
        sys.exit(1)


def bench_format(fmt, path, source, out):
    """Times report and price on one input file; true when the check against DuckDB failed.

    Each round runs emrcost report, DuckDB's summary, and emrcost price to
    CSV and to Parquet back to back, so the two tools (and price against
    report) are compared on the same state of a machine whose speed drifts;
    the ratios are the medians of each round's ratio."""
    rounds = []
    report, rows = None, None
    for r in range(REPEAT):
        wall, gb = run_timed([BIN, "-q", "report", path, "--format", "html,md,csv,json,svg", "--out", out])
        report = json.load(open(os.path.join(out, "report.json")))
        t = time.perf_counter()
        rows = duckdb.connect().execute(summary_sql(source)).fetchall()
        duck = time.perf_counter() - t
        prices = {}
        for out_fmt in ["csv", "parquet"]:
            target = os.path.join(out, f"runs.{out_fmt}")
            pw, pg = run_timed([BIN, "-q", "price", path, "--format", out_fmt, "--out", target])
            prices[out_fmt] = (pw, pg, os.path.getsize(target) / 1e6)
            os.remove(target)
        print(f"{fmt} round {r + 1}: report {wall:.2f} s ({gb:.2f} GB), DuckDB {duck:.2f} s, "
              + ", ".join(f"price to {k} {v[0]:.2f} s ({v[1]:.2f} GB)" for k, v in prices.items()))
        rounds.append((wall, gb, duck, prices))
    wall = median([x[0] for x in rounds])
    duck = median([x[2] for x in rounds])
    ratio = median([x[0] / x[2] for x in rounds])
    print(f"{fmt}: emrcost report {wall:.2f} s, peak {max(x[1] for x in rounds):.2f} GB; "
          f"DuckDB {duck:.2f} s; emrcost / DuckDB = {ratio:.2f} (median of {REPEAT} rounds)")
    failed = not agree(report, rows)
    for out_fmt in ["csv", "parquet"]:
        pw = median([x[3][out_fmt][0] for x in rounds])
        pg = max(x[3][out_fmt][1] for x in rounds)
        size = rounds[-1][3][out_fmt][2]
        pr = median([x[3][out_fmt][0] / x[0] for x in rounds])
        print(f"{fmt}: emrcost price --format {out_fmt}: {pw:.2f} s, peak {pg:.2f} GB, "
              f"{size:.0f} MB; price / report = {pr:.2f} (median of {REPEAT} rounds)")
    return failed


def agree(report, rows):
    groups = {g["key"]: g for g in report["groups"]}
    problems = []
    total = 0.0
    for app, runs, ok, failed, cancelled, p50, p95, mx, q50, q95, usd in rows:
        g = groups.get(app)
        if g is None:
            problems.append(f"{app}: missing from the report")
            continue
        total += usd
        mine = (g["runs"], g["succeeded"], g["failed"], g["cancelled"], g["runtime_p50_s"], g["runtime_p95_s"],
                g["runtime_max_s"], g["queue_p50_s"], g["queue_p95_s"])
        theirs = (runs, ok, failed, cancelled, p50, p95, mx, q50, q95)
        if tuple(float(x) for x in mine) != tuple(float(x) for x in theirs):
            problems.append(f"{app}: emrcost {mine} vs DuckDB {theirs}")
        if round(g["costs"]["emr_serverless_usd"], 2) != round(usd, 2):
            problems.append(f"{app}: EMR Serverless ${g['costs']['emr_serverless_usd']:.4f} vs DuckDB ${usd:.4f}")
    mine_total = report["total"]["costs"]["emr_serverless_usd"]
    print(f"EMR Serverless total: emrcost ${mine_total:,.2f}, DuckDB ${total:,.2f}")
    if round(mine_total, 2) != round(total, 2):
        problems.append(f"total: ${mine_total:.4f} vs ${total:.4f}")
    if problems:
        print("DISAGREE:\n  " + "\n  ".join(problems))
        return False
    print(f"agree: {len(rows)} applications, {report['total']['runs']:,} runs; counts and percentiles exactly, costs to the cent")
    return True


if __name__ == "__main__":
    main()
