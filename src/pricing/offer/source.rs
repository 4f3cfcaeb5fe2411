//! Where offer files come from: a folder laid out like the public Price List
//! (`offers/v1.0/aws/index.json`, ...) or the Price List's base URL.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::OfferError;

/// The services the price book is built from.
pub const SERVICES: [&str; 3] = ["ElasticMapReduce", "AmazonEC2", "AWSGlue"];

/// The public bulk Price List.
pub const PUBLIC_URL: &str = "https://pricing.us-east-1.amazonaws.com";

const INDEX_PATH: &str = "/offers/v1.0/aws/index.json";

#[derive(Deserialize)]
struct ServiceIndex {
    #[serde(default)]
    offers: BTreeMap<String, ServiceEntry>,
}

#[derive(Deserialize)]
struct ServiceEntry {
    #[serde(rename = "currentRegionIndexUrl")]
    current_region_index_url: Option<String>,
}

#[derive(Deserialize)]
struct RegionIndex {
    #[serde(default)]
    regions: BTreeMap<String, RegionEntry>,
}

#[derive(Deserialize)]
struct RegionEntry {
    #[serde(rename = "currentVersionUrl")]
    current_version_url: String,
}

/// A folder or a base URL holding offer files.
#[derive(Debug, Clone, PartialEq)]
pub enum OfferSource {
    Dir(PathBuf),
    Url(String),
}

impl OfferSource {
    /// `http(s)://...` is a URL (use `public` for the AWS one); anything
    /// else is a folder.
    pub fn parse(raw: &str) -> OfferSource {
        if raw == "public" {
            OfferSource::Url(PUBLIC_URL.to_string())
        } else if raw.starts_with("http://") || raw.starts_with("https://") {
            OfferSource::Url(raw.trim_end_matches('/').to_string())
        } else {
            OfferSource::Dir(PathBuf::from(raw))
        }
    }

    /// Where `path` (an absolute Price List path) lives, for messages.
    pub fn location(&self, path: &str) -> String {
        match self {
            OfferSource::Dir(dir) => dir.join(path.trim_start_matches('/')).display().to_string(),
            OfferSource::Url(base) => format!("{base}{path}"),
        }
    }

    /// Opens a file for streaming. `path` comes from the index files, so it
    /// is held to the Price List's layout: under `/offers/`, with no `..`,
    /// and (from a folder) not leading out of the folder through a link.
    pub fn open(&self, path: &str) -> Result<Box<dyn Read + Send>, OfferError> {
        let location = self.location(path);
        let refuse = |why: &str| {
            OfferError::Read {
            location: location.clone(),
            message: format!(
                "the index points to '{path}', {why}; a Price List path starts with /offers/ and stays inside it"
            ),
        }
        };
        if !path.starts_with("/offers/") {
            return Err(refuse("which is not under /offers/"));
        }
        if path.split(['/', '\\']).any(|c| c == "..") || path.contains(['\\', '\0', '?', '#']) {
            return Err(refuse("which leaves the Price List layout"));
        }
        match self {
            OfferSource::Dir(dir) => {
                let full = dir.join(path.trim_start_matches('/'));
                if let (Ok(root), Ok(real)) =
                    (std::fs::canonicalize(dir), std::fs::canonicalize(&full))
                {
                    if !real.starts_with(&root) {
                        return Err(refuse("a link to a file outside the --from folder"));
                    }
                }
                let file = std::fs::File::open(full).map_err(|e| {
                    OfferError::Read {
                        location: location.clone(),
                        message: if e.kind() == std::io::ErrorKind::NotFound {
                            "no such file; the folder must mirror the Price List layout (offers/v1.0/aws/...)".to_string()
                        } else {
                            e.to_string()
                        },
                    }
                })?;
                Ok(Box::new(file))
            }
            OfferSource::Url(_) => {
                let response = ureq::get(&location)
                    .timeout(std::time::Duration::from_secs(600))
                    .call()
                    .map_err(|e| OfferError::Read {
                        location: location.clone(),
                        message: e.to_string(),
                    })?;
                Ok(Box::new(response.into_reader()))
            }
        }
    }

    fn read_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, OfferError> {
        let location = self.location(path);
        let reader = std::io::BufReader::new(self.open(path)?);
        serde_json::from_reader(reader).map_err(|e| OfferError::Json {
            location,
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })
    }

    /// The path of a service's current offer file for one region, through
    /// the service index and the service's region index.
    pub fn region_file(&self, service: &str, region: &str) -> Result<String, OfferError> {
        let index: ServiceIndex = self.read_json(INDEX_PATH)?;
        let region_index_path = index
            .offers
            .get(service)
            .and_then(|e| e.current_region_index_url.clone())
            .ok_or_else(|| OfferError::MissingService {
                location: self.location(INDEX_PATH),
                service: service.to_string(),
            })?;
        let regions: RegionIndex = self.read_json(&region_index_path)?;
        regions
            .regions
            .get(region)
            .map(|r| r.current_version_url.clone())
            .ok_or_else(|| OfferError::MissingRegion {
                location: self.location(&region_index_path),
                service: service.to_string(),
                region: region.to_string(),
            })
    }
}
