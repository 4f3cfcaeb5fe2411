//! A streaming reader of one Spark application's event log.
//!
//! Lines are read one at a time into a reused buffer, so memory does not
//! grow with the file. Only the few event kinds that size the application
//! are parsed; the rest (task and stage events, most of the bytes) are
//! recognised from their `{"Event":"..."` prefix and skipped, apart from a
//! cheap scan for their timestamps.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;

use memchr::memmem;
use serde::Deserialize;

/// Something odd in a log, with its line when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub line: Option<u64>,
    pub message: String,
}

/// One executor's life.
#[derive(Debug, Clone, PartialEq)]
pub struct Executor {
    pub added_ms: i64,
    pub removed_ms: Option<i64>,
    pub cores: u32,
    pub profile: u32,
}

/// Executor requests of a resource profile (Spark 3.1+).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub cores: Option<f64>,
    pub memory_mb: Option<f64>,
    pub overhead_mb: Option<f64>,
}

/// What one application's log says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppLog {
    pub spark_version: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// Latest timestamp seen in any event.
    pub last_ms: Option<i64>,
    pub properties: HashMap<String, String>,
    pub profiles: HashMap<u32, Profile>,
    /// Executor id -> its lives (an id can come back).
    pub executors: BTreeMap<String, Vec<Executor>>,
    pub jobs_succeeded: u32,
    pub jobs_failed: u32,
    pub problems: Vec<Problem>,
    pub removed_never_added: u32,
    pub ignored_events: u64,
    /// Tasks that ended with both a launch and a finish time, and the sum
    /// of their run times (ms): the time executors spent working.
    pub tasks: u64,
    pub task_ms: u64,
    pub lines: u64,
    pub bytes: u64,
}

#[derive(Deserialize)]
struct Start {
    #[serde(rename = "App Name")]
    name: Option<String>,
    #[serde(rename = "App ID")]
    id: Option<String>,
    #[serde(rename = "Timestamp")]
    ts: Option<i64>,
}

#[derive(Deserialize)]
struct End {
    #[serde(rename = "Timestamp")]
    ts: Option<i64>,
}

#[derive(Deserialize)]
struct LogStart {
    #[serde(rename = "Spark Version")]
    version: Option<String>,
}

#[derive(Deserialize)]
struct ExecutorInfo {
    #[serde(rename = "Total Cores")]
    cores: Option<u32>,
    #[serde(rename = "Resource Profile Id", default)]
    profile: u32,
}

#[derive(Deserialize)]
struct ExecutorAdded {
    #[serde(rename = "Timestamp")]
    ts: Option<i64>,
    #[serde(rename = "Executor ID")]
    id: String,
    #[serde(rename = "Executor Info")]
    info: Option<ExecutorInfo>,
}

#[derive(Deserialize)]
struct ExecutorRemoved {
    #[serde(rename = "Timestamp")]
    ts: Option<i64>,
    #[serde(rename = "Executor ID")]
    id: String,
}

#[derive(Deserialize)]
struct Env {
    #[serde(rename = "Spark Properties", default)]
    spark: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Amount {
    #[serde(rename = "Amount")]
    amount: Option<f64>,
}

#[derive(Deserialize)]
struct ProfileAdded {
    #[serde(rename = "Resource Profile Id")]
    id: u32,
    #[serde(rename = "Executor Resource Requests", default)]
    requests: HashMap<String, Amount>,
}

#[derive(Deserialize)]
struct JobResult {
    #[serde(rename = "Result")]
    result: Option<String>,
}

#[derive(Deserialize)]
struct JobEnd {
    #[serde(rename = "Completion Time")]
    ts: Option<i64>,
    #[serde(rename = "Job Result")]
    result: Option<JobResult>,
}

#[derive(Deserialize)]
struct JobStart {
    #[serde(rename = "Submission Time")]
    ts: Option<i64>,
}

#[derive(Deserialize)]
struct EventOnly {
    #[serde(rename = "Event")]
    event: Option<String>,
}

const PREFIX: &[u8] = b"{\"Event\":\"";
/// Problems listed per kind before the rest are only counted.
const MAX_LISTED: usize = 20;

/// The longest event line kept: Spark writes lines of kilobytes (a large
/// SparkListenerEnvironmentUpdate is a few hundred KB).
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Reads up to and including the next newline into `buf`, keeping at most
/// `max` bytes: a longer line is read to its end and dropped, so memory
/// stays bounded on a file without newlines. Returns the bytes consumed
/// and whether the line was kept whole.
fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut whole = true;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, whole));
        }
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if whole && buf.len() + take <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            whole = false;
            buf.clear();
        }
        reader.consume(take);
        consumed += take;
        if done {
            return Ok((consumed, whole));
        }
    }
}

