"""A local AWS for emrcost's tests: moto, in-process, behind a small front.

Stock moto (see ../shared/FACTS.md section 10) answers EMR Serverless and
CloudWatch, but it cannot seed job runs with usage and timestamps, it
speaks no CBOR for CloudWatch, and it never throttles. This front adds:

* seeding and later changing job runs, applications and metrics
  (POST /_emu/seed, /_emu/update, /_emu/metrics);
* CBOR (Smithy RPC v2) to JSON 1.0 translation for CloudWatch, so the
  current aws-sdk-cloudwatch works against moto;
* the EMR Serverless rate quotas, one token bucket per operation, scaled
  by a factor (POST /_emu/config {"quota_scale": 10});
* faults at a configurable rate: throttling, 500s and slow answers;
* a request log (GET /_emu/log) that tests read to prove what was called;
* scripted job runs for `emrcost bench` (POST /_emu/script): a run started
  with StartJobRun moves through QUEUED, SCHEDULED, RUNNING and its final
  state over the scripted seconds, with the timestamps, queue time and
  usage the script gives; billed usage arrives a scripted delay after the
  end. Stock moto answers SUCCESS at once with zero usage;
* the architecture CreateApplication asks for (moto drops it);
* seeded Glue jobs and run histories (POST /_emu/glue_seed): GetJobs and
  GetJobRuns answered with paging, DPUSeconds and real ExecutionTimes;
* seeded EMR on EC2 clusters (POST /_emu/emr_seed): ListClusters,
  DescribeCluster, ListInstances and ListSteps answered with instances
  that end and steps that finish;
* scripted Glue runs (WAITING, STARTING, RUNNING, with ExecutionTime and
  DPUSeconds) and BatchStopJobRun, which moto lacks;
* scripted EMR on EC2 clusters and steps: moto's steps never end and its
  instances never stop (FACTS.md section 15). A cluster started with
  RunJobFlow for a scripted arm provisions, runs its step and terminates
  over the scripted seconds, its instance groups' timelines with it; a
  step added to a scripted existing cluster waits and runs likewise;
  CancelSteps (moto lacks it) cancels a scripted step.

Run: python front.py --port-file FILE   (port 0 = any free loopback port)
"""

import argparse
import datetime as dt
import json
import random
import re
import sys
import threading
import time

import cbor2
from moto.cloudwatch.models import cloudwatch_backends
from moto.emrserverless.models import emrserverless_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/emrcost-test"

# Per-account-and-region quotas, requests per second and burst
# (FACTS.md section 5, from the AWS endpoints-and-quotas page).
QUOTAS = {
    "CreateApplication": (1.0, 25),
    "StartApplication": (1.0, 25),
    "StopApplication": (1.0, 25),
    "DeleteApplication": (1.0, 25),
    "GetJobRun": (10.0, 50),
    "GetApplication": (10.0, 50),
    "ListApplications": (10.0, 50),
    "ListJobRuns": (1.0, 25),
    "StartJobRun": (1.0, 25),
    "CancelJobRun": (1.0, 25),
}


class Bucket:
    def __init__(self, rate, burst):
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), time.monotonic()
        self.lock = threading.Lock()

    def take(self):
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
            self.at = now
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.enforce_quotas = False
        self.quota_scale = 1.0
        self.fault_rate = 0.0  # share of calls that fail (throttle or 500)
        self.slow_rate = 0.0  # share of calls answered slowly
        self.slow_ms = 0
        self.rng = random.Random(7)
        self.buckets = {}
        self.reset_buckets()
        # arm label -> the scripts of its runs, in submission order
        self.scripts = {}
        # (application id, job run id) -> (script, start time, cancelled at)
        self.scripted = {}
        # Glue job name -> its runs' scripts; run id -> [script, start, stopped at, job]
        self.glue_scripts = {}
        self.glue_runs = {}
        # EMR: ("arm", label) or ("cluster", id) -> scripts; cluster id ->
        # [script, start, terminated at]; (cluster, step) -> [script, start,
        # cancelled at]
        self.emr_scripts = {}
        self.emr_clusters = {}
        self.emr_steps = {}
        # Glue jobs seeded with their run history (GetJobs/GetJobRuns are
        # answered from here: moto's runs have no DPUSeconds and a fixed
        # ExecutionTime); page size of GetJobRuns.
        self.glue_jobs = {}
        self.glue_page = 100
        # EMR on EC2 clusters seeded with their instances and steps
        # (moto's instances never end and its steps never finish).
        self.emr_seeded = {}
        # Operations answered AccessDenied (a policy that lacks them).
        self.deny = set()

    def reset_buckets(self):
        self.buckets = {
            op: Bucket(rate * self.quota_scale, burst)
            for op, (rate, burst) in QUOTAS.items()
        }


STATE = State()
DEBUG = bool(__import__("os").environ.get("EMU_DEBUG"))


