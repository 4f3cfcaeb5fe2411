//! `emrcost`: parse the command line, run the command, map the outcome to an
//! exit code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

// A fleet report allocates and frees large column buffers batch after
// batch; mimalloc reuses them from thread-local free lists (glibc
// malloc/free took about a fifth of `report` on 10M runs). It is built
// without transparent huge pages (`no_thp`): with them, every buffer that
// mimalloc returned to the OS came back as freshly zeroed 2 MB pages, and
// zeroing took 44% of the profile (12.3 s against 8.2 s on 10M runs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::parse();
    cli::init_logging(&args);
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => cli::report_error(&err),
    }
}
