//! `emrcost`: parse the command line, run the command, map the outcome to an
//! exit code. Everything else lives in the library and in `cli/`.

mod cli;

use std::process::ExitCode;

// Reading a fleet makes millions of small strings; mimalloc's thread-local
// free lists keep that off the critical path (about a fifth of the time of
// `report` on 10M runs went to glibc malloc/free).
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
