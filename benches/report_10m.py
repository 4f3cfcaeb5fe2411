#!/usr/bin/env python3
"""`emrcost report` on a 10-million-run Parquet fleet, against DuckDB.

1. Writes target/bench/runs-<N>.parquet with `emrcost synth` (once).
2. Times `emrcost report FILE --format html,md,csv,json,svg` (all formats
   but PNG) with the release build and reads its peak memory (getrusage of
   the child). The targets are 10 s and 4 GB.
3. Runs the same fleet summary in DuckDB on the same file: runs and state
   counts, runtime p50/p95/max and queue p50/p95 per application (DuckDB's
   quantile_disc, which is nearest rank as emrcost's percentiles are), and
   the EMR Serverless cost, from billed usage at the price book's rates
   (pricing/serverless.csv), and for runs without billed usage from total
   usage under the billing rules (1-minute minimum, 20 GB free storage per
   worker; workers = driver + executors, the executors being what the
   total vCPU-hours imply, as emrcost infers them).
4. Checks the two agree: counts and percentiles exactly, costs to the cent,
   per application and in total. Prints both times and their ratio.

Usage: cargo build --release && python3 benches/report_10m.py [RUNS]
Needs duckdb (pip install duckdb); the emulator venv or .venv may have it.
"""

import json
import os
import resource
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
BIN = os.environ.get("EMRCOST_BIN") or os.path.join(ROOT, "target/release/emrcost")


def run_timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - t
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak_kb, before) / 1024 / 1024


def main():
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    data = os.path.join(ROOT, "target/bench", f"runs-{RUNS}.parquet")
    os.makedirs(os.path.dirname(data), exist_ok=True)
    if not os.path.exists(data):
        wall, gb = run_timed([BIN, "-q", "synth", "--runs", str(RUNS), "--seed", "7", "--out", data])
        print(f"synth {RUNS:,} runs: {wall:.1f} s, peak {gb:.2f} GB, {os.path.getsize(data) / 1e6:.0f} MB")

    out = tempfile.mkdtemp(prefix="emrcost-report-bench-")
    wall, gb = run_timed([BIN, "-q", "report", data, "--format", "html,md,csv,json,svg", "--out", out])
    print(f"emrcost report: {wall:.2f} s wall, peak {gb:.2f} GB (targets: 10 s, 4 GB)")
    report = json.load(open(os.path.join(out, "report.json")))

    t = time.perf_counter()
    con = duckdb.connect()
    rates = os.path.join(ROOT, "pricing/serverless.csv")
    rows = con.execute(
        f"""
        with r as (select * from read_csv_auto('{rates}')),
        runs as (
          select p.*,
            coalesce(p.duration_s, epoch(p.ended_at) - epoch(p.started_at)) as runtime,
            (coalesce(p.billed_vcpu_hours, 0) > 0 or coalesce(p.billed_memory_gb_hours, 0) > 0
              or coalesce(p.billed_storage_gb_hours, 0) > 0) as has_billed,
            r.vcpu_hour_usd, r.memory_gb_hour_usd, r.storage_gb_hour_usd
          from read_parquet('{data}') p
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
    ).fetchall()
    duck = time.perf_counter() - t
    print(f"DuckDB fleet summary: {duck:.2f} s; emrcost / DuckDB = {wall / duck:.2f}")

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
        sys.exit(1)
    print(f"agree: {len(rows)} applications, {report['total']['runs']:,} runs; counts and percentiles exactly, costs to the cent")


if __name__ == "__main__":
    main()