impl AppLog {
    fn problem(&mut self, line: Option<u64>, message: String) {
        if self.problems.len() < MAX_LISTED * 4 {
            self.problems.push(Problem { line, message });
        }
    }

    fn seen(&mut self, ts: i64) {
        if crate::model::time::in_range_ms(ts) {
            self.last_ms = Some(self.last_ms.map_or(ts, |l| l.max(ts)));
        }
    }

    /// An event's Timestamp if it is a time (1970 to 9999); otherwise a
    /// problem naming the line, and the event's time is ignored.
    fn time(&mut self, ts: Option<i64>, no: u64, event: &str) -> Option<i64> {
        let ts = ts?;
        if crate::model::time::in_range_ms(ts) {
            Some(ts)
        } else {
            self.problem(
                Some(no),
                format!("{event} has Timestamp {ts}, which is not a time between 1970 and 9999; ignored"),
            );
            None
        }
    }

    /// Reads one file's lines into the log. Several files (a rolled log)
    /// feed the same `AppLog` in order.
    pub fn read(&mut self, reader: &mut dyn BufRead) -> std::io::Result<()> {
        let mut buf = Vec::with_capacity(64 * 1024);
        loop {
            buf.clear();
            let (n, whole) = read_line(reader, &mut buf, MAX_LINE_BYTES)?;
            if n == 0 {
                return Ok(());
            }
            self.bytes += n as u64;
            self.lines += 1;
            if self.lines == 1
                && (buf.starts_with(b"\xff\xfe")
                    || buf.starts_with(b"\xfe\xff")
                    || buf.get(1) == Some(&0))
            {
                self.problem(
                    Some(1),
                    "the file is UTF-16 text; Spark writes event logs in UTF-8: convert it \
                     (iconv -f UTF-16 -t UTF-8) or give the original log; not read"
                        .into(),
                );
                // Count the rest as read, so the file is not called empty.
                let mut rest = 0u64;
                loop {
                    let chunk = reader.fill_buf()?;
                    if chunk.is_empty() {
                        break;
                    }
                    let len = chunk.len();
                    rest += len as u64;
                    reader.consume(len);
                }
                self.bytes += rest;
                return Ok(());
            }
            if !whole {
                let (no, at) = (self.lines, self.bytes - n as u64);
                self.problem(
                    Some(no),
                    format!(
                        "the line from byte {at} is longer than {} MB; no event line is \
                         near that, so it was skipped (is this an event log?)",
                        MAX_LINE_BYTES >> 20
                    ),
                );
                continue;
            }
            let terminated = buf.last() == Some(&b'\n');
            let mut line = &buf[..];
            while let [rest @ .., b'\n' | b'\r'] = line {
                line = rest;
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            self.line(line, self.lines, terminated);
        }
    }

    fn line(&mut self, line: &[u8], no: u64, terminated: bool) {
        let name: String = match line.strip_prefix(PREFIX) {
            Some(rest) => match memchr::memchr(b'"', rest) {
                Some(end) => String::from_utf8_lossy(&rest[..end]).into_owned(),
                None => {
                    self.bad_line(line, no, terminated);
                    return;
                }
            },
            None => match serde_json::from_slice::<EventOnly>(line) {
                Ok(EventOnly { event: Some(e) }) => e,
                Ok(_) => {
                    self.problem(
                        Some(no),
                        "a JSON line without an \"Event\" field; ignored".into(),
                    );
                    return;
                }
                Err(_) => {
                    self.bad_line(line, no, terminated);
                    return;
                }
            },
        };
        let short = name.rsplit('.').next().unwrap_or(&name).to_string();
        let parsed = match short.as_str() {
            "SparkListenerLogStart" => self.parse::<LogStart>(line).map(|e| {
                self.spark_version = e.version;
            }),
            "SparkListenerApplicationStart" => self.parse::<Start>(line).map(|e| {
                self.app_name = e.name.or(self.app_name.take());
                self.app_id = e.id.or(self.app_id.take());
                let given = e.ts.is_some();
                match self.time(e.ts, no, "SparkListenerApplicationStart") {
                    Some(ts) => {
                        self.start_ms = Some(ts);
                        self.seen(ts);
                    }
                    None if given => {}
                    None => self.problem(
                        Some(no),
                        "SparkListenerApplicationStart has no Timestamp".into(),
                    ),
                }
            }),
            "SparkListenerApplicationEnd" => self.parse::<End>(line).map(|e| {
                match (
                e.ts.is_some(),
                self.time(e.ts, no, "SparkListenerApplicationEnd"),
            ) {
                (_, Some(ts)) => {
                    self.end_ms = Some(ts);
                    self.seen(ts);
                }
                (true, None) => {}
                (false, None) => self.problem(
                    Some(no),
                    "SparkListenerApplicationEnd has no Timestamp; the log counts as incomplete"
                        .into(),
                ),
            }
            }),
            "SparkListenerExecutorAdded" => {
                self.parse::<ExecutorAdded>(line).map(|e| self.added(e, no))
            }
            "SparkListenerExecutorRemoved" => self
                .parse::<ExecutorRemoved>(line)
                .map(|e| self.removed(e, no)),
            "SparkListenerEnvironmentUpdate" => self.parse::<Env>(line).map(|e| {
                if let Some(serde_json::Value::Object(map)) = e.spark {
                    for (k, v) in map {
                        if let Some(s) = v.as_str() {
                            self.properties.insert(k, s.to_string());
                        }
                    }
                }
            }),
            "SparkListenerResourceProfileAdded" => self.parse::<ProfileAdded>(line).map(|e| {
                let get = |k: &str| e.requests.get(k).and_then(|a| a.amount);
                self.profiles.insert(
                    e.id,
                    Profile {
                        cores: get("cores"),
                        memory_mb: get("memory"),
                        overhead_mb: get("memoryOverhead"),
                    },
                );
            }),
            "SparkListenerJobStart" => self.parse::<JobStart>(line).map(|e| {
                if let Some(ts) = e.ts {
                    self.seen(ts);
                }
            }),
            "SparkListenerJobEnd" => self.parse::<JobEnd>(line).map(|e| {
                if let Some(ts) = e.ts {
                    self.seen(ts);
                }
                match e.result.and_then(|r| r.result).as_deref() {
                    Some("JobSucceeded") => self.jobs_succeeded += 1,
                    Some(_) => self.jobs_failed += 1,
                    None => {}
                }
            }),
            "SparkListenerTaskEnd"
            | "SparkListenerStageCompleted"
            | "SparkListenerBlockManagerAdded"
            | "SparkListenerTaskStart"
            | "SparkListenerStageSubmitted" => {
                self.ignored_events += 1;
                // Keeps the end of an incomplete log honest without parsing the line.
                for key in [
                    &b"\"Finish Time\":"[..],
                    b"\"Completion Time\":",
                    b"\"Launch Time\":",
                    b"\"Timestamp\":",
                ] {
                    if let Some(ts) = number_after(line, key) {
                        self.seen(ts);
                    }
                }
                if short == "SparkListenerTaskEnd" {
                    if let (Some(launch), Some(finish)) = (
                        number_after(line, b"\"Launch Time\":"),
                        number_after(line, b"\"Finish Time\":"),
                    ) {
                        if finish >= launch && crate::model::time::in_range_ms(launch) {
                            self.tasks += 1;
                            self.task_ms += (finish - launch) as u64;
                        }
                    }
                }
                if !terminated && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() {
                    self.truncated(no, line.len());
                }
                Ok(())
            }
            _ => {
                self.ignored_events += 1;
                if !terminated && serde_json::from_slice::<serde::de::IgnoredAny>(line).is_err() {
                    self.truncated(no, line.len());
                }
                Ok(())
            }
        };
        if let Err(e) = parsed {
            if !terminated {
                self.truncated(no, line.len());
            } else {
                self.problem(
                    Some(no),
                    format!("{short} could not be read ({e}); ignored"),
                );
            }
        }
    }

    fn parse<T: for<'de> Deserialize<'de>>(&self, line: &[u8]) -> Result<T, serde_json::Error> {
        serde_json::from_slice(line)
    }

    fn bad_line(&mut self, line: &[u8], no: u64, terminated: bool) {
        if !terminated {
            self.truncated(no, line.len());
        } else {
            let shown: String = String::from_utf8_lossy(&line[..line.len().min(40)]).into();
            self.problem(
                Some(no),
                format!("not a JSON event line ({shown:?}...); ignored"),
            );
        }
    }

    fn truncated(&mut self, no: u64, len: usize) {
        self.problem(
            Some(no),
            format!("the last line ({len} bytes) is cut short (the log was truncated); ignored"),
        );
    }

    fn added(&mut self, e: ExecutorAdded, no: u64) {
        if e.id == "driver" {
            return;
        }
        let given = e.ts.is_some();
        let Some(ts) = self.time(e.ts, no, "SparkListenerExecutorAdded") else {
            if !given {
                self.problem(
                    Some(no),
                    format!(
                        "SparkListenerExecutorAdded for executor {} has no Timestamp; ignored",
                        e.id
                    ),
                );
            }
            return;
        };
        if self
            .executors
            .get(&e.id)
            .is_some_and(|lives| lives.iter().any(|l| l.removed_ms.is_none()))
        {
            self.problem(
                Some(no),
                format!(
                    "SparkListenerExecutorAdded for executor {} again while it is still running; \
                     counted once",
                    e.id
                ),
            );
            return;
        }
        self.seen(ts);
        let info = e.info.unwrap_or(ExecutorInfo {
            cores: None,
            profile: 0,
        });
        let cores = info.cores.unwrap_or(0);
        self.executors.entry(e.id).or_default().push(Executor {
            added_ms: ts,
            removed_ms: None,
            cores,
            profile: info.profile,
        });
    }

    fn removed(&mut self, e: ExecutorRemoved, no: u64) {
        let given = e.ts.is_some();
        let Some(ts) = self.time(e.ts, no, "SparkListenerExecutorRemoved") else {
            if !given {
                self.problem(
                    Some(no),
                    format!(
                        "SparkListenerExecutorRemoved for executor {} has no Timestamp; ignored",
                        e.id
                    ),
                );
            }
            return;
        };
        self.seen(ts);
        match self
            .executors
            .get_mut(&e.id)
            .and_then(|lives| lives.iter_mut().rev().find(|l| l.removed_ms.is_none()))
        {
            Some(life) => life.removed_ms = Some(ts),
            None => {
                self.removed_never_added += 1;
                if self.removed_never_added == 1 {
                    self.problem(Some(no), format!("executor {} removed but never added (further such events are counted, not listed)", e.id));
                }
            }
        }
    }
}

/// The integer after `key` in `line`, if there is one.
fn number_after(line: &[u8], key: &[u8]) -> Option<i64> {
    let at = memmem::find(line, key)? + key.len();
    let digits: &[u8] = &line[at..];
    let end = digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    std::str::from_utf8(&digits[..end])
        .ok()?
        .parse()
        .ok()
        .filter(|v: &i64| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> AppLog {
        let mut log = AppLog::default();
        log.read(&mut text.as_bytes()).unwrap();
        log
    }

    const LOG: &str = concat!(
        "{\"Event\":\"SparkListenerLogStart\",\"Spark Version\":\"4.3.0\"}\n",
        "{\"Event\":\"SparkListenerApplicationStart\",\"App Name\":\"demo\",\"App ID\":\"app-1\",\"Timestamp\":1000}\n",
        "{\"Event\":\"SparkListenerEnvironmentUpdate\",\"Spark Properties\":{\"spark.executor.memory\":\"2g\"}}\n",
        "{\"Event\":\"SparkListenerExecutorAdded\",\"Timestamp\":2000,\"Executor ID\":\"1\",\"Executor Info\":{\"Host\":\"h\",\"Total Cores\":4}}\n",
        "{\"Event\":\"SparkListenerTaskEnd\",\"Task Info\":{\"Finish Time\":5000},\"Task Metrics\":{\"x\":1}}\n",
        "{\"Event\":\"org.example.CustomEvent\",\"foo\":1}\n",
        "{\"Event\":\"SparkListenerExecutorRemoved\",\"Timestamp\":62000,\"Executor ID\":\"1\"}\n",
        "{\"Event\":\"SparkListenerExecutorRemoved\",\"Timestamp\":63000,\"Executor ID\":\"9\"}\n",
        "{\"Event\":\"SparkListenerExecutorAdded\",\"Executor ID\":\"2\",\"Executor Info\":{\"Total Cores\":4}}\n",
        "not json at all\n",
        "{\"Event\":\"SparkListenerApplicationEnd\",\"Timestamp\":70000}\n",
    );

    #[test]
    fn reads_the_events_that_matter_and_lists_oddities() {
        let log = read(LOG);
        assert_eq!(log.spark_version.as_deref(), Some("4.3.0"));
        assert_eq!((log.start_ms, log.end_ms), (Some(1000), Some(70000)));
        assert_eq!(log.properties["spark.executor.memory"], "2g");
        assert_eq!(
            log.executors["1"],
            vec![Executor {
                added_ms: 2000,
                removed_ms: Some(62000),
                cores: 4,
                profile: 0
            }]
        );
        assert_eq!(log.removed_never_added, 1);
        assert_eq!(log.ignored_events, 2);
        let messages: Vec<String> = log
            .problems
            .iter()
            .map(|p| format!("{:?} {}", p.line, p.message))
            .collect();
        assert!(
            messages[0].starts_with("Some(8) executor 9 removed but never added"),
            "{messages:?}"
        );
        assert!(
            messages[1]
                .starts_with("Some(9) SparkListenerExecutorAdded for executor 2 has no Timestamp"),
            "{messages:?}"
        );
        assert!(
            messages[2].starts_with("Some(10) not a JSON event line"),
            "{messages:?}"
        );
    }

    #[test]
    fn truncated_last_line_is_reported_and_last_timestamp_kept() {
        let cut = &LOG[..LOG
            .find("{\"Event\":\"SparkListenerExecutorRemoved\",\"Timestamp\":62000")
            .unwrap()
            + 30];
        let log = read(cut);
        assert_eq!(log.end_ms, None);
        assert_eq!(log.last_ms, Some(5000), "task Finish Time counts");
        let last = log.problems.last().unwrap();
        assert!(last.message.contains("cut short"), "{last:?}");
    }
}
