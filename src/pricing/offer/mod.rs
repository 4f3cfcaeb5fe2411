//! AWS Price List bulk offer files: a streaming reader and the rules that
//! pick the rows the price book needs.
//!
//! Offer files are large (the EC2 one runs to hundreds of MB per region), so
//! they are never loaded whole: [`parse`] walks `products` and
//! `terms.OnDemand` one entry at a time and keeps only the SKUs a selector
//! asks for. Memory grows with the rows kept, not with the file.

mod parse;
mod select;
mod source;

pub use parse::{parse, OfferMeta, OfferPrice, Parsed, Product};
pub use select::{select, Kept, Meter};
pub use source::{OfferSource, SERVICES};

/// A problem with offer files. Messages name the file (or URL) at fault.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("{location}: cannot read it: {message}")]
    Read { location: String, message: String },

    #[error("{location}:{line}:{column}: not a valid offer file: {message}")]
    Json {
        location: String,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{location}: the service index has no entry for {service}; is this the AWS Price List index (offers/v1.0/aws/index.json)?")]
    MissingService { location: String, service: String },

    #[error("{location}: the region index has no region {region} for {service}")]
    MissingRegion {
        location: String,
        service: String,
        region: String,
    },

    #[error("{location}: no rows the price book needs for {service} in {region}; check --regions and that this is the {service} offer")]
    NoRows {
        location: String,
        service: String,
        region: String,
    },

    #[error("{location}: SKU {sku}: price '{value}' is not a non-negative number")]
    BadPrice {
        location: String,
        sku: String,
        value: String,
    },

    /// `prices`: first price, its SKU, second price, its SKU.
    #[error("{location}: two rows for {key} with different prices: {} (SKU {}) and {} (SKU {})", .prices[0], .prices[1], .prices[2], .prices[3])]
    Conflict {
        location: String,
        key: String,
        prices: Box<[String; 4]>,
    },
}
