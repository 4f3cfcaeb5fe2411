//! Issue 13's hostile-input corpus: `tests/hostile/make_corpus.py` writes one
//! folder per case (its input files and a `case.json` saying what the command
//! must do); this test runs the binary on every case and checks, for each:
//!
//! - the exit code, and that it ended within the case's time limit (a hang
//!   is killed and reported);
//! - no panic (exit 101, a signal, "panicked" or "RUST_BACKTRACE" in the
//!   output);
//! - the message names what is wrong and where (`stderr_has`, plain
//!   substrings or `re:` regular expressions), and what must not appear
//!   (raw terminal escapes, formula cells);
//! - no file in the case folder outside the case's `output` changed,
//!   appeared or disappeared (files are hashed before and after, without
//!   following links or opening FIFOs), and /dev/null is still the null
//!   device.
//!
//! Every failure is collected; the test prints one table of them and counts
//! by kind (panics, hangs, silent wrong answers, data-safety failures), then
//! fails if there is any. The case format is described at the top of
//! `make_corpus.py`.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use predicates::Predicate;
use serde::Deserialize;
use serde_json::Value;

/// One case, as `case.json` has it.
#[derive(Debug, Deserialize)]
struct Case {
    name: String,
    class: String,
    why: String,
    args: Vec<String>,
    /// An exit code or a list of allowed ones.
    exit: Value,
    #[serde(default)]
    stderr_has: Vec<String>,
    #[serde(default)]
    stderr_lacks: Vec<String>,
    #[serde(default)]
    stdout_has: Vec<String>,
    #[serde(default)]
    stdout_lacks: Vec<String>,
    #[serde(default)]
    stderr_has_on_error: Vec<String>,
    /// A relative path, a list of them, or null.
    #[serde(default)]
    output: Value,
    #[serde(default)]
    output_has: Vec<Value>,
    timeout_s: f64,
    #[serde(default)]
    setup: Vec<Value>,
    /// Run with stdout on a pseudo-terminal (through `tty_run.py`).
    #[serde(default)]
    tty: bool,
}

/// What kind of failure: the issue asks for the first four to be counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Panic,
    Hang,
    /// Exit 0 where a refusal was expected, or a wrong figure or cell in
    /// what was written.
    SilentWrong,
    /// A file outside the output changed, appeared or disappeared.
    DataSafety,
    /// A wrong non-zero exit code or a message that does not say enough.
    Message,
    /// The case could not be set up or read.
    Setup,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Panic => "panic",
            Kind::Hang => "hang",
            Kind::SilentWrong => "silent wrong answer",
            Kind::DataSafety => "data safety",
            Kind::Message => "exit code / message",
            Kind::Setup => "setup",
        }
    }
}

/// What one case gave: no problems when it passed.
struct Outcome {
    case: String,
    class: String,
    why: String,
    problems: Vec<(Kind, String)>,
}

/// A file-system entry as it was, compared before and after a run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { len: u64, hash: u64 },
    Dir,
    Link(PathBuf),
    Fifo,
    Other(u32),
}

