"""Runs small real Spark applications and keeps their event logs.

    .venv/bin/python tests/spark/make_logs.py OUT_DIR

Needs the PyPI package pyspark (4.x) and Java 17. Writes, under OUT_DIR:
  dynamic-<codec>/   dynamic allocation on local-cluster[3,1,1024]: executors
                     are added, idle out and are added again (zstd, lz4,
                     snappy, and uncompressed single-file logs)
  rolled/            the same, with Spark's default rolled zstd log folder
  failed/            a job that fails part-way; the application still ends
  crashed/           an application killed before it ends (no ApplicationEnd)
"""
import os, subprocess, sys, time

OUT = os.path.abspath(sys.argv[1])
import pyspark  # noqa: E402

os.environ.setdefault("SPARK_HOME", os.path.dirname(pyspark.__file__))
os.environ.setdefault("PYSPARK_PYTHON", sys.executable)


def session(name, master, logdir, extra):
    from pyspark.sql import SparkSession
    os.makedirs(logdir, exist_ok=True)
    b = (SparkSession.builder.appName(name).master(master)
         .config("spark.eventLog.enabled", "true")
         .config("spark.eventLog.dir", "file://" + logdir)
         .config("spark.ui.enabled", "false")
         .config("spark.driver.memory", "512m"))
    for k, v in extra.items():
        b = b.config(k, v)
    return b.getOrCreate()


def busy(sc, parts, seconds):
    def work(it):
        import time as t
        t.sleep(seconds)
        return [sum(1 for _ in it)]
    return sc.parallelize(range(parts * 100), parts).mapPartitions(work).collect()


def dynamic(codec):
    extra = {
        "spark.dynamicAllocation.enabled": "true",
        "spark.dynamicAllocation.shuffleTracking.enabled": "true",
        "spark.dynamicAllocation.executorIdleTimeout": "2s",
        "spark.dynamicAllocation.schedulerBacklogTimeout": "1s",
        "spark.dynamicAllocation.minExecutors": "0",
        "spark.dynamicAllocation.initialExecutors": "1",
        "spark.dynamicAllocation.maxExecutors": "3",
        "spark.executor.cores": "1",
        "spark.executor.memory": "512m",
        "spark.eventLog.rolling.enabled": "true" if codec == "rolled" else "false",
    }
    if codec == "none":
        extra["spark.eventLog.compress"] = "false"
    elif codec != "rolled":
        extra["spark.eventLog.compress"] = "true"
        extra["spark.eventLog.compression.codec"] = codec
    name = f"dynamic-{codec}"
    spark = session(name, "local-cluster[3,1,1024]", os.path.join(OUT, name if codec != "rolled" else "rolled"), extra)
    sc = spark.sparkContext
    busy(sc, 6, 3)      # backlog: scale up to 3 executors
    time.sleep(8)       # idle: executors time out and are removed
    busy(sc, 3, 2)      # scale up again
    spark.stop()


def failed():
    spark = session("fails-part-way", "local[2]", os.path.join(OUT, "failed"),
                    {"spark.eventLog.compress": "false", "spark.eventLog.rolling.enabled": "false",
                     "spark.task.maxFailures": "1"})
    sc = spark.sparkContext
    busy(sc, 2, 1)

    def boom(it):
        for x in it:
            if x == 150:
                raise ValueError("fixture failure")
            yield x
    try:
        sc.parallelize(range(200), 2).mapPartitions(boom).count()
    except Exception:
        pass
    spark.stop()


def crashed():
    spark = session("crashes", "local[2]", os.path.join(OUT, "crashed"),
                    {"spark.eventLog.compress": "false", "spark.eventLog.rolling.enabled": "false"})
    busy(spark.sparkContext, 2, 1)
    # Let the listener flush what was logged so far, then kill the JVM outright
    # (SIGKILL: no shutdown hook, so no SparkListenerApplicationEnd).
    time.sleep(2)
    pid = spark._jvm.java.lang.ProcessHandle.current().pid()
    os.kill(pid, 9)
    os._exit(0)


if __name__ == "__main__":
    what = sys.argv[2] if len(sys.argv) > 2 else None
    if what:
        {"failed": failed, "crashed": crashed}.get(what, lambda: dynamic(what))()
        sys.exit(0)
    started = time.time()
    for job in ["zstd", "lz4", "snappy", "none", "rolled", "failed", "crashed"]:
        t = time.time()
        subprocess.run([sys.executable, __file__, OUT, job], check=job != "crashed")
        print(f"{job}: {time.time() - t:.0f} s", flush=True)
    print(f"all: {time.time() - started:.0f} s", flush=True)
