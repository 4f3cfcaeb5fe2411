//! Errors from loading the price book and from looking prices up in it.

use std::path::PathBuf;

/// The price book could not be loaded. Each message names the file (and line)
/// at fault.
#[derive(Debug, thiserror::Error)]
pub enum PriceBookError {
    #[error("price file {} is missing; a price book folder needs {expected} (see pricing/README.md)", path.display())]
    MissingFile { path: PathBuf, expected: String },

    #[error("cannot write the price book: {0}")]
    Write(#[from] crate::files::WriteError),

    #[error("cannot read price file {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{file}: the file is empty; it needs a header line: {expected}")]
    Empty { file: String, expected: String },

    #[error("{file}:1: unknown column '{column}'; the columns are: {expected}")]
    UnknownColumn {
        file: String,
        column: String,
        expected: String,
    },

    #[error("{file}:1: missing column '{column}'; the columns are: {expected}")]
    MissingColumn {
        file: String,
        column: String,
        expected: String,
    },

    #[error("{file}:{line}: {message}")]
    Invalid {
        file: String,
        line: u64,
        message: String,
    },

    #[error(
        "{file}:{line}: duplicate entry for {key}; it is already defined on line {first_line}"
    )]
    Duplicate {
        file: String,
        line: u64,
        key: String,
        first_line: u64,
    },
}

/// A price the book does not have. This is data, not a crash: the record that
/// needed it is listed as unpriced with this message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LookupError {
    #[error("no EMR Serverless {architecture} price for region '{region}' in pricing/serverless.csv (regions with prices: {known})")]
    Serverless {
        region: String,
        architecture: String,
        known: String,
    },

    #[error("no EMR on EC2 price for {instance_type} in region '{region}' in pricing/ec2_prices.csv (instance types priced there: {known})")]
    Ec2 {
        region: String,
        instance_type: String,
        known: String,
    },

    #[error("unknown instance type '{instance_type}': it is not in pricing/instance_types.csv (known: {known})")]
    InstanceType {
        instance_type: String,
        known: String,
    },

    #[error("no EMR on EC2 prices at all for region '{region}' in pricing/ec2_prices.csv (regions with prices: {known})")]
    Ec2Region { region: String, known: String },

    #[error("no EBS {volume_type} price for region '{region}' in pricing/ebs.csv")]
    Ebs { region: String, volume_type: String },

    #[error("no Glue {class} price for region '{region}' in pricing/glue_prices.csv")]
    Glue { region: String, class: String },

    #[error("no EMR on EKS rate for region '{region}' in pricing/eks_prices.csv (regions with rates: {known}); `emrcost pricing update --region {region}` reads it from the AWS Price List")]
    NoEksRate { region: String, known: String },
}
