//! Times reading a Parquet fleet in batches, and checking every row from
//! the columns, nothing else: `cargo run --release --example scan_only -- FILE`.
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
    emrcost::collect::parquet::scan_batches(path, 1 << 20, |df, _| {
        let cols = emrcost::collect::RunColumns::new(&df).unwrap();
        n += (0..cols.len()).filter(|i| cols.facts(*i).is_ok()).count();
        Ok(())
    })
    .unwrap();
    println!(
        "decode + check (1 thread): {n} runs in {:.2} s",
        t.elapsed().as_secs_f64()
    );
}
