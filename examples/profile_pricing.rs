//! Prices N synthetic runs once, for instruction counts that do not depend
//! on machine load:
//!
//! ```sh
//! cargo build --release --example profile_pricing
//! RAYON_NUM_THREADS=1 valgrind --tool=callgrind --separate-threads=yes \
//!     target/release/examples/profile_pricing 100000
//! ```
use emrcost::cost::{Assumptions, Pricer};
use emrcost::pricing::PriceBook;
use emrcost::synth::{generate, SynthConfig};
fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let book = PriceBook::embedded().expect("built-in price book");
    let runs = generate(&SynthConfig {
        runs: n,
        ..SynthConfig::default()
    });
    let pricer = Pricer::new(
        &book,
        Assumptions {
            ec2_spot_discount: Some(0.6),
            ..Assumptions::default()
        },
    );
    let (c, u) = pricer.price_all(&runs);
    println!("{} {}", c.len(), u.len());
}