/// Every entry under `root` by relative path, links not followed, FIFOs
/// and devices not opened.
fn snapshot(root: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let ft = meta.file_type();
            let e = if ft.is_symlink() {
                Entry::Link(std::fs::read_link(&path).unwrap_or_default())
            } else if ft.is_dir() {
                walk(root, &path, out);
                Entry::Dir
            } else if ft.is_file() {
                let mut h = DefaultHasher::new();
                h.write(&std::fs::read(&path).unwrap_or_default());
                Entry::File {
                    len: meta.len(),
                    hash: h.finish(),
                }
            } else if ft.is_fifo() {
                Entry::Fifo
            } else {
                Entry::Other(meta.mode())
            };
            out.insert(rel, e);
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A pattern: a plain substring, or a regular expression after `re:`.
fn matches(pattern: &str, text: &str) -> Result<bool, String> {
    match pattern.strip_prefix("re:") {
        Some(re) => predicates::str::is_match(re)
            .map(|p| p.eval(text))
            .map_err(|e| format!("bad pattern {pattern:?}: {e}")),
        None => Ok(text.contains(pattern)),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn allowed_exits(v: &Value) -> Vec<i64> {
    match v {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(a) => a.iter().filter_map(Value::as_i64).collect(),
        _ => Vec::new(),
    }
}

/// Whether `rel` is one of the outputs or inside one.
fn is_output(rel: &str, outputs: &[String]) -> bool {
    outputs.iter().any(|o| {
        let o = o.trim_end_matches('/');
        o.is_empty() || o == "." || rel == o || rel.starts_with(&format!("{o}/"))
    })
}

/// /dev/null's device number while it is a character device: cases write
/// through links to it, and it must still be the same device afterwards
/// (as root, a writer that replaced it would break the machine).
fn dev_null() -> Option<u64> {
    std::fs::symlink_metadata("/dev/null")
        .ok()
        .filter(|m| m.file_type().is_char_device())
        .map(|m| m.rdev())
}

/// The environment every case runs in: no price book from the caller, no
/// log filter, and AWS pointed at nothing so that `collect` cases can only
/// fail fast. With `tty` (the case's time limit), stdout is a
/// pseudo-terminal: `tty_run.py` runs the binary and enforces the limit.
fn command(bin: &Path, dir: &Path, args: &[String], tty: Option<f64>) -> Command {
    let mut cmd = match tty {
        Some(timeout_s) => {
            let mut c = Command::new("python3");
            c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/tty_run.py"))
                .arg(timeout_s.to_string())
                .arg(bin);
            c
        }
        None => Command::new(bin),
    };
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("EMRCOST_PRICING")
        .env_remove("EMRCOST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_ACCESS_KEY_ID", "hostile")
        .env("AWS_SECRET_ACCESS_KEY", "hostile")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    cmd
}

struct Ran {
    /// None when it was killed by a signal (ours on a timeout, or a crash).
    code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    stdout: String,
    stderr: String,
}

/// Reads a pipe to the end, keeping the first 4 MB.
fn drain(mut r: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            if kept.len() < 4 << 20 {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        kept
    })
}

/// Runs the command, killing it after `timeout`.
fn run(mut cmd: Command, timeout: Duration) -> Result<Ran, String> {
    let mut child = cmd.spawn().map_err(|e| format!("cannot start: {e}"))?;
    let out = drain(child.stdout.take().expect("piped stdout"));
    let err = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Ok(None) => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().map_err(|e| format!("cannot wait: {e}"))?;
            }
            Err(e) => return Err(format!("cannot wait: {e}")),
        }
    };
    let text = |h: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().unwrap_or_default()).into_owned()
    };
    Ok(Ran {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        stdout: text(out),
        stderr: text(err),
    })
}

/// Makes what `setup` asks for, in order.
fn set_up(case: &Case, dir: &Path, bin: &Path) -> Result<(), String> {
    for item in &case.setup {
        let parent_of = |rel: &str| {
            let p = dir.join(rel);
            if let Some(parent) = p.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            p
        };
        if let Some(rel) = item.get("fifo").and_then(Value::as_str) {
            let path = parent_of(rel);
            let status = Command::new("mkfifo")
                .arg(&path)
                .status()
                .map_err(|e| format!("mkfifo {rel}: {e}"))?;
            if !status.success() {
                return Err(format!("mkfifo {rel}: {status}"));
            }
        } else if let Some(pair) = item.get("symlink") {
            let pair = strings(pair);
            let [link, target] = &pair[..] else {
                return Err(format!("setup {item}: expected [link, target]"));
            };
            std::os::unix::fs::symlink(target, parent_of(link))
                .map_err(|e| format!("symlink {link} -> {target}: {e}"))?;
        } else if let Some(pair) = item.get("hardlink") {
            let pair = strings(pair);
            let [link, target] = &pair[..] else {
                return Err(format!("setup {item}: expected [link, target]"));
            };
            std::fs::hard_link(dir.join(target), parent_of(link))
                .map_err(|e| format!("hard link {link} -> {target}: {e}"))?;
        } else if let Some(args) = item.get("run") {
            let args: Vec<String> = strings(args)
                .into_iter()
                .map(|a| a.replace("{dir}", &dir.to_string_lossy()))
                .collect();
            let ran = run(command(bin, dir, &args, None), Duration::from_secs(60))?;
            if ran.code != Some(0) {
                return Err(format!(
                    "setup run {args:?} exited {:?}: {}",
                    ran.code,
                    ran.stderr.lines().next().unwrap_or("")
                ));
            }
        } else {
            return Err(format!("unknown setup item {item}"));
        }
    }
    Ok(())
}

