//! A multi-file output is swapped in as a whole: the process is killed
//! (`abort`, as `kill -9` would: no clean-up runs) at every rename point
//! of `pricing update` and of `report` in turn, through the debug build's
//! `EMRCOST_FAULT_AT=N` hook, and after each kill the folder must hold the
//! old set of files or the new one, never a mix. A later run finishes the
//! job and gives back any file of the user's that the kill left aside.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::{emrcost, repo};

/// Every visible file under `dir` (relative path -> bytes); hidden
/// bookkeeping (the report marker, leftovers) is not part of the set.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn without(mut set: BTreeMap<String, Vec<u8>>, name: &str) -> BTreeMap<String, Vec<u8>> {
    set.remove(name);
    set
}

/// Runs `make` with the fault hook at 1, 2, ... until a run gets through;
/// after each killed run, `check` sees the folder. Returns how many points
/// were passed.
fn kill_at_every_point(
    mut make: impl FnMut(Option<usize>) -> std::process::Output,
    mut check: impl FnMut(usize),
) -> usize {
    for n in 1..50 {
        let out = make(Some(n));
        if out.status.success() {
            return n - 1;
        }
        assert_eq!(
            out.status.code(),
            None,
            "run {n} failed instead of being killed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        check(n);
    }
    panic!("more than 50 fault points");
}

/// `pricing update` from the fixture offers into `out`, killed at `fault`.
fn update(out: &Path, fault: Option<usize>) -> std::process::Output {
    let mut cmd = emrcost();
    cmd.args([
        "pricing",
        "update",
        "--quiet",
        "--regions",
        "us-east-1,eu-west-1",
        "--from",
    ])
    .arg(repo().join("tests/fixtures/offers"))
    .arg("--out")
    .arg(out);
    if let Some(n) = fault {
        cmd.env("EMRCOST_FAULT_AT", n.to_string());
    }
    cmd.output().unwrap()
}

#[test]
fn a_killed_price_book_update_leaves_the_old_book_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book");
    std::fs::create_dir_all(&book).unwrap();
    for entry in std::fs::read_dir(repo().join("pricing")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, book.join(p.file_name().unwrap())).unwrap();
    }
    let readme = std::fs::read(book.join("README.md")).unwrap();
    // The new book, from a clean run on a copy.
    let old = files(&book);
    let fresh = dir.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    for (name, bytes) in &old {
        std::fs::write(fresh.join(name), bytes).unwrap();
    }
    assert!(update(&fresh, None).status.success());
    let new = files(&fresh);
    assert_ne!(old, new, "the fixture offers change the book");

    let points = kill_at_every_point(
        |fault| update(&book, fault),
        |n| {
            let now = without(files(&book), "README.md");
            assert!(
                now == without(old.clone(), "README.md")
                    || now == without(new.clone(), "README.md"),
                "killed at point {n}: the book is a mix of the old and the new files"
            );
        },
    );
    assert!(
        points >= 2,
        "the swap and the README's carry-over are fault points"
    );
    // The run that got through also gave back whatever a kill left aside.
    assert_eq!(files(&book), new);
    assert_eq!(std::fs::read(book.join("README.md")).unwrap(), readme);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
}

#[test]
fn a_killed_report_leaves_the_old_report_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let synth = |runs: &str, name: &str| {
        let path = dir.path().join(name);
        emrcost()
            .args(["synth", "--quiet", "--runs", runs, "--seed", "7", "--out"])
            .arg(&path)
            .assert()
            .success();
        path
    };
    let (a, b) = (synth("40", "a.csv"), synth("60", "b.csv"));
    let report = |input: &Path, fault: Option<usize>| {
        let mut cmd = emrcost();
        cmd.args(["report", "--quiet", "--format", "md,json,csv,svg", "--out"])
            .arg(&out)
            .arg(input);
        if let Some(n) = fault {
            cmd.env("EMRCOST_FAULT_AT", n.to_string());
        }
        cmd.output().unwrap()
    };
    assert!(report(&b, None).status.success());
    let new = files(&out);
    assert!(report(&a, None).status.success());
    let old = files(&out);
    assert_ne!(old, new);
    // A file of the user's in the report folder is kept through it all.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();

    let points = kill_at_every_point(
        |fault| report(&b, fault),
        |n| {
            let now = without(files(&out), "notes.txt");
            assert!(
                now == old || now == new,
                "killed at point {n}: report files of two runs are mixed: {:?}",
                now.keys().collect::<Vec<_>>()
            );
        },
    );
    assert!(points >= 2);
    assert_eq!(without(files(&out), "notes.txt"), new);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
}