def emr_operation(method, path):
    """restJson1 route -> operation name (the EMR Serverless model's names)."""
    p = path.rstrip("/")
    table = [
        ("GET", r"/applications", "ListApplications"),
        ("POST", r"/applications", "CreateApplication"),
        ("GET", r"/applications/[^/]+", "GetApplication"),
        ("PATCH", r"/applications/[^/]+", "UpdateApplication"),
        ("DELETE", r"/applications/[^/]+", "DeleteApplication"),
        ("POST", r"/applications/[^/]+/start", "StartApplication"),
        ("POST", r"/applications/[^/]+/stop", "StopApplication"),
        ("GET", r"/applications/[^/]+/jobruns", "ListJobRuns"),
        ("POST", r"/applications/[^/]+/jobruns", "StartJobRun"),
        ("GET", r"/applications/[^/]+/jobruns/[^/]+", "GetJobRun"),
        ("DELETE", r"/applications/[^/]+/jobruns/[^/]+", "CancelJobRun"),
    ]
    for m, pattern, op in table:
        if m == method and re.fullmatch(pattern, p):
            return op
    return f"{method} {p}"


def service_of(request):
    auth = request.headers.get("Authorization", "")
    m = re.search(r"Credential=[^/]+/[^/]+/([^/]+)/([^/]+)/", auth)
    return (m.group(2), m.group(1)) if m else (None, None)


def json_error(status, code, message, cbor=False):
    if cbor:
        body = cbor2.dumps({"__type": code, "message": message})
        return Response(
            body,
            status=status,
            headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
        )
    return Response(
        json.dumps({"message": message}),
        status=status,
        headers={"Content-Type": "application/json", "x-amzn-ErrorType": code},
    )


# ---- CBOR <-> JSON 1.0 for CloudWatch -------------------------------------

