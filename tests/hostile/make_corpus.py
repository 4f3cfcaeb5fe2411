#!/usr/bin/env python3
"""Writes the hostile-input corpus of issue 13 ("Hostile input and faults").

    python3 tests/hostile/make_corpus.py OUT_DIR

Python 3 standard library only; deterministic (no clock, no network, seeded
randomness only); nothing of the corpus is committed. OUT_DIR must be absent
or empty. For every case it writes OUT_DIR/<name>/ with the input files and
a case.json that tests/hostile.rs runs:

  name        the folder name
  class       silent-wrong | panic-hang | clobber | injection |
              unclear-error | fuzzish (the issue's classes, plus mutations)
  why         what the case tests and why (for the person reading a failure)
  args        argv after the binary; "{dir}" stands for the case folder
              (the command runs with the case folder as its working folder,
              so most paths are relative and messages name them that way)
  exit        the expected exit code, or a list of allowed ones
  stderr_has  patterns stderr must contain: plain substrings, or a regular
              expression (Rust `regex` syntax) after "re:"
  stderr_lacks, stdout_has, stdout_lacks
              the same, for what must not appear / for stdout
  stderr_has_on_error
              patterns stderr must contain only when the exit code is not 0
              (for cases where either a refusal or a flagged success is right)
  output      a relative path (or list of them) the command may write;
              everything else in the case folder must be byte-identical
              afterwards (nothing changed, appeared or disappeared)
  output_has  checks on what was written: {"file", "has", "lacks",
              "lines", "absent"} or {"dir", "names_with", "count"}
  timeout_s   the command is killed after this long (a hang)
  tty         true: stdout is a pseudo-terminal (through tty_run.py), for
              what must not reach a terminal; otherwise stdout is a pipe
  setup       things a script cannot portably commit, made by the runner in
              order before the files are hashed: {"fifo": path},
              {"symlink": [link, target]}, {"hardlink": [link, target]},
              {"run": [argv...]} (the binary, run once first, e.g. to leave
              a previous report behind)

Exit codes (src/cli/mod.rs, README): 0 success, 1 an error (unreadable
input, bad price book, a flag value that cannot be used), 2 a usage error
(clap), 3 with --strict when some records could not be priced. A refused
flag value is allowed to be 1 or 2. Row-level cases mostly pair one good
run with the hostile one and pass --strict, so the right answer is exit 3
with the bad row named (file:line and column) and the good row priced.

Expected figures come from the billing rules in README "How each option is
priced" and shared/FACTS.md section 1 (us-east-1 x86_64: 0.052624 per
vCPU-hour, 0.0057785 per GB-hour).
"""

import csv
import gzip
import io
import json
import random
import struct
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# ---------------------------------------------------------------------------
# Expected figures (us-east-1, x86_64).
VCPU_RATE = 0.052624
MEM_RATE = 0.0057785
# The good run: billed 10.5 vCPU-h, 42 GB-h, 0 storage over 30 minutes.
GOOD_USD = "0.795249"  # 10.5 * 0.052624 + 42 * 0.0057785 = 0.7952490
# The same run priced from its total usage (10.2 vCPU-h, 40.8 GB-h, 40
# storage GB-h in 30 min): about 5 workers, each with 20 GB of storage free,
# so storage costs nothing and the 1-minute minimum does not bite:
# 10.2 * 0.052624 + 40.8 * 0.0057785 = 0.7725276.
TOTAL_RULES_USD = "0.772528"
assert f"{10.5 * VCPU_RATE + 42 * MEM_RATE:.6f}" == GOOD_USD
assert f"{10.2 * VCPU_RATE + 40.8 * MEM_RATE:.6f}" == TOTAL_RULES_USD
# What the partial-billed bug gives: the present fields only, missing = 0.
PARTIAL_AS_ZERO = {
    "vcpu": "0.242697",  # 42 * 0.0057785
    "memory": "0.552552",  # 10.5 * 0.052624
    "storage": GOOD_USD,  # storage is 0 anyway, but the run must not be labelled billed
}

# ---------------------------------------------------------------------------
# Patterns.


def rx(text):
    """Escapes text for a regular expression (Rust `regex` and Python `re`
    agree on these escapes)."""
    return "".join("\\" + c if c in ".^$|?*+()[]{}\\" else c for c in text)


def loc(file, line):
    """A message that names the file and the line, as emrcost writes it
    (`runs.csv:3: ...`); `runs.csv line 3` and `runs.csv: line 3` also do."""
    return "re:" + rx(file) + r"(:| line |: line )" + str(line) + r"\b"


FLAG_ERROR = [1, 2]  # a refused flag value: an error (1) or a usage error (2)
NOT_NEGATIVE_MSG = "cannot be negative"  # the NaN message the issue calls unclear

# ---------------------------------------------------------------------------
# Inputs: emrcost CSV rows, get-job-run JSON, Spark event logs, Parquet.

CSV_COLUMNS = [
    "region", "application_id", "application_name", "job_run_id", "job_name",
    "state", "started_at", "ended_at", "duration_s",
    "billed_vcpu_hours", "billed_memory_gb_hours", "billed_storage_gb_hours",
    "total_vcpu_hours", "total_memory_gb_hours", "total_storage_gb_hours",
]


def run_row(**over):
    """One emrcost CSV row: the good run, with any cell replaced."""
    row = {
        "region": "us-east-1", "application_id": "app-good",
        "application_name": "good-app", "job_run_id": "r-good",
        "job_name": "nightly", "state": "SUCCESS", "started_at": "",
        "ended_at": "", "duration_s": "1800",
        "billed_vcpu_hours": "10.5", "billed_memory_gb_hours": "42",
        "billed_storage_gb_hours": "0", "total_vcpu_hours": "10.2",
        "total_memory_gb_hours": "40.8", "total_storage_gb_hours": "40",
    }
    for k, v in over.items():
        assert k in row or k in ("attempt", "queued_ms", "executor_vcpu",
                                 "executor_memory_gb", "max_executors",
                                 "created_at"), k
        row[k] = v
    return row


def csv_bytes(rows, columns=None):
    """Rows (dicts) as CSV text with a header; cells are quoted only when
    the csv module must."""
    if columns is None:
        columns = list(CSV_COLUMNS)
        for r in rows:
            columns += [k for k in r if k not in columns]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([r.get(c, "") for c in columns])
    return buf.getvalue().encode()


def good_and(bad):
    """The good run on line 2, then `bad` (a row dict) on line 3."""
    return csv_bytes([run_row(), bad])


def job_run(**over):
    """A get-job-run `jobRun` object (the shape of tests/fixtures/
    get-job-run.json) in us-east-1 with the good run's usage."""
    run = {
        "applicationId": "app-good",
        "jobRunId": "r-good",
        "name": "nightly",
        "arn": "arn:aws:emr-serverless:us-east-1:123456789012:/applications/app-good/jobruns/r-good",
        "createdBy": "arn:aws:iam::123456789012:role/pipeline",
        "createdAt": "2026-10-02T03:00:00.120000+00:00",
        "updatedAt": "2026-10-02T03:31:05.480000+00:00",
        "executionRole": "arn:aws:iam::123456789012:role/emr-serverless-job",
        "state": "SUCCESS",
        "stateDetails": "",
        "releaseLabel": "emr-7.1.0",
        "jobDriver": {"sparkSubmit": {
            "entryPoint": "s3://example-bucket/jobs/nightly.py",
            "sparkSubmitParameters": "--conf spark.executor.cores=4 --conf spark.executor.memory=14g",
        }},
        "tags": {},
        "totalResourceUtilization": {"vCPUHour": 10.2, "memoryGBHour": 40.8, "storageGBHour": 40.0},
        "totalExecutionDurationSeconds": 1800,
        "billedResourceUtilization": {"vCPUHour": 10.5, "memoryGBHour": 42.0, "storageGBHour": 0.0},
        "startedAt": "2026-10-02T03:01:00.000000+00:00",
        "endedAt": "2026-10-02T03:31:00.000000+00:00",
        "queuedDurationMilliseconds": 59880,
        "attempt": 1,
        "mode": "BATCH",
    }
    for k, v in over.items():
        if v is DELETE:
            run.pop(k, None)
        else:
            run[k] = v
    return run


DELETE = object()


def named(run_id, **over):
    """A job run with its own id (arn included)."""
    arn = ("arn:aws:emr-serverless:us-east-1:123456789012:/applications/"
           "app-good/jobruns/" + run_id)
    over.setdefault("jobRunId", run_id)
    over.setdefault("arn", arn)
    return job_run(**over)


def usage(billed=None, total=None, drop_billed=(), drop_total=()):
    """billedResourceUtilization / totalResourceUtilization overrides."""
    b = {"vCPUHour": 10.5, "memoryGBHour": 42.0, "storageGBHour": 0.0}
    t = {"vCPUHour": 10.2, "memoryGBHour": 40.8, "storageGBHour": 40.0}
    b.update(billed or {})
    t.update(total or {})
    for k in drop_billed:
        del b[k]
    for k in drop_total:
        del t[k]
    return {"billedResourceUtilization": b, "totalResourceUtilization": t}


def jsonl(*runs):
    """JSON Lines: one bare job run a line."""
    return "".join(json.dumps(r) + "\n" for r in runs).encode()


def wrapped(run):
    """What `aws emr-serverless get-job-run` prints."""
    return json.dumps({"jobRun": run}, indent=4).encode()


T0 = 1790000000000  # 2026-09-21T14:13:20Z in ms


def ev_executor_added(exec_id, ts, cores=4):
    return {"Event": "SparkListenerExecutorAdded", "Timestamp": ts,
            "Executor ID": str(exec_id),
            "Executor Info": {"Host": "192.0.2.7", "Total Cores": cores,
                              "Log Urls": {}, "Attributes": {},
                              "Resources": {}, "Resource Profile Id": 0}}


def ev_executor_removed(exec_id, ts):
    return {"Event": "SparkListenerExecutorRemoved", "Timestamp": ts,
            "Executor ID": str(exec_id), "Removed Reason": "idle"}


def event_log(app_id="app-hx", name="hx", start=T0, end=T0 + 3600000,
              body=None, props=None):
    """A Spark event log (JSON Lines) of one application: log start,
    environment (4-core, 14g executors and driver), application start, the
    body (default: three executors added one second in), application end
    (left out when end is None). Returns bytes."""
    properties = {"spark.executor.cores": "4", "spark.executor.memory": "14g",
                  "spark.driver.cores": "4", "spark.driver.memory": "14g",
                  "spark.app.name": name}
    properties.update(props or {})
    events = [
        {"Event": "SparkListenerLogStart", "Spark Version": "3.5.0"},
        {"Event": "SparkListenerEnvironmentUpdate", "Spark Properties": properties},
        {"Event": "SparkListenerApplicationStart", "App Name": name,
         "App ID": app_id, "Timestamp": start, "User": "hostile"},
    ]
    if body is None:
        body = [ev_executor_added(i, start + 1000) for i in (1, 2, 3)]
    events += body
    if end is not None:
        events.append({"Event": "SparkListenerApplicationEnd", "Timestamp": end})
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n"
                   for e in events).encode()