/// Checks one `output_has` item against what the command left.
fn check_output(dir: &Path, check: &Value, problems: &mut Vec<(Kind, String)>) {
    if let Some(sub) = check.get("dir").and_then(Value::as_str) {
        let with = check
            .get("names_with")
            .and_then(Value::as_str)
            .unwrap_or("");
        let want = check.get("count").and_then(Value::as_u64).unwrap_or(0);
        let names: Vec<String> = std::fs::read_dir(dir.join(sub))
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.contains(with))
                    .collect()
            })
            .unwrap_or_default();
        if names.len() as u64 != want {
            problems.push((
                Kind::SilentWrong,
                format!(
                    "{sub}: {} file(s) named with {with:?}, expected {want}: {names:?}",
                    names.len()
                ),
            ));
        }
        return;
    }
    let Some(file) = check.get("file").and_then(Value::as_str) else {
        problems.push((
            Kind::Setup,
            format!("output_has item without file or dir: {check}"),
        ));
        return;
    };
    let path = dir.join(file);
    if check.get("absent").and_then(Value::as_bool) == Some(true) {
        if std::fs::symlink_metadata(&path).is_ok() {
            problems.push((
                Kind::SilentWrong,
                format!("{file} exists; expected it gone"),
            ));
        }
        return;
    }
    let text = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => {
            String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).into_owned()
        }
        _ => {
            problems.push((Kind::SilentWrong, format!("{file} was not written")));
            return;
        }
    };
    for (key, want) in [("has", true), ("lacks", false)] {
        for pattern in check.get(key).map(strings).unwrap_or_default() {
            match matches(&pattern, &text) {
                Ok(found) if found != want => problems.push((
                    Kind::SilentWrong,
                    format!("{file} {} {pattern:?}", if want { "lacks" } else { "has" }),
                )),
                Ok(_) => {}
                Err(e) => problems.push((Kind::Setup, e)),
            }
        }
    }
    if let Some(want) = check.get("lines").and_then(Value::as_u64) {
        let n = text.lines().count() as u64;
        if n != want {
            problems.push((
                Kind::SilentWrong,
                format!("{file}: {n} line(s), expected {want}"),
            ));
        }
    }
}

