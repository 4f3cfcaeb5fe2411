//! Where command output goes: standard output, or a file written atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;

/// Writes `text` to `out` (atomically) or to standard output.
pub fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    match out {
        Some(path) => emrcost::files::write(path, text.as_bytes())
            .map(|_| ())
            .with_context(|| format!("--out {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            // A terminal gets no control sequences from the data (a job
            // name could otherwise move the cursor or retitle the window);
            // a pipe or file gets the bytes exactly.
            let text = if stdout.is_terminal() {
                printable(text)
            } else {
                text.into()
            };
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            Ok(())
        }
    }
}

/// A note for the user on stderr, unless `--quiet`. Control characters
/// from the data (escape sequences in a job name or a file name) are shown
/// as `\x1b`, never sent to the terminal.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("{}", printable(text));
    }
}

/// `text` with every control character but newline and tab written as a
/// visible `\xNN` (or `\u{NN}` for C1 controls).
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(bad) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            if (c as u32) < 0x80 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    out.into()
}