GOOD_LOG = event_log(app_id="app-good", name="good")


def price_book(**edits):
    """The repository's price book (pricing/*.csv) as {name: bytes}, with
    edits: {file: (old, new)} text replacements (each must apply) or
    {file: bytes} to replace a file outright."""
    book = {}
    for p in sorted((REPO / "pricing").glob("*.csv")):
        book[p.name] = p.read_bytes()
    for name, edit in edits.items():
        if isinstance(edit, bytes):
            book[name] = edit
        else:
            old, new = edit
            text = book[name].decode()
            assert old in text, (name, old)
            book[name] = text.replace(old, new, 1).encode()
    return book


def book_line(name, needle):
    """The line number (1-based) of the first line containing needle."""
    for i, line in enumerate((REPO / "pricing" / name).read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError((name, needle))


def offers_tree():
    """The Price List fixture (tests/fixtures/offers/offers/...) as
    {relative path under the --from folder: bytes}."""
    root = REPO / "tests/fixtures/offers"
    out = {}
    for p in sorted((root / "offers").rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


# --- a minimal Parquet writer (one row group, PLAIN, uncompressed) ---------
# Enough of the format for polars to read: every column OPTIONAL, one v1
# data page per column, definition levels RLE-encoded. Types: "str"
# (BYTE_ARRAY/UTF8), "f64" (DOUBLE), "bool" (BOOLEAN), "i64" (INT64).


def _uvarint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _zigzag(n):
    return (n << 1) ^ (n >> 63)


class _Thrift:
    """Thrift compact protocol, struct writer."""

    I32, I64, BINARY, LIST, STRUCT = 5, 6, 8, 9, 12

    def __init__(self):
        self.buf = bytearray()
        self.last = 0

    def _field(self, fid, ctype):
        delta = fid - self.last
        if 0 < delta <= 15:
            self.buf.append((delta << 4) | ctype)
        else:
            self.buf.append(ctype)
            self.buf += _uvarint(_zigzag(fid))
        self.last = fid

    def i32(self, fid, v):
        self._field(fid, self.I32)
        self.buf += _uvarint(_zigzag(v))
        return self

    def i64(self, fid, v):
        self._field(fid, self.I64)
        self.buf += _uvarint(_zigzag(v))
        return self

    def binary(self, fid, v):
        v = v.encode() if isinstance(v, str) else v
        self._field(fid, self.BINARY)
        self.buf += _uvarint(len(v)) + v
        return self

    def struct(self, fid, s):
        self._field(fid, self.STRUCT)
        self.buf += s.bytes()
        return self

    def list(self, fid, etype, items):
        self._field(fid, self.LIST)
        n = len(items)
        self.buf.append((n << 4) | etype if n < 15 else 0xF0 | etype)
        if n >= 15:
            self.buf += _uvarint(n)
        for it in items:
            if etype == self.I32:
                self.buf += _uvarint(_zigzag(it))
            elif etype == self.BINARY:
                it = it.encode() if isinstance(it, str) else it
                self.buf += _uvarint(len(it)) + it
            elif etype == self.STRUCT:
                self.buf += it.bytes()
            else:
                raise ValueError(etype)
        return self

    def bytes(self):
        return bytes(self.buf) + b"\x00"


_PHYSICAL = {"bool": 0, "i64": 2, "f64": 5, "str": 6}


def parquet_bytes(columns, rows):
    """columns: [(name, type)]; rows: list of tuples (None = null)."""
    out = bytearray(b"PAR1")
    chunks = []
    for ci, (name, kind) in enumerate(columns):
        values = [r[ci] for r in rows]
        levels = bytearray()
        for v in values:  # one RLE run per value: header (1 << 1), the level
            levels += _uvarint(1 << 1) + bytes([0 if v is None else 1])
        data = bytearray(struct.pack("<I", len(levels)) + levels)
        present = [v for v in values if v is not None]
        if kind == "f64":
            data += b"".join(struct.pack("<d", v) for v in present)
        elif kind == "i64":
            data += b"".join(struct.pack("<q", v) for v in present)
        elif kind == "str":
            for v in present:
                b = v.encode()
                data += struct.pack("<I", len(b)) + b
        elif kind == "bool":
            bits = bytearray((len(present) + 7) // 8)
            for i, v in enumerate(present):
                if v:
                    bits[i // 8] |= 1 << (i % 8)
            data += bits
        page_header = (_Thrift().i32(1, 0).i32(2, len(data)).i32(3, len(data))
                       .struct(5, _Thrift().i32(1, len(values)).i32(2, 0)
                               .i32(3, 3).i32(4, 3))).bytes()
        offset = len(out)
        out += page_header + data
        meta = (_Thrift().i32(1, _PHYSICAL[kind]).list(2, _Thrift.I32, [0, 3])
                .list(3, _Thrift.BINARY, [name]).i32(4, 0).i64(5, len(values))
                .i64(6, len(page_header) + len(data))
                .i64(7, len(page_header) + len(data)).i64(9, offset))
        chunks.append(_Thrift().i64(2, offset).struct(3, meta))
    schema = [_Thrift().binary(4, "schema").i32(5, len(columns))]
    for name, kind in columns:
        el = _Thrift().i32(1, _PHYSICAL[kind]).i32(3, 1).binary(4, name)
        if kind == "str":
            el.i32(6, 0)  # UTF8
        schema.append(el)
    total = sum(len(c.buf) for c in chunks)
    row_group = (_Thrift().list(1, _Thrift.STRUCT, chunks).i64(2, total)
                 .i64(3, len(rows)))
    footer = (_Thrift().i32(1, 1).list(2, _Thrift.STRUCT, schema)
              .i64(3, len(rows)).list(4, _Thrift.STRUCT, [row_group])
              .binary(6, "emrcost hostile corpus")).bytes()
    out += footer + struct.pack("<I", len(footer)) + b"PAR1"
    return bytes(out)


PQ_COLUMNS = [("region", "str"), ("application_id", "str"), ("job_run_id", "str"),
              ("job_name", "str"), ("state", "str"), ("duration_s", "f64"),
              ("billed_vcpu_hours", "f64"), ("billed_memory_gb_hours", "f64"),
              ("billed_storage_gb_hours", "f64"), ("total_vcpu_hours", "f64"),
              ("total_memory_gb_hours", "f64"), ("total_storage_gb_hours", "f64")]


def pq_row(run_id, **over):
    row = {"region": "us-east-1", "application_id": "app-good",
           "job_run_id": run_id, "job_name": "nightly", "state": "SUCCESS",
           "duration_s": 1800.0, "billed_vcpu_hours": 10.5,
           "billed_memory_gb_hours": 42.0, "billed_storage_gb_hours": 0.0,
           "total_vcpu_hours": 10.2, "total_memory_gb_hours": 40.8,
           "total_storage_gb_hours": 40.0}
    row.update(over)
    return row


def parquet_runs(rows, types=None):
    """Parquet of pq_row dicts; types overrides a column's type."""
    cols = [(n, (types or {}).get(n, t)) for n, t in PQ_COLUMNS]
    return parquet_bytes(cols, [tuple(r[n] for n, _ in cols) for r in rows])


# ---------------------------------------------------------------------------
# The corpus.

CASES = []


def add(name, cls, args, exit, files=None, why="", stderr_has=(), stderr_lacks=(),
        stdout_has=(), stdout_lacks=(), stderr_has_on_error=(), output=None,
        output_has=(), timeout_s=20, setup=(), tty=False):
    assert cls in ("silent-wrong", "panic-hang", "clobber", "injection",
                   "unclear-error", "fuzzish"), cls
    assert all(c.name != name for c in CASES), name
    assert why, name
    CASES.append(Case(name, cls, args, exit, files or {}, why, list(stderr_has),
                      list(stderr_lacks), list(stdout_has), list(stdout_lacks),
                      list(stderr_has_on_error), output, list(output_has),
                      timeout_s, list(setup), tty))


class Case:
    def __init__(self, name, cls, args, exit, files, why, stderr_has, stderr_lacks,
                 stdout_has, stdout_lacks, stderr_has_on_error, output, output_has,
                 timeout_s, setup, tty):
        self.name, self.cls, self.args, self.exit = name, cls, args, exit
        self.files, self.why = files, why
        self.spec = {
            "name": name, "class": cls, "why": why, "args": args, "exit": exit,
            "stderr_has": stderr_has, "stderr_lacks": stderr_lacks,
            "stdout_has": stdout_has, "stdout_lacks": stdout_lacks,
            "stderr_has_on_error": stderr_has_on_error,
            "output": output, "output_has": output_has,
            "timeout_s": timeout_s, "setup": setup, "tty": tty,
        }

    def write(self, root):
        d = root / self.name
        d.mkdir()
        for rel, data in self.files.items():
            p = d / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if callable(data):
                data(p)  # a writer for files built as a stream (the gzip case)
            else:
                p.write_bytes(data if isinstance(data, bytes) else data.encode())
        (d / "case.json").write_text(json.dumps(self.spec, indent=1, ensure_ascii=True) + "\n")


# Common argument lists.
PRICE_CSV_STRICT = ["price", "--strict", "--format", "csv"]


def out_has(file, has=(), lacks=(), lines=None, absent=None):
    d = {"file": file, "has": list(has), "lacks": list(lacks)}
    if lines is not None:
        d["lines"] = lines
    if absent is not None:
        d["absent"] = absent
    return d


# ===========================================================================
# Silent wrong figures (exit 0 with a wrong number). Each must become either
# a refusal that names file, row and column, or a right figure that is
# flagged.


def silent_wrong():
    # --- partial billed usage: priced from total usage with the rules,
    # flagged, never with 0 for the missing field.
    flagged = "re:(?i)" + rx(TOTAL_RULES_USD) + r",[^,\n]*(total|partial|incomplete)"
    for field, column in (("vcpu", "billed_vcpu_hours"), ("storage", "billed_storage_gb_hours")):
        lacks = [PARTIAL_AS_ZERO[field]]
        add(f"sw-partial-billed-{field}-empty-csv", "silent-wrong",
            ["price", "--format", "csv", "--out", "out.csv", "runs.csv"], 0,
            {"runs.csv": csv_bytes([run_row(job_run_id="r-partial", **{column: ""})])},
            why=f"{column} empty, the other billed fields and total usage present: must be "
                f"priced from total usage with the billing rules (${TOTAL_RULES_USD}) and "
                "flagged, not with 0 for the missing field and labelled billed",
            output="out.csv",
            output_has=[out_has("out.csv", [TOTAL_RULES_USD, flagged],
                                lacks + [TOTAL_RULES_USD + ",billed,"])])
    add("sw-partial-billed-null-jsonl", "silent-wrong",
        ["price", "--format", "csv", "--out", "out.csv", "runs.jsonl"], 0,
        {"runs.jsonl": jsonl(named("r-partial", **usage(billed={"vCPUHour": None})))},
        why="billedResourceUtilization.vCPUHour null: priced from total usage, flagged",
        output="out.csv",
        output_has=[out_has("out.csv", [TOTAL_RULES_USD, flagged], [PARTIAL_AS_ZERO["vcpu"]])])
    add("sw-partial-billed-array-json", "silent-wrong",
        ["price", "--format", "csv", "--out", "out.csv", "runs.json"], 0,
        {"runs.json": json.dumps([job_run(),
                                  named("r-partial", **usage(drop_billed=["memoryGBHour"]))],
                                 indent=2).encode()},
        why="a get-job-run array: the good run billed, the second lacks memoryGBHour and "
            "must be priced from total usage, not as vCPU only",
        output="out.csv",
        output_has=[out_has("out.csv", [GOOD_USD, TOTAL_RULES_USD, flagged],
                            [PARTIAL_AS_ZERO["memory"]])])
    add("sw-partial-billed-null-parquet", "silent-wrong",
        ["price", "--format", "csv", "--out", "out.csv", "runs.parquet"], 0,
        {"runs.parquet": parquet_runs([pq_row("r-partial", billed_vcpu_hours=None)])},
        why="Parquet with a null billed_vcpu_hours: priced from total usage, flagged",
        output="out.csv",
        output_has=[out_has("out.csv", [TOTAL_RULES_USD, flagged], [PARTIAL_AS_ZERO["vcpu"]])])
    add("sw-partial-billed-report", "silent-wrong",
        ["report", "runs.csv", "--out", "rep", "--format", "csv"], 0,
        {"runs.csv": csv_bytes([run_row(job_run_id="r-partial", billed_vcpu_hours="")])},
        why="report's jobs.csv prices the partial run from total usage too (one pricer)",
        output="rep",
        output_has=[out_has("rep/jobs.csv", [TOTAL_RULES_USD], [PARTIAL_AS_ZERO["vcpu"]])])
    add("sw-partial-billed-no-total", "silent-wrong",
        PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", billed_vcpu_hours="",
                                      total_vcpu_hours="", total_memory_gb_hours="",
                                      total_storage_gb_hours=""))},
        why="billed vCPU missing and no total usage to price from: the run cannot be "
            "priced; it is listed with the missing column, not priced as memory only",
        stderr_has=[loc("runs.csv", 3), "billed_vcpu_hours"], stdout_lacks=[",r-bad,"])

    # --- Parquet coercions the CSV reader refuses.
    add("sw-parquet-string-abc", "silent-wrong",
        PRICE_CSV_STRICT + ["runs.parquet"], [1, 3],
        {"runs.parquet": parquet_runs(
            [pq_row("r-good", billed_vcpu_hours="10.5"), pq_row("r-abc", billed_vcpu_hours="abc")],
            types={"billed_vcpu_hours": "str"})},
        why="a Parquet string column billed_vcpu_hours holding 'abc' was read as 0: it must "
            "be refused (the row, or the file) naming the column",
        stderr_has=["runs.parquet", "billed_vcpu_hours"], stdout_lacks=[",r-abc,"])
    add("sw-parquet-bool-true", "silent-wrong",
        PRICE_CSV_STRICT + ["runs.parquet"], [1, 3],
        {"runs.parquet": parquet_runs(
            [pq_row("r-bool", billed_memory_gb_hours=True)],
            types={"billed_memory_gb_hours": "bool"})},
        why="a Parquet BOOLEAN in billed_memory_gb_hours was read as 1.0: refused, naming "
            "the column",
        stderr_has=["runs.parquet", "billed_memory_gb_hours"], stdout_lacks=[",r-bool,"])
    add("sw-parquet-bad-timestamp", "silent-wrong",
        PRICE_CSV_STRICT + ["runs.parquet"], [1, 3],
        {"runs.parquet": parquet_bytes(
            [("region", "str"), ("application_id", "str"), ("job_run_id", "str"),
             ("state", "str"), ("started_at", "str"), ("ended_at", "str"),
             ("billed_vcpu_hours", "f64"), ("billed_memory_gb_hours", "f64")],
            [("us-east-1", "app-good", "r-good", "SUCCESS", "2026-10-02T03:01:00Z",
              "2026-10-02T03:31:00Z", 10.5, 42.0),
             ("us-east-1", "app-good", "r-badtime", "SUCCESS", "garbage",
              "2026-10-02T03:31:00Z", 10.5, 42.0)])},
        why="a Parquet string time that does not parse was dropped (the run priced without "
            "it): refused naming started_at, as CSV does",
        stderr_has=["runs.parquet", "started_at"], stdout_lacks=[",r-badtime,"])
    add("sw-parquet-nan", "silent-wrong",
        PRICE_CSV_STRICT + ["runs.parquet"], 3,
        {"runs.parquet": parquet_runs([pq_row("r-good"),
                                       pq_row("r-nan", billed_vcpu_hours=float("nan"))])},
        why="NaN in a Parquet double: refused with the row and column, as not finite",
        stderr_has=["runs.parquet", "billed_vcpu_hours", "re:(?i)finite|nan"],
        stderr_lacks=[NOT_NEGATIVE_MSG], stdout_lacks=[",r-nan,"])

    # --- no plausibility limits on durations and usage.
    for value, label in (("1e300", "1e300"), ("1e9", "31-years")):
        add(f"sw-duration-{label}-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
            {"runs.csv": good_and(run_row(job_run_id="r-bad", duration_s=value))},
            why=f"duration_s {value} s is beyond any plausible runtime (the issue suggests "
                "30 days): refused with file, line and column",
            stderr_has=[loc("runs.csv", 3), "duration_s"], stdout_lacks=[",r-bad,"])
    add("sw-duration-1e300-jsonl", "silent-wrong", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run(), named("r-bad", totalExecutionDurationSeconds=1e300,
                                              startedAt=DELETE, endedAt=DELETE))},
        why="totalExecutionDurationSeconds 1e300 in get-job-run JSON: refused, line named",
        stderr_has=[loc("runs.jsonl", 2), "re:(?i)duration"], stdout_lacks=[",r-bad,"])
    add("sw-duration-times-1000-years", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", duration_s="",
                                      started_at="1026-01-01T00:00:00Z",
                                      ended_at="2026-01-01T00:00:00Z"))},
        why="started_at a thousand years before ended_at: an implausible runtime from times",
        stderr_has=[loc("runs.csv", 3), "re:started_at|ended_at|duration"],
        stdout_lacks=[",r-bad,"])
    add("sw-usage-1e308-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", billed_vcpu_hours="1e308"))},
        why="billed_vcpu_hours 1e308: usage above any plausible ceiling is refused, not "
            "priced as an astronomic cost",
        stderr_has=[loc("runs.csv", 3), "billed_vcpu_hours"], stdout_lacks=[",r-bad,"])
    add("sw-usage-total-1e300-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", billed_vcpu_hours="",
                                      billed_memory_gb_hours="", billed_storage_gb_hours="",
                                      total_vcpu_hours="1e300"))},
        why="no billed usage and total_vcpu_hours 1e300: refused, naming the total column",
        stderr_has=[loc("runs.csv", 3), "total_vcpu_hours"], stdout_lacks=[",r-bad,"])
    add("sw-usage-1e308-jsonl", "silent-wrong", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run(), named("r-bad", **usage(billed={"vCPUHour": 1e308})))},
        why="billed vCPUHour 1e308 in get-job-run JSON: refused, naming the line and field",
        stderr_has=[loc("runs.jsonl", 2), "re:(?i)vcpu"], stdout_lacks=[",r-bad,"])
    for value, tag in (("inf", "inf"), ("NaN", "nan")):
        add(f"sw-usage-{tag}-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
            {"runs.csv": good_and(run_row(job_run_id="r-bad", billed_vcpu_hours=value))},
            why=f"billed_vcpu_hours '{value}' is not a finite number: refused as such (not "
                "'cannot be negative')",
            stderr_has=[loc("runs.csv", 3), "billed_vcpu_hours", "re:(?i)finite|not a number"],
            stderr_lacks=[NOT_NEGATIVE_MSG], stdout_lacks=[",r-bad,"])
    add("sw-negative-zero-csv", "silent-wrong", ["price", "--format", "csv", "runs.csv"], 0,
        {"runs.csv": csv_bytes([run_row(billed_storage_gb_hours="-0")])},
        why="-0 storage GB-hours is zero: priced like 0 and never printed as '-0.000000'",
        stdout_has=[GOOD_USD], stdout_lacks=["-0.0"])
    add("sw-executor-vcpu-tiny-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": csv_bytes([run_row(), run_row(job_run_id="r-bad", executor_vcpu="1e-300")],
                               CSV_COLUMNS + ["executor_vcpu"])},
        why="executor_vcpu 1e-300 (a Spark core count far below one) made a shape of 1e300 "
            "executors; refused naming the column",
        stderr_has=[loc("runs.csv", 3), "executor_vcpu"], stdout_lacks=[",r-bad,"])

    # --- prices and flags with no ceiling.
    line = book_line("serverless.csv", "us-east-1,x86_64")
    add("sw-price-1e308-serverless", "silent-wrong",
        ["price", "--pricing", "book", "--format", "csv", "run.json"], 1,
        {"run.json": wrapped(job_run()),
         **{"book/" + k: v for k, v in price_book(**{"serverless.csv": (
             "us-east-1,x86_64,0.052624", "us-east-1,x86_64,1e308")}).items()}},
        why="a price of 1e308 per vCPU-hour in a --pricing book: refused naming that "
            "file, line and column (not the built-in book)",
        stderr_has=[loc("book/serverless.csv", line), "vcpu_hour_usd"])
    line = book_line("glue_prices.csv", "us-east-1,standard")
    add("sw-price-inf-glue", "silent-wrong",
        ["price", "--pricing", "book", "--format", "csv", "run.json"], 1,
        {"run.json": wrapped(job_run()),
         **{"book/" + k: v for k, v in price_book(**{"glue_prices.csv": (
             "us-east-1,standard,0.44", "us-east-1,standard,inf")}).items()}},
        why="an infinite Glue DPU-hour price: refused naming file, line and column",
        stderr_has=[loc("book/glue_prices.csv", line), "dpu_hour_usd"])
    line = book_line("ec2_prices.csv", "us-east-1,m5.xlarge")
    add("sw-price-nan-ec2", "silent-wrong",
        ["price", "--pricing", "{dir}/book", "--format", "csv", "run.json"], 1,
        {"run.json": wrapped(job_run()),
         **{"book/" + k: v for k, v in price_book(**{"ec2_prices.csv": (
             "us-east-1,m5.xlarge,0.192", "us-east-1,m5.xlarge,NaN")}).items()}},
        why="NaN as an EC2 price in a --pricing book (given as an absolute path)",
        stderr_has=["re:book/ec2_prices\\.csv:" + str(line) + r"\b", "ec2_hour_usd"],
        stderr_lacks=[NOT_NEGATIVE_MSG])
    add("sw-provisioning-1e30-report", "silent-wrong",
        ["report", "--provisioning-seconds", "1e30", "run.json", "--out", "rep"], FLAG_ERROR,
        {"run.json": wrapped(job_run())},
        why="--provisioning-seconds 1e30 was accepted and priced EMR on EC2 at an astronomic "
            "cost; refused naming the flag, and no report written",
        stderr_has=["--provisioning-seconds"])
    add("sw-hours-per-month-tiny", "silent-wrong",
        ["crossover", "--executors", "4", "--executor-vcpu", "4", "--executor-memory-gb", "14",
         "--hours-per-month", "1e-300"], FLAG_ERROR,
        why="--hours-per-month 1e-300 turns EBS GB-month prices into 1e299 an hour: refused",
        stderr_has=["--hours-per-month"])

    # --- the fair-comparison settings (issue 12).
    for name, flag, value in [
        ("sw-peak-factor-nan", "--peak-factor", "NaN"),
        ("sw-peak-factor-huge", "--peak-factor", "1e30"),
        ("sw-scale-in-lag-huge", "--scale-in-lag-seconds", "1e30"),
        ("sw-teardown-inf", "--teardown-seconds", "inf"),
        ("sw-eks-provisioning-negative", "--eks-node-provisioning-seconds", "-30"),
        ("sw-eks-provisioning-nan", "--eks-node-provisioning-seconds", "NaN"),
    ]:
        add(name, "silent-wrong",
            ["report", flag, value, "run.json", "--out", "rep"], FLAG_ERROR,
            {"run.json": wrapped(job_run())},
            why=f"{flag} {value} would size EMR on EC2 or Glue for an absurd peak or bill: refused "
                "naming the flag, and no report written",
            stderr_has=[flag])
    # --- the startup and right-sizing settings (issue 16).
    for name, flag, value in [
        ("sw-wait-cost-nan", "--wait-cost-per-hour", "NaN"),
        ("sw-wait-cost-negative", "--wait-cost-per-hour", "-5"),
        ("sw-headroom-huge", "--headroom", "1e9"),
        ("sw-headroom-negative", "--headroom", "-20"),
        ("sw-ec2-discount-whole", "--ec2-discount", "1.5"),
        ("sw-edp-discount-nan", "--edp-discount", "NaN"),
        ("sw-edp-discount-negative", "--edp-discount", "-0.2"),
    ]:
        add(name, "silent-wrong",
            ["report", flag, value, "run.json", "--out", "rep"], FLAG_ERROR,
            {"run.json": wrapped(job_run())},
            why=f"{flag} {value} would price waiting or size executors absurdly: refused naming "
                "the flag, and no report written",
            stderr_has=[flag])
    # --- event logs from S3 (issue 15): a malformed URL is refused before any call.
    add("fl-eventlog-s3-bad-bucket", "unclear-error",
        ["import", "eventlog", "s3://Bad_Bucket/logs/", "--out", "ds"], FLAG_ERROR,
        why="an s3:// URL whose bucket is not a bucket name: refused naming it, nothing written",
        stderr_has=["Bad_Bucket", "not an S3 bucket name"])
    add("fl-peak-executors-below-average", "unclear-error",
        ["crossover", "--executors", "8", "--peak-executors", "4", "--executor-vcpu", "4",
         "--executor-memory-gb", "14"], FLAG_ERROR,
        why="a peak below the average executors is a contradiction: refused naming the flag",
        stderr_has=["--peak-executors"])
    # --- Glue and EMR on EC2 runs in a file: refused by row and column.
    glue = {"glue_dpu": "10", "glue_workers": "10", "glue_version": "4.0",
            "glue_execution_class": "STANDARD", "billed_vcpu_hours": "", "billed_memory_gb_hours": "",
            "billed_storage_gb_hours": "", "total_vcpu_hours": "", "total_memory_gb_hours": "",
            "total_storage_gb_hours": "", "duration_s": "900"}
    for name, over, column in (
        ("flex-on-glue-2", {"glue_version": "2.0", "glue_execution_class": "FLEX"}, "glue_execution_class"),
        ("workers-without-dpu", {"glue_dpu": ""}, "glue_dpu"),
        ("zero-workers", {"glue_workers": "0"}, "glue_workers"),
        ("both-glue-and-ec2", {"ec2_cost_usd": "1.5"}, "ec2_cost_usd"),
        ("unknown-version", {"glue_version": "3.5"}, "glue_version"),
    ):
        row = dict(run_row(job_run_id="r-bad"))
        row.update(glue)
        row.update(over)
        add(f"ue-glue-{name}-csv", "unclear-error", PRICE_CSV_STRICT + ["runs.csv"], 3,
            {"runs.csv": csv_bytes([run_row(), row])},
            why=f"a Glue run with a bad {column}: refused naming the row and column, never priced",
            stderr_has=[loc("runs.csv", 3), column], stdout_lacks=[",r-bad,"])
    # --- a tags cell that is not a JSON object of strings (issue 17).
    for name, tags in (("not-json", "team=data"), ("not-strings", '{"team": 5}'), ("array", '["data"]')):
        row = dict(run_row(job_run_id="r-bad"))
        row["tags"] = tags
        add(f"ue-tags-{name}-csv", "unclear-error", PRICE_CSV_STRICT + ["runs.csv"], 3,
            {"runs.csv": csv_bytes([run_row(), row])},
            why="a tags cell that is not a JSON object of strings: refused naming the row and column",
            stderr_has=[loc("runs.csv", 3), "tags"], stdout_lacks=[",r-bad,"])
    add("fl-group-by-empty-tag", "unclear-error",
        ["report", "--group-by", "tag:", "run.json", "--out", "rep"], FLAG_ERROR,
        {"run.json": wrapped(job_run())},
        why="tag: with no key: refused naming the flag", stderr_has=["--group-by"])
    add("fl-collect-emr-bad-spot-discount", "unclear-error",
        ["collect", "emr", "--region", "us-east-1", "--spot-discount", "1.5", "--out", "ds"], FLAG_ERROR,
        why="a Spot discount of 150% would make Spot pay the user: refused naming the flag, no call made",
        stderr_has=["--spot-discount"])
    add("fl-collect-emr-bad-spot-history", "unclear-error",
        ["collect", "emr", "--region", "us-east-1", "--spot-history", "spot.json", "--out", "ds"], FLAG_ERROR,
        {"spot.json": b'{"SpotPriceHistory": [{"AvailabilityZone": "us-east-1a", "InstanceType": "m5.xlarge", '
                      b'"ProductDescription": "Linux/UNIX", "SpotPrice": "free", "Timestamp": "2026-01-01T00:00:00Z"}]}'},
        why="a Spot price that is not a number: the file and the row are named, no call made",
        stderr_has=["spot.json", "SpotPriceHistory[0].SpotPrice"])
    add("fl-collect-glue-zero-concurrency", "unclear-error",
        ["collect", "glue", "--region", "us-east-1", "--concurrency", "0", "--out", "ds"], FLAG_ERROR,
        why="no job could be paged: refused naming the flag",
        stderr_has=["--concurrency"])
    add("fl-auto-scaling-old-glue", "unclear-error",
        ["report", "--glue-sizing", "auto-scaling", "--glue-version", "2.0", "run.json",
         "--out", "rep"], FLAG_ERROR,
        {"run.json": wrapped(job_run())},
        why="Glue auto scaling exists from Glue 3.0: refused naming both flags",
        stderr_has=["--glue-sizing", "--glue-version"])

    # --- contradictory times.
    add("sw-end-before-start-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", duration_s="",
                                      started_at="2026-01-01T10:00:00Z",
                                      ended_at="2026-01-01T09:00:00Z"))},
        why="ended_at an hour before started_at: refused naming both columns",
        stderr_has=[loc("runs.csv", 3), "ended_at", "started_at"], stdout_lacks=[",r-bad,"])
    add("sw-end-before-start-with-duration-csv", "silent-wrong", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", duration_s="3600",
                                      started_at="2026-01-01T10:00:00Z",
                                      ended_at="2026-01-01T09:00:00Z"))},
        why="end before start even though duration_s is given: the times contradict, refused",
        stderr_has=[loc("runs.csv", 3), "ended_at"], stdout_lacks=[",r-bad,"])
    add("sw-end-before-start-jsonl", "silent-wrong", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run(), named("r-bad", endedAt="2026-10-02T02:31:00.000000+00:00"))},
        why="get-job-run endedAt before startedAt (totalExecutionDurationSeconds present)",
        stderr_has=[loc("runs.jsonl", 2), "re:(?i)ended_?at"], stdout_lacks=[",r-bad,"])
    add("fz-created-after-end-csv", "fuzzish", ["price", "--format", "csv", "runs.csv"], [0, 1],
        {"runs.csv": csv_bytes([run_row(created_at="2026-01-02T00:00:00Z",
                                        started_at="2026-01-01T10:00:00Z",
                                        ended_at="2026-01-01T10:30:00Z")],
                               CSV_COLUMNS + ["created_at"])},
        why="created_at after the run ended: a contradiction; either flagged or refused "
            "(unsure which is right), never a panic or a negative queue time",
        stdout_lacks=[",-"], stderr_has_on_error=["runs.csv", "created_at"])
    add("sw-eventlog-end-before-start", "silent-wrong",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG,
         "logs/backwards.log": event_log(app_id="app-backwards", end=T0 - 3600000)},
        why="an event log whose ApplicationEnd is an hour before ApplicationStart was "
            "priced as 0 s with no word: listed with the file (and not priced at 0 s)",
        output="ds",
        stderr_has=["backwards.log", "re:(?i)before|negative|earlier"])
    add("sw-eventlog-negative-timestamp", "silent-wrong",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(body=[ev_executor_added(1, -5000000000000),
                                    ev_executor_added(2, T0 + 1000),
                                    ev_executor_added(3, T0 + 1000)])},
        why="an ExecutorAdded with a negative timestamp inflated the average: the event is "
            "listed with file and line; peak at most 3 (unsure whether the executor should "
            "then count from the start or not at all)",
        output="ds",
        stderr_has=[loc("app.log", 4), "re:(?i)timestamp|negative|before"],
        output_has=[out_has("ds/details/eventlog-apps.csv", [r"re:,3600\.000,[0-3],[0-3]\.\d{4},"])])
    add("sw-eventlog-repeated-executor-added", "silent-wrong",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(body=[ev_executor_added(i, T0 + 1000) for i in (1, 2, 3)] * 3)},
        why="the same three ExecutorAdded events three times counted nine executors; the "
            "peak is 3 and the average 3 x 3599/3600 = 2.9992",
        output="ds",
        output_has=[out_has("ds/details/eventlog-apps.csv", [r"re:,3600\.000,3,2\.9992,"])])
    add("sw-eventlog-repeated-added-then-removed", "silent-wrong",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(body=[ev_executor_added(i, T0 + 1000) for i in (1, 2, 3)]
                              + [ev_executor_added(1, T0 + 600000),
                                 ev_executor_removed(1, T0 + 1800000)])},
        why="executor 1 added twice, removed once at 30 min: 3 alive until then, 2 after "
            "(peak 3, average (3 x 1799 + 2 x 1800) / 3600 = 2.4992), not 4 and 3",
        output="ds",
        output_has=[out_has("ds/details/eventlog-apps.csv", [r"re:,3600\.000,3,2\.499\d,"])])
    one_run = out_has("ds/eventlog-jobruns.csv", ["app-hx"], lines=2)
    add("sw-eventlog-symlink-self", "silent-wrong",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/app.log": event_log()},
        setup=[{"symlink": ["logs/self", "."]}],
        why="a folder holding self -> . imported the same application dozens of times; it "
            "is imported once and the link is reported (skipped or a cycle)",
        output="ds", stderr_has=["logs/self"], output_has=[one_run])
    add("sw-eventlog-symlink-parent", "silent-wrong",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/app.log": event_log()},
        setup=[{"symlink": ["logs/up", ".."]}],
        why="logs/up -> .. leads around the tree back into logs/: one application, once",
        output="ds", stderr_has=["logs/up"], output_has=[one_run])
    add("sw-eventlog-symlinked-file-twice", "silent-wrong",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/app.log": event_log()},
        setup=[{"symlink": ["logs/alias.log", "app.log"]}],
        why="a symlinked file is followed once: the same application found through a link "
            "and its target is one run, not two",
        output="ds", output_has=[one_run])


