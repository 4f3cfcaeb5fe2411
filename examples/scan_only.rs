//! Times reading a Parquet fleet in batches, converting rows, nothing else:
//! `cargo run --release --example scan_only -- FILE`.
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("FILE");
    let path = std::path::Path::new(&path);
    let t = Instant::now();
    let mut rows = 0;
    emrcost::collect::parquet::scan_batches(path, 1 << 20, |df, _| {
        rows += df.height();
        Ok(())
    })
    .unwrap();
    println!(
        "decode only: {rows} rows in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let mut n = 0;
    emrcost::collect::parquet::scan_batches(path, 1 << 20, |df, off| {
        let (runs, _) = emrcost::collect::parquet::frame_runs_with(&df, "x", off, false)?;
        n += runs.len();
        Ok(())
    })
    .unwrap();
    println!(
        "decode + convert (1 thread): {n} runs in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