/// Runs one case; the problems found (none when it passes).
fn run_case(dir: &Path, bin: &Path, dev_null_before: Option<u64>) -> Result<Outcome, String> {
    let text = std::fs::read_to_string(dir.join("case.json")).map_err(|e| e.to_string())?;
    let case: Case = serde_json::from_str(&text).map_err(|e| format!("case.json: {e}"))?;
    let mut problems: Vec<(Kind, String)> = Vec::new();
    let outcome = |problems: Vec<(Kind, String)>| Outcome {
        case: case.name.clone(),
        class: case.class.clone(),
        why: case.why.clone(),
        problems,
    };
    if let Err(e) = set_up(&case, dir, bin) {
        return Ok(outcome(vec![(Kind::Setup, e)]));
    }
    let before = snapshot(dir);
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{dir}", &dir.to_string_lossy()))
        .collect();
    let tty = case.tty.then_some(case.timeout_s);
    // Through tty_run.py, which has the time limit itself, a little longer.
    let limit = case.timeout_s + if case.tty { 10.0 } else { 0.0 };
    let mut ran = match run(
        command(bin, dir, &args, tty),
        Duration::from_secs_f64(limit),
    ) {
        Ok(r) => r,
        Err(e) => return Ok(outcome(vec![(Kind::Setup, e)])),
    };
    if case.tty {
        // tty_run.py reports a timeout as 124 and a signal N as 128 + N.
        match ran.code {
            Some(124) => ran.timed_out = true,
            Some(c) if c > 128 => (ran.code, ran.signal) = (None, Some(c - 128)),
            _ => {}
        }
    }
    let first_line = ran
        .stderr
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string();

    let exit = match (ran.code, ran.signal) {
        (Some(c), _) => c.to_string(),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => "unknown".into(),
    };

    // Panics and hangs; after one, the rest of the output is not checked.
    let mut crashed = true;
    if ran.timed_out {
        problems.push((
            Kind::Hang,
            format!("still running after {} s; killed", case.timeout_s),
        ));
    } else if ran.code == Some(101)
        || ran.signal.is_some()
        || ran.stderr.contains("panicked")
        || ran.stderr.contains("RUST_BACKTRACE")
        || ran.stdout.contains("panicked")
    {
        let at = ran
            .stderr
            .lines()
            .find(|l| l.contains("panicked"))
            .unwrap_or(&first_line)
            .to_string();
        problems.push((Kind::Panic, format!("exit {exit}: {at}")));
    } else {
        crashed = false;
    }

    if !crashed {
        // The exit code.
        let allowed = allowed_exits(&case.exit);
        let code = ran.code.map(i64::from);
        if !code.is_some_and(|c| allowed.contains(&c)) {
            let kind = if code == Some(0) {
                Kind::SilentWrong
            } else {
                Kind::Message
            };
            problems.push((
                kind,
                format!("exit {exit}, expected {} ({first_line})", case.exit),
            ));
        }
        // The messages.
        let mut check = |patterns: &[String], text: &str, want: bool, what: &str, kind: Kind| {
            for p in patterns {
                match matches(p, text) {
                    Ok(found) if found != want => problems.push((
                        kind,
                        format!("{what} {} {p:?}", if want { "lacks" } else { "has" }),
                    )),
                    Ok(_) => {}
                    Err(e) => problems.push((Kind::Setup, e)),
                }
            }
        };
        check(&case.stderr_has, &ran.stderr, true, "stderr", Kind::Message);
        if ran.code != Some(0) {
            check(
                &case.stderr_has_on_error,
                &ran.stderr,
                true,
                "stderr",
                Kind::Message,
            );
        }
        check(
            &case.stderr_lacks,
            &ran.stderr,
            false,
            "stderr",
            Kind::Message,
        );
        check(
            &case.stdout_has,
            &ran.stdout,
            true,
            "stdout",
            Kind::SilentWrong,
        );
        check(
            &case.stdout_lacks,
            &ran.stdout,
            false,
            "stdout",
            Kind::SilentWrong,
        );
        // What was written.
        for check in &case.output_has {
            check_output(dir, check, &mut problems);
        }
    }

    // Nothing outside the output changed, appeared or disappeared.
    let outputs = strings(&case.output);
    let after = snapshot(dir);
    let mut changed = Vec::new();
    for rel in before
        .keys()
        .chain(after.keys().filter(|k| !before.contains_key(*k)))
    {
        if is_output(rel, &outputs) {
            continue;
        }
        match (before.get(rel), after.get(rel)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(_), Some(_)) => changed.push(format!("{rel} changed")),
            (Some(_), None) => changed.push(format!("{rel} disappeared")),
            (None, _) => changed.push(format!("{rel} appeared")),
        }
    }
    if !changed.is_empty() {
        problems.push((
            Kind::DataSafety,
            format!("outside the output: {}", changed.join(", ")),
        ));
    }
    if dev_null() != dev_null_before {
        problems.push((
            Kind::DataSafety,
            "/dev/null is no longer the null device".into(),
        ));
    }
    Ok(outcome(problems))
}