# ===========================================================================
# Panics and hangs: every one must end within its time limit with a clear
# message and no "panicked".


def panic_hang():
    run = {"run.json": wrapped(job_run())}
    # --since/--until N days from today overflowed a date and panicked, on
    # every command that has them (price, report, collect).
    for flag, value, tag in (("--since", "99999999d", "1e8d"), ("--until", "99999999d", "1e8d"),
                             ("--since", "9223372036854775807d", "i64max-d")):
        add(f"ph-{flag[2:]}-{tag}-price", "panic-hang",
            ["price", flag, value, "run.json"], FLAG_ERROR, run,
            why=f"price {flag} {value}: a date overflow panicked; refused naming the flag",
            stderr_has=[flag])
    add("ph-until-1e8d-report", "panic-hang",
        ["report", "--sample", "--until", "99999999d", "--out", "rep"], FLAG_ERROR,
        why="report --until 99999999d: refused before anything is written (no rep/)",
        stderr_has=["--until"])
    add("ph-since-1e8d-collect", "panic-hang",
        ["collect", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
         "--since", "99999999d", "--out", "ds"], FLAG_ERROR,
        why="collect --since 99999999d: refused before any call and before the dataset "
            "folder is made (the runner points AWS at nothing)",
        stderr_has=["--since"])
    for since, tag in ((["--since=-5d"], "negative-days"), (["--since", ""], "empty")):
        add(f"ph-since-{tag}", "panic-hang", ["price"] + since + ["run.json"], FLAG_ERROR, run,
            why=f"{' '.join(since)}: refused naming the flag, no panic",
            stderr_has=["--since"])
    add("ph-crossover-executors-1e300", "panic-hang",
        ["crossover", "--executors", "1e300", "--executor-vcpu", "4", "--executor-memory-gb", "14"],
        FLAG_ERROR, why="--executors 1e300 overflowed an integer in the Glue model (panic)",
        stderr_has=["--executors"])
    add("ph-crossover-executors-1e9", "fuzzish",
        ["crossover", "--executors", "1e9", "--executor-vcpu", "4", "--executor-memory-gb", "14"],
        [0, 1, 2], why="a billion executors: refused (plausibility) or solved; no panic/hang "
                       "(unsure whether a refusal is required)",
        stderr_has_on_error=["--executors"])
    add("ph-crossover-driver-memory-1e300", "panic-hang",
        ["crossover", "--executors", "4", "--executor-vcpu", "4", "--executor-memory-gb", "14",
         "--driver-memory-gb", "1e300"], FLAG_ERROR,
        why="--driver-memory-gb 1e300: refused naming the flag or the driver",
        stderr_has=["re:--driver-memory-gb|driver"])
    add("ph-synth-days-huge", "panic-hang",
        ["synth", "--runs", "5", "--days", "4294967295"], FLAG_ERROR,
        why="synth --days 4294967295 overflowed a date (panic in synth.rs)",
        stderr_has=["--days"])

    # Chart drawing loops forever once a total approaches f64's range: the
    # huge values are refused by the bounds, and nothing hangs.
    huge = [run_row(job_run_id=f"r-huge-{i}", application_id=f"app-{i % 3}",
                    billed_vcpu_hours="1.7e306") for i in range(40)]
    add("ph-chart-huge-usage-report", "panic-hang",
        ["report", "--strict", "runs.csv", "--out", "rep", "--format", "svg,md"], 3,
        {"runs.csv": csv_bytes([run_row()] + huge)},
        why="40 runs of 1.7e306 vCPU-hours (their sum overflows f64) made chart drawing "
            "loop forever; each is refused by the bounds and the report of the good run is "
            "written",
        output="rep", stderr_has=[loc("runs.csv", 3), "billed_vcpu_hours"])
    add("ph-chart-all-huge-report", "panic-hang",
        ["report", "runs.csv", "--out", "rep", "--format", "svg"], 1,
        {"runs.csv": csv_bytes(huge)},
        why="only huge runs: nothing to price, said with the first reason; no hang",
        output="rep", stderr_has=["runs.csv", "billed_vcpu_hours"])

    # Non-regular inputs: a FIFO with no writer blocks open() forever, a
    # device never ends.
    fifo_msg = "re:(?i)fifo|pipe|not a regular file|special file"
    add("ph-fifo-input-price", "panic-hang", ["price", "runs.json"], 1,
        setup=[{"fifo": "runs.json"}],
        why="price on a FIFO hung waiting for a writer; refused as not a regular file",
        stderr_has=["runs.json", fifo_msg], stderr_lacks=["no such file"])
    add("ph-fifo-in-folder-price", "panic-hang", ["price", "--format", "csv", "in"], 0,
        {"in/a.csv": csv_bytes([run_row()])}, setup=[{"fifo": "in/b.csv"}],
        why="a FIFO among a folder's CSVs: skipped with a line naming it; the rest priced",
        stderr_has=["b.csv"], stdout_has=[GOOD_USD])
    add("ph-fifo-in-folder-eventlog", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG}, setup=[{"fifo": "logs/pipe.log"}],
        why="a FIFO in an event-log folder: skipped with a line; the good log imported",
        output="ds", stderr_has=["pipe.log"])
    add("ph-fifo-pricing-file", "panic-hang",
        ["pricing", "show", "--pricing", "book"], 1,
        {"book/" + k: v for k, v in price_book().items() if k != "ebs.csv"},
        setup=[{"fifo": "book/ebs.csv"}],
        why="a FIFO as a --pricing file: refused naming it, no hang",
        stderr_has=["book/ebs.csv"])
    add("ph-devzero-input-price", "panic-hang", ["price", "zero.csv"], 1,
        setup=[{"symlink": ["zero.csv", "/dev/zero"]}],
        why="a link to /dev/zero read as CSV never ends: refused as not a regular file",
        stderr_has=["zero.csv"], stderr_lacks=["no such file"])
    add("ph-devzero-input-eventlog", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG}, setup=[{"symlink": ["logs/zero.log", "/dev/zero"]}],
        why="a link to /dev/zero in an event-log folder: skipped with a line naming it",
        output="ds", stderr_has=["zero.log"])

    # Symlink loops in folder walks.
    add("ph-symlink-loop-eventlog", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG},
        setup=[{"symlink": ["logs/a", "b"]}, {"symlink": ["logs/b", "a"]}],
        why="logs/a -> b -> a: reported as a link cycle naming it (not 'no such file'); the "
            "good log imported",
        output="ds", stderr_has=["re:logs/[ab]", "re:(?i)loop|cycle|symbolic link"],
        stderr_lacks=["no such file"])
    add("ph-symlink-fanout-eventlog", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG},
        setup=[{"symlink": ["logs/x", "."]}, {"symlink": ["logs/y", "."]}],
        why="two self links make 2^depth paths: the walk must not follow them (time and "
            "memory grew without bound); one application imported",
        output="ds", output_has=[out_has("ds/eventlog-jobruns.csv", ["app-good"], lines=2)])
    add("ph-symlink-loop-price", "panic-hang", ["price", "loop.csv"], 1,
        setup=[{"symlink": ["loop.csv", "loop2.csv"]}, {"symlink": ["loop2.csv", "loop.csv"]}],
        why="price on a symlink cycle: the message says so (not 'no such file')",
        stderr_has=["loop.csv", "re:(?i)loop|cycle|symbolic link"], stderr_lacks=["no such file"])

    # A newline-free decompressed stream was held in memory whole.
    def bomb(path):
        f = open(path, "wb")
        try:
            with gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9, mtime=0) as gz:
                gz.write(b'{"Event":"SparkListenerLogStart","Spark Version":"')
                block = b"A" * (1 << 20)
                for _ in range(300):
                    gz.write(block)
        finally:
            f.close()

    add("ph-eventlog-newline-free-gzip", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG, "logs/huge.gz": bomb},
        why="a .gz log that decompresses to 300 MB without a newline was held in memory "
            "whole; the reader stops at its stated line limit and names the file and the "
            "line or offset",
        output="ds", timeout_s=90,
        stderr_has=["huge.gz", "re:(?i)line|offset|byte|long|limit"])

    # Deep nesting and huge numbers in the JSON parsers.
    add("ph-json-deep-nesting", "panic-hang", ["price", "runs.json"], 1,
        {"runs.json": b"[" * 200000 + b"]" * 200000},
        why="200,000 nested arrays: a clear error (recursion limit) naming the file, no "
            "stack overflow",
        stderr_has=["runs.json"])
    add("ph-eventlog-deep-nesting", "panic-hang",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(body=[ev_executor_added(i, T0 + 1000) for i in (1, 2, 3)]
                              + ['{"Event":"SparkListenerExecutorAdded","Timestamp":'
                                 + str(T0 + 2000) + ',"Executor ID":"9","Executor Info":'
                                 + "[" * 100000 + "]" * 100000 + "}"])},
        why="an ExecutorAdded whose Executor Info is nested 100,000 deep: listed with file "
            "and line (recursion limit or wrong type), no stack overflow; the app imported",
        output="ds", stderr_has=[loc("app.log", 7)])
    add("ph-json-number-1e999999", "panic-hang", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run()) + jsonl(named("r-bad")).replace(
            b'"totalExecutionDurationSeconds": 1800', b'"totalExecutionDurationSeconds": 1e999999')},
        why="a number out of f64's range in JSON: that line refused naming the line",
        stderr_has=[loc("runs.jsonl", 2)], stdout_lacks=[",r-bad,"])
    add("ph-eventlog-timestamp-i64-max", "panic-hang",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG,
         "logs/far.log": event_log(app_id="app-far", start=0, end=9223372036854775807)},
        why="ApplicationStart at 0 and ApplicationEnd at i64::MAX ms: no overflow panic; the "
            "implausible runtime is listed with the file",
        output="ds", stderr_has=["far.log"])
    add("ph-eventlog-cores-huge", "panic-hang",
        ["import", "eventlog", "app.log", "--out", "ds"], [0, 1],
        {"app.log": event_log(props={"spark.executor.cores": "2147483647",
                                     "spark.executor.memory": "9999999999999g"},
                              body=[ev_executor_added(1, T0 + 1000, cores=2147483647)])},
        why="2^31-1 cores and a 10^13 GB heap per executor: refused or flagged with the "
            "file, no overflow panic",
        output="ds", stderr_has=["app.log"])
    for column, value in (("started_at", "99999999999999999999"),
                          ("attempt", "99999999999999999999")):
        add(f"ph-csv-{column}-{value[:6]}-overflow", "panic-hang",
            PRICE_CSV_STRICT + ["runs.csv"], 3,
            {"runs.csv": csv_bytes([run_row(), run_row(job_run_id="r-bad", **{column: value})],
                                   CSV_COLUMNS + (["attempt"] if column == "attempt" else []))},
            why=f"{column} {value}: out of range, refused naming the column, no overflow panic",
            stderr_has=[loc("runs.csv", 3), column], stdout_lacks=[",r-bad,"])