def cbor_to_json_value(v):
    if isinstance(v, dt.datetime):
        return v.timestamp()
    if isinstance(v, dict):
        return {k: cbor_to_json_value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [cbor_to_json_value(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        import base64

        return base64.b64encode(v).decode()
    return v


# Response members that are timestamps in the CloudWatch model; RPC v2 CBOR
# sends them as tag 1 (epoch seconds).
TIMESTAMP_KEYS = {"Timestamps", "Timestamp", "StateUpdatedTimestamp", "AlarmConfigurationUpdatedTimestamp", "StateTransitionedTimestamp", "LastModified"}


def json_to_cbor_value(v, key=None):
    if key in TIMESTAMP_KEYS:
        if isinstance(v, list):
            return [json_to_cbor_value(x, key) for x in v]
        if isinstance(v, str):
            v = dt.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
        return cbor2.CBORTag(1, float(v))
    if isinstance(v, dict):
        return {k: json_to_cbor_value(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [json_to_cbor_value(x) for x in v]
    return v


def translate_cbor(app, environ, request, operation):
    """Calls moto's JSON 1.0 CloudWatch with a CBOR request, answers in CBOR."""
    body = request.get_data()
    params = cbor_to_json_value(cbor2.loads(body)) if body else {}
    payload = json.dumps(params).encode()
    if DEBUG:
        print("CBOR request", operation, payload[:2000], file=sys.stderr, flush=True)
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length", "content-type", "smithy-protocol")}
    inner = Request.from_values(
        path="/",
        method="POST",
        data=payload,
        headers={
            **headers,
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": f"GraniteServiceVersion20100801.{operation}",
        },
        base_url=f"http://{request.host}",
    )
    resp = Response.from_app(app, inner.environ)
    text = resp.get_data()
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        doc = {"__type": "InternalFailure", "message": text.decode(errors="replace")}
    if resp.status_code >= 400 and "__type" in doc:
        doc["__type"] = doc["__type"].split("#")[-1]
    return Response(
        cbor2.dumps(json_to_cbor_value(doc)),
        status=resp.status_code,
        headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
    )


# ---- seeding ----------------------------------------------------------------

def epoch(v):
    if v is None:
        return None
    # moto keeps naive UTC datetimes (its utcnow()); an aware one breaks
    # its createdAtAfter/Before comparisons.
    return dt.datetime.fromtimestamp(float(v), tz=dt.timezone.utc).replace(tzinfo=None)


def usage(u):
    if u is None:
        return None
    return {
        "vCPUHour": float(u.get("vCPUHour", 0.0)),
        "memoryGBHour": float(u.get("memoryGBHour", 0.0)),
        "storageGBHour": float(u.get("storageGBHour", 0.0)),
    }


def apply_run_fields(run, spec):
    """Sets the fields stock moto leaves out, by the model's member names."""
    if "state" in spec:
        run.state = spec["state"]
    for key, attr in [("createdAt", "created_at"), ("updatedAt", "updated_at"), ("startedAt", "started_at"), ("endedAt", "ended_at")]:
        if key in spec:
            setattr(run, attr, epoch(spec[key]))
    if "queuedDurationMilliseconds" in spec:
        run.queued_duration_milliseconds = spec["queuedDurationMilliseconds"]
    if "totalExecutionDurationSeconds" in spec:
        run.total_execution_duration_seconds = spec["totalExecutionDurationSeconds"]
    if "billedResourceUtilization" in spec:
        run.billed_resource_utilization = usage(spec["billedResourceUtilization"])
    if "totalResourceUtilization" in spec:
        run.total_resource_utilization = usage(spec["totalResourceUtilization"])
    if "attempt" in spec:
        run.attempt = spec["attempt"]
    if "attemptCreatedAt" in spec:
        run.attempt_created_at = epoch(spec["attemptCreatedAt"])
    if not hasattr(run, "updated_at") or "updatedAt" not in spec:
        run.updated_at = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)


def seed(doc):
    region = doc.get("region", "us-east-1")
    backend = emrserverless_backends[ACCOUNT][region]
    out = []
    for a in doc.get("applications", []):
        app = backend.create_application(
            name=a["name"],
            release_label=a.get("releaseLabel", "emr-7.5.0"),
            application_type="SPARK",
            client_token=a["name"],
            initial_capacity=a.get("initialCapacity"),
            maximum_capacity=a.get("maximumCapacity"),
            tags=a.get("tags", {}),
            auto_start_configuration=a.get("autoStartConfiguration"),
            auto_stop_configuration=a.get("autoStopConfiguration"),
            network_configuration=None,
        )
        app.architecture = a.get("architecture", "X86_64")
        # Stock moto drops the scheduler configuration (FACTS.md section 15).
        if "schedulerConfiguration" in a:
            app.scheduler_configuration = a["schedulerConfiguration"]
        runs = []
        backend.job_runs.setdefault(app.id, [])
        for r in a.get("runs", []):
            params = r.get("sparkSubmitParameters")
            driver = {"sparkSubmit": {"entryPoint": "s3://bucket/job.py"}}
            if params:
                driver["sparkSubmit"]["sparkSubmitParameters"] = params
            run = backend.start_job_run(
                application_id=app.id,
                client_token=r.get("name", "run"),
                execution_role_arn=ROLE,
                job_driver=driver,
                configuration_overrides=None,
                tags=r.get("tags"),
                execution_timeout_minutes=None,
                name=r.get("name"),
            )
            apply_run_fields(run, r)
            runs.append(run.id)
        out.append({"id": app.id, "name": a["name"], "runs": runs})
    return {"applications": out}


def update(doc):
    backend = emrserverless_backends[ACCOUNT][doc.get("region", "us-east-1")]
    run = backend.get_job_run(doc["applicationId"], doc["jobRunId"])
    apply_run_fields(run, doc)
    return {"ok": True}


def put_metrics(doc):
    backend = cloudwatch_backends[ACCOUNT][doc.get("region", "us-east-1")]
    data = []
    for m in doc["metricData"]:
        d = dict(m)
        d["Timestamp"] = epoch(m["Timestamp"])
        data.append(d)
    for i in range(0, len(data), 1000):
        backend.put_metric_data(doc.get("namespace", "AWS/EMRServerless"), data[i : i + 1000])
    return {"ok": True, "count": len(data)}


def script(doc):
    """EMR Serverless: {"arm": LABEL, "runs": [{"queue_s", "pending_s",
    "run_s", "state", "reason", "billed": {...}, "billed_delay_s",
    "total": {...}}, ...]}. Glue: {"glue_job": NAME, "runs": [{"wait_s",
    "start_s", "run_s", "state", "error", "dpu_seconds"}, ...]}. EMR on EC2:
    {"emr_arm": LABEL, "runs": [{"provision_s", "pending_s", "run_s",
    "teardown_s", "state", "reason"}, ...]} for transient clusters, or
    {"emr_cluster": ID, "runs": [{"pending_s", "run_s", "state"}, ...]} for
    steps added to an existing cluster."""
    with STATE.lock:
        if "glue_job" in doc:
            STATE.glue_scripts[doc["glue_job"]] = {"runs": list(doc["runs"]), "next": 0}
        elif "emr_arm" in doc:
            STATE.emr_scripts[("arm", doc["emr_arm"])] = {"runs": list(doc["runs"]), "next": 0}
        elif "emr_cluster" in doc:
            STATE.emr_scripts[("cluster", doc["emr_cluster"])] = {"runs": list(doc["runs"]), "next": 0}
        else:
            STATE.scripts[doc["arm"]] = {"runs": list(doc["runs"]), "next": 0}
    return {"ok": True}


def glue_answer(run_id):
    """GetJobRun for a scripted Glue run, from the script and the clock."""
    with STATE.lock:
        spec, t0, stopped, job, body = STATE.glue_runs[run_id]
    now = time.time()
    w, st, r = float(spec.get("wait_s", 0)), float(spec.get("start_s", 0)), float(spec.get("run_s", 1))
    t = now - t0
    out = {"Id": run_id, "JobName": job, "Attempt": 0, "StartedOn": t0, "LastModifiedOn": now,
           "WorkerType": body.get("WorkerType"), "NumberOfWorkers": body.get("NumberOfWorkers"),
           "ExecutionClass": body.get("ExecutionClass", "STANDARD"), "GlueVersion": "4.0"}
    if stopped is not None and stopped < t0 + w + st + r:
        out.update({"JobRunState": "STOPPED", "CompletedOn": stopped, "ExecutionTime": int(max(0.0, stopped - t0 - w - st))})
    elif t < w:
        out.update({"JobRunState": "WAITING", "ExecutionTime": 0})
    elif t < w + st:
        out.update({"JobRunState": "STARTING", "ExecutionTime": 0})
    elif t < w + st + r:
        out.update({"JobRunState": "RUNNING", "ExecutionTime": 0})
    else:
        out.update({"JobRunState": spec.get("state", "SUCCEEDED"), "CompletedOn": t0 + w + st + r,
                    "ExecutionTime": int(round(r))})
        if spec.get("dpu_seconds") is not None:
            out["DPUSeconds"] = float(spec["dpu_seconds"])
        if spec.get("error"):
            out["ErrorMessage"] = spec["error"]
    return Response(json.dumps({"JobRun": out}), headers={"Content-Type": "application/x-amz-json-1.1"})


def glue_seed(doc):
    """{"jobs": [{"Name", "Command": {"Name": "glueetl"}, "GlueVersion",
    "WorkerType", "NumberOfWorkers", "MaxCapacity", "Tags": {..}, "runs":
    [JobRun, ...]}], "page_size": N}: the jobs GetJobs lists, the runs
    GetJobRuns pages (newest StartedOn first), as Glue returns them, and the
    tags GetTags gives for the job's ARN."""
    with STATE.lock:
        for job in doc.get("jobs", []):
            job = dict(job)
            runs = job.pop("runs", [])
            for r in runs:
                r.setdefault("JobName", job["Name"])
            runs.sort(key=lambda r: r.get("StartedOn", 0), reverse=True)
            STATE.glue_jobs[job["Name"]] = (job, runs)
        if "page_size" in doc:
            STATE.glue_page = int(doc["page_size"])
    return {"ok": True, "jobs": len(STATE.glue_jobs)}


def glue_page(items, body, limit):
    start = int(body.get("NextToken") or 0)
    size = min(int(body.get("MaxResults") or limit), limit)
    page = items[start:start + size]
    token = str(start + size) if start + size < len(items) else None
    return page, token


def glue(front, environ, request, operation):
    """Glue operations moto lacks or answers at once: scripted runs, and
    seeded jobs' histories."""
    import io

    raw = request.get_data()
    body = json.loads(raw or b"{}")
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    with STATE.lock:
        seeded = dict(STATE.glue_jobs)
        page_size = STATE.glue_page
    if seeded and operation == "GetJobs":
        jobs = [{k: v for k, v in j.items() if k != "Tags"} for j, _ in seeded.values()]
        page, token = glue_page(jobs, body, 1000)
        out = {"Jobs": page}
        if token:
            out["NextToken"] = token
        return Response(json.dumps(out), headers=headers)
    if operation == "GetTags" and seeded:
        # A seeded job's "Tags", by its whole ARN: the partition, the
        # request's region and moto's account must be right.
        auth = request.headers.get("Authorization", "")
        region = auth.split("Credential=", 1)[-1].split("/")[2] if "Credential=" in auth else ""
        arn = str(body.get("ResourceArn", ""))
        name = arn.split(":job/", 1)[-1]
        if name in seeded and arn == f"arn:aws:glue:{region}:123456789012:job/{name}":
            return Response(json.dumps({"Tags": seeded[name][0].get("Tags", {})}),
                            headers=headers)
        if name in seeded:
            return Response(json.dumps({"__type": "EntityNotFoundException",
                                        "Message": f"no such resource {arn}"}),
                            status=400, headers=headers)
    if operation == "GetJobRuns" and body.get("JobName") in seeded:
        _, runs = seeded[body["JobName"]]
        page, token = glue_page(runs, body, page_size)
        out = {"JobRuns": page}
        if token:
            out["NextToken"] = token
        return Response(json.dumps(out), headers=headers)
    if operation == "StartJobRun":
        resp = Response.from_app(front.moto, environ)
        job = body.get("JobName")
        with STATE.lock:
            plan = STATE.glue_scripts.get(job)
            if resp.status_code == 200 and plan and plan["runs"]:
                spec = plan["runs"][plan["next"] % len(plan["runs"])]
                plan["next"] += 1
                run_id = json.loads(resp.get_data())["JobRunId"]
                STATE.glue_runs[run_id] = [spec, time.time(), None, job, body]
        return resp
    if operation == "GetJobRun":
        with STATE.lock:
            scripted = body.get("RunId") in STATE.glue_runs
        if scripted:
            return glue_answer(body["RunId"])
    if operation == "BatchStopJobRun":
        ok = []
        with STATE.lock:
            for run_id in body.get("JobRunIds", []):
                if run_id in STATE.glue_runs:
                    STATE.glue_runs[run_id][2] = time.time()
                ok.append({"JobName": body.get("JobName"), "JobRunId": run_id})
        return Response(json.dumps({"SuccessfulSubmissions": ok, "Errors": []}),
                        headers={"Content-Type": "application/x-amz-json-1.1"})
    return Response.from_app(front.moto, environ)


def naive(t):
    """Epoch seconds -> the naive UTC datetime moto keeps."""
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).replace(tzinfo=None)


def next_spec(key):
    plan = STATE.emr_scripts.get(key)
    if not plan or not plan["runs"]:
        return None
    spec = plan["runs"][plan["next"] % len(plan["runs"])]
    plan["next"] += 1
    return spec


def emr_backend(region):
    from moto.emr.models import emr_backends

    return emr_backends[ACCOUNT][region]


def emr_advance(region):
    """Moves scripted clusters and steps to where their scripts say."""
    with ADVANCE:
        backend = emr_backend(region)
        now = time.time()
        with STATE.lock:
            clusters = list(STATE.emr_clusters.items())
            steps = list(STATE.emr_steps.items())
        for cluster_id, (spec, t0, term) in clusters:
            c = backend.clusters.get(cluster_id)
            if c is None:
                continue
            p, w, r, d = (float(spec.get(k, 0)) for k in ("provision_s", "pending_s", "run_s", "teardown_s"))
            natural_end = t0 + p + w + r
            ends = natural_end if term is None else min(term, natural_end)
            step = c.steps[0] if c.steps else None
            c.creation_datetime = naive(t0)
            c.start_datetime = naive(t0)
            c.ready_datetime = naive(t0 + p) if now >= t0 + p and (term is None or term >= t0 + p) else None
            groups = [backend.instance_groups[g] for g in c.instance_group_ids]
            for g in groups:
                g.creation_date_time = naive(t0)
                g.ready_date_time = naive(t0 + p)
                g.end_date_time = None
                g.state = "PROVISIONING" if now < t0 + p else "RUNNING"
            if step is not None:
                step.creation_date_time = naive(t0)
                step.start_date_time = None
                step.end_date_time = None
                step.state = "PENDING"
                if now >= t0 + p + w and ends >= t0 + p + w:
                    step.state = "RUNNING"
                    step.start_date_time = naive(t0 + p + w)
                if now >= ends:
                    if term is not None and term < natural_end:
                        step.state = "CANCELLED"
                    else:
                        step.state = spec.get("state", "COMPLETED")
                        if spec.get("reason"):
                            step.failure_reason = spec["reason"]
                    step.end_date_time = naive(ends)
            if now < t0 + p and (term is None or now < term):
                c.state = "STARTING"
            elif now < ends:
                c.state = "RUNNING"
            elif now < ends + d:
                c.state = "TERMINATING"
            else:
                failed = step is not None and step.state == "FAILED"
                c.state = "TERMINATED_WITH_ERRORS" if failed else "TERMINATED"
                c.end_datetime = naive(ends + d)
                for g in groups:
                    g.end_date_time = naive(ends + d)
                    g.state = "ENDED"
        for (cluster_id, step_id), (spec, t0, cancelled) in steps:
            c = backend.clusters.get(cluster_id)
            step = next((s for s in (c.steps if c else []) if s.id == step_id), None)
            if step is None:
                continue
            w, r = float(spec.get("pending_s", 0)), float(spec.get("run_s", 1))
            natural_end = t0 + w + r
            ends = natural_end if cancelled is None else min(cancelled, natural_end)
            step.creation_date_time = naive(t0)
            step.start_date_time = naive(t0 + w) if now >= t0 + w and ends >= t0 + w else None
            step.end_date_time = None
            step.state = "RUNNING" if step.start_date_time else "PENDING"
            if now >= ends:
                step.state = "CANCELLED" if cancelled is not None and cancelled < natural_end else spec.get("state", "COMPLETED")
                step.end_date_time = naive(ends)


def emr_step_status(step):
    """DescribeStep's Status with the failure details moto leaves out."""
    status = {
        "State": step.state,
        "StateChangeReason": {},
        "Timeline": {k: v.replace(tzinfo=dt.timezone.utc).timestamp()
                     for k, v in (("CreationDateTime", step.creation_date_time),
                                  ("StartDateTime", step.start_date_time),
                                  ("EndDateTime", step.end_date_time)) if v is not None},
    }
    if getattr(step, "failure_reason", None):
        status["FailureDetails"] = {"Reason": step.failure_reason}
    return status


def emr_seed(doc):
    """{"clusters": [{"Id", "Name", "ReleaseLabel", "Status": {"State",
    "Timeline": {...}}, "Ec2InstanceAttributes": {"Ec2AvailabilityZone"},
    "instances": [{"Id", "InstanceType", "Market", "Role", "Status"}],
    "steps": [{"Id", "Name", "Config", "Status"}]}]}: clusters whose
    ListClusters, DescribeCluster, ListInstances and ListSteps are answered
    from the seed, times as epoch seconds."""
    with STATE.lock:
        for c in doc.get("clusters", []):
            STATE.emr_seeded[c["Id"]] = c
    return {"ok": True, "clusters": len(STATE.emr_seeded)}


def emr_seeded_answer(operation, body):
    """The answer for a seeded cluster, or None to let moto answer."""
    with STATE.lock:
        seeded = dict(STATE.emr_seeded)
    if not seeded:
        return None
    def page(items, size=50):
        start = int(body.get("Marker") or 0)
        out = items[start:start + size]
        return out, (str(start + size) if start + size < len(items) else None)
    def public(c):
        return {k: v for k, v in c.items() if k not in ("instances", "steps")}
    if operation == "ListClusters":
        after, before = body.get("CreatedAfter"), body.get("CreatedBefore")
        states = body.get("ClusterStates") or []
        items = []
        for c in sorted(seeded.values(), key=lambda c: c["Id"]):
            created = c["Status"]["Timeline"].get("CreationDateTime", 0)
            if after is not None and created < after:
                continue
            if before is not None and created >= before:
                continue
            if states and c["Status"]["State"] not in states:
                continue
            items.append({"Id": c["Id"], "Name": c.get("Name"), "Status": c["Status"], "NormalizedInstanceHours": 0})
        got, marker = page(items)
        out = {"Clusters": got}
        if marker:
            out["Marker"] = marker
        return out
    cluster = seeded.get(body.get("ClusterId"))
    if cluster is None:
        return None
    if operation == "DescribeCluster":
        return {"Cluster": public(cluster)}
    if operation == "ListInstances":
        roles = body.get("InstanceGroupTypes") or []
        if body.get("InstanceFleetType"):
            roles = [body["InstanceFleetType"]]
        items = [{k: v for k, v in i.items() if k != "Role"} for i in cluster.get("instances", [])
                 if not roles or i.get("Role") in roles]
        got, marker = page(items)
        out = {"Instances": got}
        if marker:
            out["Marker"] = marker
        return out
    if operation == "ListSteps":
        steps = sorted(cluster.get("steps", []), key=lambda s: s["Status"]["Timeline"].get("CreationDateTime", 0), reverse=True)
        got, marker = page(steps)
        out = {"Steps": got}
        if marker:
            out["Marker"] = marker
        return out
    return None


def emr(front, environ, request, operation):
    """EMR operations the scripts change: RunJobFlow and AddJobFlowSteps
    start the clock, reads see the scripted state, TerminateJobFlows and
    CancelSteps end a scripted run early."""
    import io

    raw = request.get_data()
    body = json.loads(raw or b"{}")
    environ["wsgi.input"] = io.BytesIO(raw)
    environ["CONTENT_LENGTH"] = str(len(raw))
    region = request_region(request)
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    seeded = emr_seeded_answer(operation, body)
    if seeded is not None:
        return Response(json.dumps(seeded), headers=headers)
    if operation == "RunJobFlow":
        resp = Response.from_app(front.moto, environ)
        arm = {t.get("Key"): t.get("Value") for t in body.get("Tags", [])}.get("emrcost:arm")
        if resp.status_code == 200:
            cluster_id = json.loads(resp.get_data())["JobFlowId"]
            with STATE.lock:
                spec = next_spec(("arm", arm))
                if spec is not None:
                    STATE.emr_clusters[cluster_id] = [spec, time.time(), None]
        return resp
    if operation == "AddJobFlowSteps":
        resp = Response.from_app(front.moto, environ)
        if resp.status_code == 200:
            with STATE.lock:
                for step_id in json.loads(resp.get_data()).get("StepIds", []):
                    spec = next_spec(("cluster", body.get("JobFlowId")))
                    if spec is not None:
                        STATE.emr_steps[(body["JobFlowId"], step_id)] = [spec, time.time(), None]
        return resp
    if operation == "CancelSteps":
        out = []
        with STATE.lock:
            for step_id in body.get("StepIds", []):
                key = (body.get("ClusterId"), step_id)
                if key in STATE.emr_steps and STATE.emr_steps[key][2] is None:
                    STATE.emr_steps[key][2] = time.time()
                out.append({"StepId": step_id, "Status": "SUBMITTED"})
        return Response(json.dumps({"CancelStepsInfoList": out}), headers=headers)
    if operation == "TerminateJobFlows":
        with STATE.lock:
            for cluster_id in body.get("JobFlowIds", []):
                if cluster_id in STATE.emr_clusters and STATE.emr_clusters[cluster_id][2] is None:
                    STATE.emr_clusters[cluster_id][2] = time.time()
                    # The script, not moto, ends a scripted cluster.
                    return Response("{}", headers=headers)
        return Response.from_app(front.moto, environ)
    if operation in ("DescribeCluster", "DescribeStep", "ListSteps", "ListInstances", "ListClusters"):
        emr_advance(region)
    if operation == "DescribeStep":
        backend = emr_backend(region)
        c = backend.clusters.get(body.get("ClusterId"))
        step = next((s for s in (c.steps if c else []) if s.id == body.get("StepId")), None)
        if step is not None and getattr(step, "failure_reason", None):
            resp = Response.from_app(front.moto, environ)
            doc = json.loads(resp.get_data())
            doc["Step"]["Status"] = emr_step_status(step)
            return Response(json.dumps(doc), headers=headers)
    return Response.from_app(front.moto, environ)


def attach_script(region, app_id, run_id):
    backend = emrserverless_backends[ACCOUNT][region]
    run = backend.get_job_run(app_id, run_id)
    arm = (run.tags or {}).get("emrcost:arm")
    with STATE.lock:
        plan = STATE.scripts.get(arm)
        if plan is None or not plan["runs"]:
            return
        spec = plan["runs"][plan["next"] % len(plan["runs"])]
        plan["next"] += 1
        now = time.time()
        STATE.scripted[(app_id, run_id)] = (spec, now, None)
    run.created_at = epoch(now)
    run.state = "SUBMITTED"
    run.billed_resource_utilization = None
    run.total_resource_utilization = None
    run.total_execution_duration_seconds = None


ADVANCE = threading.Lock()


def advance(region):
    """Moves every scripted run to where its script says it is now (one
    caller at a time: a threaded server may answer two polls at once)."""
    with ADVANCE:
        advance_locked(region)


def advance_locked(region):
    backend = emrserverless_backends[ACCOUNT][region]
    now = time.time()
    with STATE.lock:
        items = list(STATE.scripted.items())
    for (app_id, run_id), (spec, t0, cancelled) in items:
        try:
            run = backend.get_job_run(app_id, run_id)
        except Exception:
            continue
        q, p, r = float(spec.get("queue_s", 0)), float(spec.get("pending_s", 0)), float(spec.get("run_s", 1))
        t = now - t0
        # A run that ended before the cancel keeps its final state (AWS
        # refuses to cancel a finished run).
        if cancelled is not None and cancelled < t0 + q + p + r:
            run.state = "CANCELLED"
            run.ended_at = epoch(cancelled)
            run.state_details = "cancelled by the user"
            continue
        if q > 0:
            run.queued_duration_milliseconds = int(round(min(t, q) * 1000)) if t < q else int(round(q * 1000))
        if t < q:
            run.state = "QUEUED"
        elif t < q + p:
            run.state = "SCHEDULED"
        elif t < q + p + r:
            run.state = "RUNNING"
            run.started_at = epoch(t0 + q + p)
        else:
            run.state = spec.get("state", "SUCCESS")
            run.started_at = epoch(t0 + q + p)
            run.ended_at = epoch(t0 + q + p + r)
            run.total_execution_duration_seconds = int(round(r))
            if spec.get("reason"):
                run.state_details = spec["reason"]
            if "total" in spec:
                run.total_resource_utilization = usage(spec["total"])
            if "billed" in spec and t >= q + p + r + float(spec.get("billed_delay_s", 0)):
                run.billed_resource_utilization = usage(spec["billed"])
        run.updated_at = epoch(now)


def configure(doc):
    """{"enforce_quotas", "quota_scale", "fault_rate", "slow_rate",
    "slow_ms", "seed", "deny": [Operation, ...], "quotas": {"Operation":
    [rate, burst]}}: "deny" answers AccessDenied; "quotas"
    adds or replaces per-operation quotas (Glue publishes none: a bench
    sets the rate it measures against)."""
    with STATE.lock:
        for k in ("enforce_quotas", "quota_scale", "fault_rate", "slow_rate", "slow_ms"):
            if k in doc:
                setattr(STATE, k, doc[k])
        if "seed" in doc:
            STATE.rng = random.Random(doc["seed"])
        if "deny" in doc:
            STATE.deny = set(doc["deny"])
        for op, (rate, burst) in doc.get("quotas", {}).items():
            QUOTAS[op] = (float(rate), int(burst))
        STATE.reset_buckets()
    return {"ok": True}


def s3_put(request):
    """POST /_emu/s3_put?bucket=B&key=K with the object's bytes as the body:
    puts one object straight into moto's S3 (the bucket is made on first
    use), so a test can lay out event logs the way EMR writes them without
    an S3 client of its own."""
    from moto.s3.models import s3_backends

    bucket = request.args.get("bucket", "")
    key = request.args.get("key", "")
    if not bucket or not key:
        return Response(json.dumps({"error": "bucket and key are required"}), status=400)
    backend = s3_backends[ACCOUNT]["aws"]
    with STATE.lock:
        if bucket not in backend.buckets:
            backend.create_bucket(bucket, request.args.get("region", "us-east-1"))
        backend.put_object(bucket, key, request.get_data())
    return Response(json.dumps({"ok": True}), headers={"Content-Type": "application/json"})


def s3_operation(request):
    """The S3 operation a path-style request is (the ones emrcost makes)."""
    if request.method == "GET" and "list-type" in request.args:
        return "ListObjectsV2"
    if request.method == "GET" and request.path.strip("/").count("/") >= 1:
        return "GetObject"
    return f"{request.method} {request.path}"


def admin(request):
    path = request.path
    if path == "/_emu/log":
        with STATE.lock:
            return Response(json.dumps(STATE.log), headers={"Content-Type": "application/json"})
    if path == "/_emu/s3_put":
        return s3_put(request)
    doc = json.loads(request.get_data() or b"{}")
    handlers = {"/_emu/seed": seed, "/_emu/update": update, "/_emu/metrics": put_metrics, "/_emu/config": configure, "/_emu/script": script, "/_emu/glue_seed": glue_seed, "/_emu/emr_seed": emr_seed}
    if path == "/_emu/log/clear":
        with STATE.lock:
            STATE.log.clear()
        return Response("{}", headers={"Content-Type": "application/json"})
    if path not in handlers:
        return Response(json.dumps({"error": f"no such admin path {path}"}), status=404)
    try:
        result = handlers[path](doc)
    except Exception as e:  # the test reads the message
        return Response(json.dumps({"error": f"{type(e).__name__}: {e}"}), status=400)
    return Response(json.dumps(result), headers={"Content-Type": "application/json"})


class Front:
    def __init__(self):
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith("/_emu/"):
            return admin(request)(environ, start_response)
        service, region = service_of(request)
        cbor = request.headers.get("smithy-protocol") == "rpc-v2-cbor"
        if cbor:
            m = re.fullmatch(r"/service/[^/]+/operation/([A-Za-z]+)", request.path)
            operation = m.group(1) if m else request.path
        elif service == "emr-serverless":
            operation = emr_operation(request.method, request.path)
        elif service == "sts":
            # The query protocol: the operation is the form's Action.
            raw = request.get_data()
            import io
            import urllib.parse

            form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"))
            operation = (form.get("Action") or [request.path])[0]
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
        elif service == "s3":
            operation = s3_operation(request)
        else:
            operation = request.headers.get("X-Amz-Target", request.path).split(".")[-1]
        entry = {
            "service": service,
            "region": region,
            "operation": operation,
            "method": request.method,
            "path": request.path,
            "query": request.query_string.decode(),
            "at": time.time(),
        }
        response = self.answer(environ, request, service, operation, cbor)
        entry["status"] = response.status_code
        with STATE.lock:
            STATE.log.append(entry)
        return response(environ, start_response)

    def answer(self, environ, request, service, operation, cbor):
        with STATE.lock:
            enforce = STATE.enforce_quotas
            bucket = STATE.buckets.get(operation)
            roll = STATE.rng.random()
            slow = STATE.rng.random() < STATE.slow_rate
            fault = roll < STATE.fault_rate
            kind = "throttle" if roll < STATE.fault_rate / 2 else "500"
            slow_ms = STATE.slow_ms
        with STATE.lock:
            denied = operation in STATE.deny
        if denied and service == "s3":
            # S3 answers in XML, with its own code.
            body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
            return Response(body, status=403, headers={"Content-Type": "application/xml"})
        if denied:
            code = "AccessDeniedException"
            return json_error(400 if not cbor else 400, code, f"User is not authorized to perform: {operation}", cbor)
        if enforce and bucket is not None and not bucket.take():
            return json_error(429 if not cbor else 400, "ThrottlingException", "Rate exceeded", cbor)
        if slow:
            time.sleep(slow_ms / 1000.0)
        if fault:
            if kind == "throttle":
                return json_error(429 if not cbor else 400, "ThrottlingException", "Rate exceeded (injected)", cbor)
            return json_error(500, "InternalServerException", "injected failure", cbor)
        if cbor:
            return translate_cbor(self.moto, environ, request, operation)
        if service == "glue":
            return glue(self, environ, request, operation)
        if service == "elasticmapreduce":
            return emr(self, environ, request, operation)
        if service == "emr-serverless":
            region = request_region(request)
            parts = request.path.rstrip("/").split("/")
            if operation in ("GetJobRun", "ListJobRuns"):
                advance(region)
            if operation == "CancelJobRun":
                key = (parts[2], parts[4])
                with STATE.lock:
                    if key in STATE.scripted:
                        spec, t0, _ = STATE.scripted[key]
                        STATE.scripted[key] = (spec, t0, time.time())
            if operation == "StartJobRun":
                resp = Response.from_app(self.moto, environ)
                if resp.status_code == 200:
                    run_id = json.loads(resp.get_data())["jobRunId"]
                    attach_script(region, parts[2], run_id)
                return resp
            if operation == "CreateApplication":
                raw = request.get_data()
                body = json.loads(raw or b"{}")
                # The body was read here: hand moto a fresh stream of it.
                import io

                environ["wsgi.input"] = io.BytesIO(raw)
                environ["CONTENT_LENGTH"] = str(len(raw))
                resp = Response.from_app(self.moto, environ)
                if resp.status_code == 200 and body.get("architecture"):
                    app_id = json.loads(resp.get_data())["applicationId"]
                    backend = emrserverless_backends[ACCOUNT][region]
                    backend.applications[app_id].architecture = body["architecture"]
                return resp
        if service == "emr-serverless" and operation == "ListJobRuns":
            # AWS answers an application with no runs with an empty list;
            # moto answers ResourceNotFound (FACTS.md section 10).
            app_id = request.path.rstrip("/").split("/")[-2]
            backend = emrserverless_backends[ACCOUNT][request_region(request)]
            if app_id in backend.applications and not backend.job_runs.get(app_id):
                return Response(json.dumps({"jobRuns": []}), headers={"Content-Type": "application/json"})
        return Response.from_app(self.moto, environ)


def request_region(request):
    _, region = service_of(request)
    return region or "us-east-1"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    server = make_server("127.0.0.1", args.port, Front(), threaded=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_port))
    import os

    os.replace(args.port_file + ".tmp", args.port_file)
    print(f"emulator on 127.0.0.1:{server.server_port}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