#[test]
fn hostile_corpus() {
    let bin = assert_cmd::cargo::cargo_bin("emrcost");
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("temp dir");
    let corpus = tmp.path().join("corpus");
    let made = Command::new("python3")
        .arg(repo.join("tests/hostile/make_corpus.py"))
        .arg(&corpus)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "make_corpus.py failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("corpus folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 80, "only {} cases", dirs.len());
    let dev_null_before = dev_null();
    assert!(dev_null_before.is_some(), "/dev/null is not a device");

    // Run the cases on a few threads; each has its own folder.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Outcome>> = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(dir) = dirs.get(i) else { break };
                let f = run_case(dir, &bin, dev_null_before).unwrap_or_else(|e| Outcome {
                    case: dir
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                    class: "?".into(),
                    why: String::new(),
                    problems: vec![(Kind::Setup, e)],
                });
                results.lock().unwrap().push(f);
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.case.cmp(&b.case));

    // Nothing may be written beside the case folders either.
    let stray: Vec<String> = std::fs::read_dir(&corpus)
        .expect("corpus folder")
        .flatten()
        .filter(|e| !dirs.contains(&e.path()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();

    let failed: Vec<&Outcome> = results.iter().filter(|f| !f.problems.is_empty()).collect();
    let mut by_class: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for r in &results {
        let e = by_class.entry(r.class.as_str()).or_default();
        e.0 += 1;
        e.1 += usize::from(!r.problems.is_empty());
    }
    let mut by_kind: BTreeMap<Kind, usize> = BTreeMap::new();
    for f in &failed {
        let mut kinds: Vec<Kind> = f.problems.iter().map(|p| p.0).collect();
        kinds.sort();
        kinds.dedup();
        for k in kinds {
            *by_kind.entry(k).or_default() += 1;
        }
    }
    if !stray.is_empty() {
        *by_kind.entry(Kind::DataSafety).or_default() += 1;
    }

    let mut report = String::new();
    if !failed.is_empty() {
        report.push_str(&format!("{:<44} {:<14} what failed\n", "case", "class"));
        for f in &failed {
            for (i, (kind, text)) in f.problems.iter().enumerate() {
                let (name, class) = if i == 0 {
                    (f.case.as_str(), f.class.as_str())
                } else {
                    ("", "")
                };
                report.push_str(&format!(
                    "{name:<44} {class:<14} [{}] {text}\n",
                    kind.label()
                ));
            }
            report.push_str(&format!("{:<44} {:<14} (case: {})\n", "", "", f.why));
        }
        report.push('\n');
    }
    if !stray.is_empty() {
        report.push_str(&format!("written beside the case folders: {stray:?}\n"));
    }
    report.push_str(&format!(
        "{} cases, {} failed; by class (cases / failed):",
        results.len(),
        failed.len()
    ));
    for (class, (n, bad)) in &by_class {
        report.push_str(&format!(" {class} {n}/{bad};"));
    }
    report.push_str("\nfailing cases by kind:");
    for kind in [
        Kind::Panic,
        Kind::Hang,
        Kind::SilentWrong,
        Kind::DataSafety,
        Kind::Message,
        Kind::Setup,
    ] {
        report.push_str(&format!(
            " {} {};",
            kind.label(),
            by_kind.get(&kind).copied().unwrap_or(0)
        ));
    }
    println!("{report}");
    assert!(
        failed.is_empty() && stray.is_empty(),
        "hostile corpus: {} of {} cases failed (the table is in the test's stdout)",
        failed.len(),
        results.len()
    );
}