# ===========================================================================
# Files clobbered or lost.


def clobber():
    run = {"run.json": wrapped(job_run())}
    not_regular = "re:(?i)not a regular file|fifo|pipe|device|special"
    price_out = ["price", "run.json", "--format", "csv", "--out"]
    add("cl-price-out-fifo", "clobber", price_out + ["out.csv"], 1, run,
        setup=[{"fifo": "out.csv"}],
        why="price --out onto a FIFO replaced it with a regular file and exited 0; refused, "
            "the FIFO left as it was",
        stderr_has=["out.csv", not_regular])
    add("cl-price-out-devnull-link", "clobber", price_out + ["devnull"], 1, run,
        setup=[{"symlink": ["devnull", "/dev/null"]}],
        why="--out onto a link to /dev/null (a device node) replaced the link with a file "
            "(as root --out /dev/null would replace the machine's /dev/null); refused, the "
            "link and /dev/null untouched",
        stderr_has=["devnull", not_regular])
    add("cl-price-out-folder", "clobber", price_out + ["outdir"], 1,
        {**run, "outdir/keep.txt": b"mine\n"},
        why="--out onto a folder: refused naming it; the folder and its file untouched",
        stderr_has=["outdir"])
    add("cl-price-out-is-input-via-link", "clobber",
        ["price", "--format", "csv", "runs.csv", "--out", "alias.csv"], 1,
        {"runs.csv": csv_bytes([run_row()])}, setup=[{"symlink": ["alias.csv", "runs.csv"]}],
        why="--out is a link to the input: writing would replace the runs with their "
            "prices; refused like --out onto the input itself",
        stderr_has=["alias.csv"])
    add("cl-price-out-is-input-via-hardlink", "clobber",
        ["price", "--format", "csv", "runs.csv", "--out", "same.csv"], 1,
        {"runs.csv": csv_bytes([run_row()])}, setup=[{"hardlink": ["same.csv", "runs.csv"]}],
        why="--out is a hard link to the input (same inode): refused",
        stderr_has=["same.csv"])
    add("cl-synth-out-fifo", "clobber", ["synth", "--runs", "5", "--out", "s.csv"], 1,
        setup=[{"fifo": "s.csv"}],
        why="synth --out onto a FIFO: refused, the FIFO left in place",
        stderr_has=["s.csv", not_regular])
    add("cl-report-out-fifo", "clobber", ["report", "run.json", "--out", "rep"], 1, run,
        setup=[{"fifo": "rep"}],
        why="report --out naming a FIFO (not a folder): refused, the FIFO left in place",
        stderr_has=["rep"])
    add("cl-report-out-devnull-link", "clobber", ["report", "run.json", "--out", "rep"], 1, run,
        setup=[{"symlink": ["rep", "/dev/null"]}],
        why="report --out onto a link to /dev/null: refused, nothing replaced",
        stderr_has=["rep"])
    add("cl-report-out-regular-file", "clobber", ["report", "run.json", "--out", "notes.txt"], 1,
        {**run, "notes.txt": b"my notes\n"},
        why="report --out naming an existing regular file: refused, the file kept",
        stderr_has=["notes.txt"])
    add("cl-report-fifo-inside-out", "clobber", ["report", "run.json", "--out", "rep"], 1, run,
        setup=[{"fifo": "rep/report.md"}],
        why="a FIFO where report.md goes: refused (or the write hangs on it); left in place",
        stderr_has=["report.md"])
    add("cl-report-keeps-input-in-out", "clobber",
        ["report", "rep/runs.csv", "--out", "rep", "--format", "md,json"], [0, 1],
        {"rep/runs.csv": csv_bytes([run_row()])},
        why="the input lives in the --out folder: swapping the report folder in as a whole "
            "must not lose it (refusing is also fine)",
        output="rep",
        output_has=[out_has("rep/runs.csv", ["r-good,nightly"])],
        stderr_has_on_error=["rep"])
    add("cl-report-out-dot", "clobber",
        ["report", "runs.csv", "--out", ".", "--format", "md,json,csv"], [0, 1],
        {"runs.csv": csv_bytes([run_row()]), "keep.txt": b"unrelated\n"},
        why="report --out . (the working folder holding the input and other files): only "
            "the report's own files may change",
        output=["report.md", "report.json", "summary.csv", "jobs.csv", "crossovers.csv"],
        stderr_has_on_error=["--out"])
    add("cl-report-stale-charts", "clobber",
        ["report", "new.csv", "--out", "rep", "--format", "svg,md"], 0,
        {"old.csv": csv_bytes([run_row(application_id="app-old", application_name="old-app")]),
         "new.csv": csv_bytes([run_row(application_id="app-new", application_name="new-app")])},
        setup=[{"run": ["report", "old.csv", "--out", "rep", "--format", "svg,md"]}],
        why="a re-run left the previous run's charts in rep/charts: the folder must hold "
            "only charts of this run",
        output="rep",
        output_has=[{"dir": "rep/charts", "names_with": "old", "count": 0},
                    {"dir": "rep/charts", "names_with": "new", "count": 2}])
    add("cl-report-stale-formats", "clobber",
        ["report", "new.csv", "--out", "rep", "--format", "md"], 0,
        {"old.csv": csv_bytes([run_row(application_id="app-old", application_name="old-app")]),
         "new.csv": csv_bytes([run_row(application_id="app-new", application_name="new-app")])},
        setup=[{"run": ["report", "old.csv", "--out", "rep", "--format", "md,json,csv"]}],
        why="a re-run with --format md left report.json and the CSVs of the previous "
            "inputs beside the new report.md, so the folder describes two inputs (unsure: "
            "a manifest naming the current files would also do)",
        output="rep",
        output_has=[out_has("rep/report.json", absent=True),
                    out_has("rep/jobs.csv", absent=True)])
    add("cl-report-chart-names-collide", "clobber",
        ["report", "runs.csv", "--out", "rep", "--format", "svg"], 0,
        {"runs.csv": csv_bytes([run_row(application_id=a, application_name=n, job_run_id="r-" + a)
                                for a, n in (("a1", "."), ("a2", "!!!"), ("a3", "日本語"))])},
        why="application names '.', '!!!' and '日本語' all slugged to one chart file (and "
            "the summary counted files that no longer exist): three of each chart",
        output="rep",
        output_has=[{"dir": "rep/charts", "names_with": "cost-vs-runtime", "count": 3},
                    {"dir": "rep/charts", "names_with": "runtime-histogram", "count": 3}])
    add("cl-import-out-fifo-dataset-file", "clobber",
        ["import", "eventlog", "app.log", "--out", "ds"], 1,
        {"app.log": GOOD_LOG}, setup=[{"fifo": "ds/eventlog-jobruns.csv"}],
        why="the dataset's eventlog-jobruns.csv is a FIFO: refused naming it, nothing "
            "written",
        stderr_has=["eventlog-jobruns.csv"])
    add("cl-import-keeps-unreadable-rows", "clobber",
        ["import", "eventlog", "app.log", "--out", "ds"], [0, 1],
        {"app.log": event_log(),
         "ds/eventlog-jobruns.csv": csv_bytes([
             run_row(application_id="eventlog:kept", job_run_id="app-kept"),
             run_row(application_id="eventlog:broken", job_run_id="app-broken",
                     billed_vcpu_hours="not-a-number")])},
        why="importing into a dataset with an unreadable row deleted that row without a "
            "word: the row stays (or the import is refused naming the file and line)",
        output="ds",
        output_has=[out_has("ds/eventlog-jobruns.csv", ["app-kept", "not-a-number"])],
        stderr_has=["eventlog-jobruns.csv"])
    book = {"book/" + k: v for k, v in price_book().items()}
    offers = offers_tree()
    outside = dict(offers)
    glue_index = "offers/v1.0/aws/AWSGlue/current/region_index.json"
    glue_us = "offers/v1.0/aws/AWSGlue/20261101000000/us-east-1/index.json"
    outside[glue_index] = outside[glue_index].replace(
        b"/offers/v1.0/aws/AWSGlue/20261101000000/us-east-1/index.json",
        b"/offers/v1.0/aws/AWSGlue/../../../../../outside/glue.json")
    add("cl-pricing-update-index-outside-from", "clobber",
        ["pricing", "update", "--from", "src", "--regions", "us-east-1,eu-west-1",
         "--out", "book"], 1,
        {**{"src/" + k: v for k, v in outside.items()}, "outside/glue.json": offers[glue_us],
         **book},
        why="a region index pointing outside the --from folder (/../) was followed and what "
            "it found stored with confidence aws; refused naming the index or the URL, and "
            "the old snapshot left as it was",
        stderr_has=["re:region_index\\.json|outside|\\.\\./"])
    truncated = dict(offers)
    truncated[glue_us] = offers[glue_us][: len(offers[glue_us]) // 2]
    add("cl-pricing-update-truncated-offer", "clobber",
        ["pricing", "update", "--from", "src", "--regions", "us-east-1,eu-west-1",
         "--out", "book"], 1,
        {**{"src/" + k: v for k, v in truncated.items()}, **book},
        why="a truncated offer file stops the update with the file named; the old snapshot "
            "is left as it was and no .staging-* folder stays behind",
        stderr_has=["us-east-1/index.json"])
    add("cl-pricing-update-out-fifo-file", "clobber",
        ["pricing", "update", "--from", "src", "--regions", "us-east-1,eu-west-1",
         "--out", "book"], 1,
        {**{"src/" + k: v for k, v in offers.items()},
         **{k: v for k, v in book.items() if k != "book/ebs.csv"}},
        setup=[{"fifo": "book/ebs.csv"}],
        why="a FIFO in the --out snapshot folder: refused naming it (reading it as the base "
            "would hang; replacing it would clobber it)",
        stderr_has=["ebs.csv"])


# ===========================================================================
# Output injection: spreadsheet formulas in the CSVs emrcost writes for
# people, terminal escapes on the terminal.

FORMULAS = [  # (tag, the hostile text, what the cell must start with once made safe)
    ("eq", '=HYPERLINK("http://example.invalid","x")', "'=HYPERLINK("),
    ("plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|"),
    ("minus", "-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|"),
    ("at", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)"),
    # A reader may drop the leading tab or CR; then "=1+1" must be prefixed.
    ("tab", "\t=1+1", "re:'\t?=1\\+1"),
    ("cr", "\r=1+1", "re:'\r?=1\\+1"),
]


def raw_cell_patterns(text):
    """The unsafe forms a cell can take in CSV: bare after a comma or at the
    start of a line, or quoted; for a leading tab or CR, also the text after
    it (a reader that trims it must still prefix what is left)."""
    forms = [text] + ([text[1:]] if text[0] in "\t\r" else [])
    out = []
    for t in forms:
        out += ["," + t, '"' + t.replace('"', '""'), "\n" + t]
    return out


def injection():
    for tag, text, safe in FORMULAS:
        lacks = raw_cell_patterns(text)
        in_report = tag in ("eq", "tab", "cr")
        # Leading tab and CR are trimmed by the CSV reader, so those two come
        # in through get-job-run JSON ("name"), which keeps them.
        runs = jsonl(job_run(name=text))
        add(f"inj-price-csv-out-{tag}", "injection",
            ["price", "--format", "csv", "--out", "out.csv", "runs.jsonl"], 0,
            {"runs.jsonl": runs},
            why=f"a job name starting with {tag!r} written as is into price's CSV is a "
                "spreadsheet formula; the cell must start with a single quote (OWASP)",
            output="out.csv", output_has=[out_has("out.csv", [safe], lacks)])
        if not in_report:
            continue
        add(f"inj-report-jobs-csv-{tag}", "injection",
            ["report", "runs.jsonl", "--out", "rep", "--format", "csv", "--group-by", "job-name"], 0,
            {"runs.jsonl": runs},
            why=f"the same job name ({tag}) in report's jobs.csv and summary.csv (grouped by "
                "job name)",
            output="rep",
            output_has=[out_has("rep/jobs.csv", [safe], lacks),
                        out_has("rep/summary.csv", [safe], lacks)])
    tag, text, safe = FORMULAS[2]
    add("inj-price-csv-stdout-app-name-minus", "injection",
        ["price", "--format", "csv", "runs.csv"], 0,
        {"runs.csv": csv_bytes([run_row(application_name=text)])},
        why="an application name starting with '-' from an emrcost CSV, in price's CSV on "
            "stdout (a CSV for people too)",
        stdout_has=[safe], stdout_lacks=raw_cell_patterns(text))
    text, safe = FORMULAS[0][1], FORMULAS[0][2]
    add("inj-report-app-id-and-name", "injection",
        ["report", "runs.csv", "--out", "rep", "--format", "csv"], 0,
        {"runs.csv": csv_bytes([run_row(application_id="=1+1", application_name=text)])},
        why="a formula as the application id and another as its name: every CSV the report "
            "writes (jobs, summary, crossovers) prefixes them",
        output="rep",
        output_has=[out_has("rep/jobs.csv", ["'=1+1", safe],
                            raw_cell_patterns("=1+1") + raw_cell_patterns(text)),
                    out_has("rep/summary.csv", ["'=1+1"], raw_cell_patterns("=1+1")
                            + raw_cell_patterns(text)),
                    out_has("rep/crossovers.csv", ["'=1+1"], raw_cell_patterns("=1+1"))])
    add("inj-eventlog-details-app-name", "injection",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(name=text)},
        why="a formula as the Spark app name, in details/eventlog-apps.csv (a CSV for people)",
        output="ds",
        output_has=[out_has("ds/details/eventlog-apps.csv", [safe], raw_cell_patterns(text))])
    add("inj-pricing-diff-csv", "injection",
        ["pricing", "diff", "builtin", "book", "--format", "csv"], [0, 1],
        {"book/" + k: v for k, v in price_book(**{"serverless.csv": (
            "region,architecture,vcpu_hour_usd,memory_gb_hour_usd,storage_gb_hour_usd,source,confidence,effective_date\n",
            "region,architecture,vcpu_hour_usd,memory_gb_hour_usd,storage_gb_hour_usd,source,confidence,effective_date\n"
            "=cmd,x86_64,0.05,0.005,0.0001,pkb-emr-serverless,gen,2026-11-23\n")}).items()},
        why="pricing diff --format csv on a book with a region named '=cmd': the Key cell is "
            "prefixed (refusing the region name, naming the file, is also fine)",
        stdout_lacks=[",=cmd", "\n=cmd"], stderr_has_on_error=["serverless.csv"])

    # Terminal escapes: ESC (and the 8-bit CSI, U+009B) must not reach the
    # terminal raw, on stdout or stderr. emrcost writes data bytes exactly to
    # a pipe or a file, so the stdout cases run on a pseudo-terminal (tty).
    esc_name = "\x1b[2J\x1b]0;pwned\x07evil\u009b31m"
    no_escapes = ["\x1b", "\u009b", "\x07"]
    add("inj-esc-price-table", "injection", ["price", "runs.jsonl"], 0,
        {"runs.jsonl": jsonl(job_run(name=esc_name))},
        why="a job name with ESC[2J (clear screen), an OSC title and CSI: price's table on "
            "the terminal shows them escaped",
        stdout_has=["evil"], stdout_lacks=no_escapes, tty=True)
    add("inj-esc-report-summary", "injection",
        ["report", "runs.csv", "--out", "rep", "--format", "md", "--group-by", "job-name"], 0,
        {"runs.csv": csv_bytes([run_row(job_name=esc_name, application_name=esc_name)])},
        why="ESC in job and application names: report's terminal summary and crossover "
            "lines show them escaped",
        output="rep", stdout_has=["evil"], stdout_lacks=no_escapes, tty=True)
    add("inj-esc-rejected-row-stderr", "injection", PRICE_CSV_STRICT + ["runs.csv"], 3,
        {"runs.csv": good_and(run_row(job_run_id="r-bad", state=esc_name))},
        why="an unknown job state holding ESC sequences is quoted in the rejection on "
            "stderr: escaped, not sent raw",
        stderr_has=[loc("runs.csv", 3), "re:(?i)state"], stderr_lacks=no_escapes)
    add("inj-esc-eventlog-app-name", "injection",
        ["import", "eventlog", "app.log", "--out", "ds"], 0,
        {"app.log": event_log(name=esc_name)},
        why="ESC in a Spark app name: import's table on the terminal shows it escaped",
        output="ds", stdout_has=["evil"], stdout_lacks=no_escapes, stderr_lacks=no_escapes,
        tty=True)
    add("inj-esc-file-name", "injection", ["price", "bad\x1b[2J.csv"], 1,
        {"bad\x1b[2J.csv": b"application_id,job_run_id,state\n"},
        why="a file name holding ESC[2J, quoted in an error message: escaped",
        stderr_has=["bad"], stderr_lacks=no_escapes)


# ===========================================================================
# Unclear errors: the message must say what is wrong and where.


def unclear_error():
    # Wrong types in get-job-run JSON were "missing applicationId" or a bare
    # serde message with no field name.
    for field, value in (("applicationId", 12), ("state", 7), ("attempt", "one")):
        add(f"ue-json-wrong-type-{field}", "unclear-error", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
            {"runs.jsonl": jsonl(job_run(), named("r-bad", **{field: value}))},
            why=f"{field} of the wrong JSON type: the message names the field and line "
                "(not 'missing applicationId', not a bare serde message)",
            stderr_has=[loc("runs.jsonl", 2), field], stdout_lacks=[",r-bad,"])
    add("ue-json-wrong-type-usage-string", "unclear-error", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run(), named("r-bad", **usage(total={"vCPUHour": "abc"})))},
        why="totalResourceUtilization.vCPUHour 'abc': the message names the field",
        stderr_has=[loc("runs.jsonl", 2), "vCPUHour"], stdout_lacks=[",r-bad,"])
    add("ue-json-wrong-type-object-in-array", "unclear-error", PRICE_CSV_STRICT + ["runs.json"], 3,
        {"runs.json": json.dumps([job_run(), named("r-bad", applicationId=["x"])]).encode()},
        why="a wrong type in the second run of an array: the field is named (and which run)",
        stderr_has=["runs.json", "applicationId"], stdout_lacks=[",r-bad,"])

    # Encodings.
    text = wrapped(job_run()).decode()
    utf16 = "re:(?i)utf-?16"
    add("ue-json-utf16-le-bom", "unclear-error", ["price", "run.json"], 1,
        {"run.json": text.encode("utf-16")},
        why="UTF-16 (with its byte-order mark) got 'is it compressed?': say it is UTF-16",
        stderr_has=["run.json", utf16], stderr_lacks=["compressed"])
    add("ue-csv-utf16-le-bom", "unclear-error", ["price", "runs.csv"], 1,
        {"runs.csv": csv_bytes([run_row()]).decode().encode("utf-16")},
        why="a UTF-16 CSV got a CSV parser's 'invalid utf-8 in field 0': say UTF-16",
        stderr_has=["runs.csv", utf16])
    add("ue-json-utf8-bom", "unclear-error", ["price", "--format", "csv", "run.json"], 0,
        {"run.json": b"\xef\xbb\xbf" + text.encode()},
        why="a UTF-8 byte-order mark before JSON: read as if absent",
        stdout_has=[GOOD_USD])
    add("ue-csv-utf8-bom", "unclear-error", ["price", "--format", "csv", "runs.csv"], 0,
        {"runs.csv": b"\xef\xbb\xbf" + csv_bytes([run_row()])},
        why="a UTF-8 BOM before the CSV header: the first column is still 'region'",
        stdout_has=[GOOD_USD])
    add("ue-gzip-csv-given-to-price", "unclear-error", ["price", "runs.csv.gz"], 1,
        {"runs.csv.gz": gzip.compress(csv_bytes([run_row()]), mtime=0)},
        why="a gzip file given to price: the message says it is compressed",
        stderr_has=["runs.csv.gz", "re:(?i)compress|gzip"])

    # ARNs.
    for tag, arn in (("not-emr", "arn:aws:foo"),
                     ("no-region", "arn:aws:emr-serverless::123456789012:/applications/a/jobruns/b")):
        add(f"ue-json-arn-{tag}", "unclear-error", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
            {"runs.jsonl": jsonl(job_run(), named("r-bad", arn=arn))},
            why=f"a malformed arn ({arn!r}) was reported as 'no arn' / 'region is empty': "
                "say the arn is malformed",
            stderr_has=[loc("runs.jsonl", 2), "re:(?i)arn"], stdout_lacks=[",r-bad,"])

    # End before start: the message must not be "has neither a duration nor
    # startedAt and endedAt".
    add("ue-json-end-before-start-no-duration", "unclear-error", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run(), named("r-bad", endedAt="2026-10-02T02:31:00Z",
                                              totalExecutionDurationSeconds=DELETE))},
        why="endedAt before startedAt and no duration: say end is before start",
        stderr_has=[loc("runs.jsonl", 2), "re:(?i)before"],
        stderr_lacks=["has neither a duration"], stdout_lacks=[",r-bad,"])
    add("ue-json-nan-token", "unclear-error", PRICE_CSV_STRICT + ["runs.jsonl"], 3,
        {"runs.jsonl": jsonl(job_run()) + jsonl(named("r-bad")).replace(
            b'"vCPUHour": 10.5', b'"vCPUHour": NaN')},
        why="a bare NaN token in JSON (invalid JSON): the line is named, not 'negative'",
        stderr_has=[loc("runs.jsonl", 2)], stderr_lacks=[NOT_NEGATIVE_MSG])

    # The window.
    add("ue-window-leaves-nothing", "unclear-error",
        ["price", "--since", "2030-01-01", "run.json"], 1,
        {"run.json": wrapped(job_run())},
        why="a window that leaves no runs said '0 records rejected': name --since/--until",
        stderr_has=["--since"])
    add("ue-window-until-leaves-nothing", "unclear-error",
        ["report", "run.json", "--until", "2001-01-01", "--out", "rep"], 1,
        {"run.json": wrapped(job_run())},
        why="--until before every run: said so, naming --until; no report written",
        stderr_has=["--until"])

    # "A FIFO or a symlink cycle says 'no such file or folder'": those two are
    # ph-fifo-input-price and ph-symlink-loop-price (they also hung).
    add("ue-symlink-dangling", "unclear-error", ["price", "gone.csv"], 1,
        setup=[{"symlink": ["gone.csv", "nowhere/runs.csv"]}],
        why="a dangling link: the message says the link's target is missing (naming the "
            "link)",
        stderr_has=["gone.csv"])

    # Price books: an empty file was accepted; errors named the built-in file.
    add("ue-pricing-empty-file", "unclear-error", ["pricing", "show", "--pricing", "book"], 1,
        {"book/" + k: v for k, v in price_book(**{"glue_prices.csv": b""}).items()},
        why="an empty glue_prices.csv in a --pricing folder: refused naming that file",
        stderr_has=["book/glue_prices.csv", "re:(?i)empty"])
    add("ue-pricing-missing-file", "unclear-error", ["pricing", "show", "--pricing", "book"], 1,
        {"book/" + k: v for k, v in price_book().items() if k != "ec2_prices.csv"},
        why="a --pricing folder without ec2_prices.csv: names book/ec2_prices.csv",
        stderr_has=["book/ec2_prices.csv"])
    line = book_line("glue_prices.csv", "us-west-2,standard")
    add("ue-pricing-names-given-folder", "unclear-error",
        ["pricing", "show", "--pricing", "{dir}/mybook"], 1,
        {"mybook/" + k: v for k, v in price_book(**{"glue_prices.csv": (
            "us-west-2,standard,0.44", "us-west-2,standard,-0.44")}).items()},
        why="an error in a --pricing folder must name that folder's file (an absolute "
            "path here), not the built-in pricing/glue_prices.csv",
        stderr_has=["re:mybook/glue_prices\\.csv:" + str(line) + r"\b"])

    # CSV shape errors (these hold today; kept so they stay that way).
    add("ue-csv-missing-required-column", "unclear-error", ["price", "runs.csv"], 1,
        {"runs.csv": b"application_id,state\na,SUCCESS\n"},
        why="no job_run_id column: the column is named",
        stderr_has=["runs.csv", "job_run_id"])
    add("ue-empty-file", "unclear-error", ["price", "runs.csv"], 1, {"runs.csv": b""},
        why="an empty file: said empty", stderr_has=["runs.csv", "re:(?i)empty"])
    add("ue-csv-nul-bytes", "unclear-error", PRICE_CSV_STRICT + ["runs.csv"], [1, 3],
        {"runs.csv": csv_bytes([run_row(), run_row(job_run_id="r-bad", state="SUC@CESS")])
         .replace(b"SUC@CESS", b"SUC\x00CESS")},
        why="NUL bytes in a cell: the line is named",
        stderr_has=[loc("runs.csv", 3)], stdout_lacks=[",r-bad,"])
    add("ue-binary-garbage-csv", "unclear-error", ["price", "runs.csv"], 1,
        {"runs.csv": random.Random(13).randbytes(4096)},
        why="4 kB of random bytes named .csv: the file is named with what is wrong",
        stderr_has=["runs.csv"])

    # Event-log file problems, listed per file.
    add("ue-eventlog-wrong-suffix", "unclear-error",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG, "logs/plain.zstd": event_log(app_id="app-plain")},
        why="a plain log named .zstd: listed with the file (wrong compression suffix)",
        output="ds", stderr_has=["plain.zstd"])
    add("ue-eventlog-truncated-gzip", "unclear-error",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG,
         "logs/cut.gz": gzip.compress(event_log(app_id="app-cut"), mtime=0)[:200]},
        why="a gzip log cut short: listed with the file",
        output="ds", stderr_has=["cut.gz"])
    add("ue-eventlog-utf16", "unclear-error",
        ["import", "eventlog", "logs", "--out", "ds"], 0,
        {"logs/good.log": GOOD_LOG,
         "logs/wide.log": event_log(app_id="app-wide").decode().encode("utf-16")},
        why="a UTF-16 event log: listed saying UTF-16, not a line of garbage",
        output="ds", stderr_has=["wide.log", utf16])

    # Flag values.
    for args, flag in ((["report", "--sample", "--group-by", "nonsense", "--out", "rep"], "--group-by"),
                       (["report", "--sample", "--format", "html,xyz", "--out", "rep"], "--format"),
                       (["import", "eventlog", "app.log", "--region", "xx-nowhere-9",
                         "--out", "ds"], "--region")):
        add(f"ue-flag-{flag[2:]}-{args[0]}", "unclear-error", args, FLAG_ERROR,
            {"run.json": wrapped(job_run()), "app.log": GOOD_LOG},
            why=f"an unusable {flag} value: refused naming the flag, nothing written",
            stderr_has=[flag])


# ===========================================================================
# Fuzz-like mutations: seeded byte flips, cuts and insertions of valid
# inputs. Any clean outcome is fine (exit 0, 1 or 3); a failure must name the
# file; never a panic or a hang.


def mutate(data, rng, kind):
    b = bytearray(data)
    if kind == "flip":
        for _ in range(8):
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    elif kind == "cut":
        b = b[: rng.randrange(1, len(b))]
    elif kind == "insert":
        for _ in range(4):
            i = rng.randrange(len(b))
            b[i:i] = rng.choice([b"\x00", b"\xff\xfe", b'"', b"\n", b",", b"{", b"\x1b[",
                                 b"1e999", b"-", b"\r\n", "\u2028".encode()])
    return bytes(b)


def fuzzish():
    rng = random.Random(20261)
    seeds = {
        "csv": ("runs.csv", ["price", "--format", "csv", "runs.csv"],
                csv_bytes([run_row(job_run_id=f"r-{i}") for i in range(20)])),
        "jsonl": ("runs.jsonl", ["price", "--format", "csv", "runs.jsonl"],
                  jsonl(*[named(f"r-{i}") for i in range(10)])),
        "json": ("runs.json", ["price", "--format", "csv", "runs.json"],
                 json.dumps([named(f"r-{i}") for i in range(5)], indent=2).encode()),
        "eventlog": ("app.log", ["import", "eventlog", "app.log", "--out", "ds"],
                     event_log(body=[ev_executor_added(i, T0 + 1000 * i) for i in range(1, 9)]
                               + [ev_executor_removed(i, T0 + 60000 * i) for i in range(1, 5)])),
        "parquet": ("runs.parquet", ["price", "--format", "csv", "runs.parquet"],
                    parquet_runs([pq_row(f"r-{i}") for i in range(5)])),
    }
    kinds = {"csv": ["flip", "cut", "insert"],
             "jsonl": ["flip", "insert"],
             "json": ["cut"],
             "eventlog": ["flip", "insert"],
             "parquet": ["flip", "cut"]}
    for fmt, (file, args, data) in seeds.items():
        for n, kind in enumerate(kinds[fmt]):
            add(f"fz-{fmt}-{kind}-{n}", "fuzzish", args, [0, 1, 3],
                {file: mutate(data, rng, kind)},
                why=f"seeded {kind} mutation of a valid {fmt} input: any clean outcome; a "
                    "failure names the file; never a panic or a hang",
                output="ds" if fmt == "eventlog" else None,
                stderr_has_on_error=[file])
    # Long lines below the stated limits.
    add("fz-csv-1mb-job-name", "fuzzish", ["price", "--format", "csv", "runs.csv"], [0, 1, 3],
        {"runs.csv": csv_bytes([run_row(job_name="N" * 1_500_000)])},
        why="a 1.5 MB job name in a CSV: priced or refused with the line, no blow-up",
        stderr_has_on_error=["runs.csv"])
    add("fz-eventlog-newline-free-plain", "fuzzish",
        ["import", "eventlog", "logs", "--out", "ds"], [0, 1],
        {"logs/good.log": GOOD_LOG, "logs/one-line.log": b"{" + b"x" * 1_900_000},
        why="a 1.9 MB event log with no newline: listed with the file, the other imported",
        output="ds", stderr_has=["one-line.log"])
    add("fz-csv-open-quote", "fuzzish", ["price", "runs.csv"], [0, 1, 3],
        {"runs.csv": csv_bytes([run_row()]) + b'us-east-1,app-good,"open\n' + b"x,y\n" * 20000},
        why="a quote left open for 20,000 lines: the line it opened on is named",
        stderr_has=[loc("runs.csv", 3)])
    add("fz-duration-tiny", "fuzzish", PRICE_CSV_STRICT + ["runs.csv"], [0, 3],
        {"runs.csv": good_and(run_row(job_run_id="r-tiny", duration_s="1e-300"))},
        why="1e-300 s with 10.5 vCPU-hours implies 4e304 concurrent vCPUs (unsure whether "
            "it must be refused); no panic or hang",
        stderr_has_on_error=[loc("runs.csv", 3), "duration_s"])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUT_DIR")
    root = Path(sys.argv[1])
    if root.exists() and any(root.iterdir()):
        sys.exit(f"{root}: not empty; give a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    silent_wrong()
    panic_hang()
    clobber()
    injection()
    unclear_error()
    fuzzish()
    for case in CASES:
        case.write(root)
    counts = {}
    for case in CASES:
        counts[case.cls] = counts.get(case.cls, 0) + 1
    print(f"{len(CASES)} cases in {root}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
