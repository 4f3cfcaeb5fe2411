//! A streaming reader for one offer file.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::OfferError;

/// The product attributes the price book uses; every other attribute is
/// skipped without being stored.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Product {
    #[serde(default)]
    pub sku: String,
    #[serde(rename = "productFamily")]
    pub family: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct Attributes {
    #[serde(rename = "regionCode")]
    pub region_code: Option<String>,
    #[serde(rename = "instanceType")]
    pub instance_type: Option<String>,
    #[serde(rename = "operatingSystem")]
    pub operating_system: Option<String>,
    pub tenancy: Option<String>,
    #[serde(rename = "preInstalledSw")]
    pub pre_installed_sw: Option<String>,
    pub capacitystatus: Option<String>,
    #[serde(rename = "licenseModel")]
    pub license_model: Option<String>,
    pub vcpu: Option<String>,
    pub memory: Option<String>,
    #[serde(rename = "physicalProcessor")]
    pub physical_processor: Option<String>,
    #[serde(rename = "processorArchitecture")]
    pub processor_architecture: Option<String>,
    #[serde(rename = "softwareType")]
    pub software_type: Option<String>,
    pub usagetype: Option<String>,
    pub meterunit: Option<String>,
    #[serde(rename = "volumeApiName")]
    pub volume_api_name: Option<String>,
    pub computeprovider: Option<String>,
}

/// The on-demand price of one SKU.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferPrice {
    /// The USD price as AWS wrote it, trailing zeros removed.
    pub usd: String,
    pub unit: String,
    /// `YYYY-MM-DD` from the term's `effectiveDate`.
    pub effective_date: String,
}

/// The offer's identity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OfferMeta {
    pub offer_code: String,
    pub version: String,
    pub publication_date: String,
}

/// What one pass over an offer file kept.
#[derive(Debug, Default)]
pub struct Parsed<K> {
    pub meta: OfferMeta,
    /// Kept products with their on-demand price, in SKU order.
    pub rows: Vec<(String, K, OfferPrice)>,
    /// Kept SKUs without an on-demand price.
    pub unpriced: Vec<String>,
    pub bytes: u64,
}

/// Reads an offer file, keeping the products `keep` maps to `Some` and their
/// on-demand prices. Works whichever of `products` and `terms` comes first.
pub fn parse<R: Read, K: Clone>(
    location: &str,
    open: impl Fn() -> Result<R, OfferError>,
    keep: impl Fn(&Product) -> Option<K>,
) -> Result<Parsed<K>, OfferError> {
    let mut state = State {
        keep: &keep,
        kept: HashMap::new(),
        terms: HashMap::new(),
        meta: OfferMeta::default(),
        seen_products: false,
        terms_skipped: false,
    };
    let bytes = run_pass(location, open()?, &mut state, Pass::First)?;
    if state.terms_skipped {
        // `terms` came before `products`: read the file once more for them.
        run_pass(location, open()?, &mut state, Pass::TermsOnly)?;
    }
    let State {
        kept,
        mut terms,
        meta,
        ..
    } = state;
    let mut rows = Vec::with_capacity(kept.len());
    let mut unpriced = Vec::new();
    let mut skus: Vec<String> = kept.keys().cloned().collect();
    skus.sort();
    for sku in skus {
        let k = kept[&sku].clone();
        match terms.remove(&sku) {
            Some(price) => {
                let price = price.map_err(|value| OfferError::BadPrice {
                    location: location.to_string(),
                    sku: sku.clone(),
                    value,
                })?;
                rows.push((sku, k, price));
            }
            None => unpriced.push(sku),
        }
    }
    Ok(Parsed {
        meta,
        rows,
        unpriced,
        bytes,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Pass {
    First,
    TermsOnly,
}

struct State<'k, K> {
    keep: &'k dyn Fn(&Product) -> Option<K>,
    kept: HashMap<String, K>,
    /// SKU -> price, or the raw text of a price that is not a number.
    terms: HashMap<String, Result<OfferPrice, String>>,
    meta: OfferMeta,
    seen_products: bool,
    terms_skipped: bool,
}

/// Counts bytes read, for the MB/s figure.
struct Counting<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn run_pass<R: Read, K>(
    location: &str,
    reader: R,
    state: &mut State<'_, K>,
    pass: Pass,
) -> Result<u64, OfferError> {
    let mut counting = Counting {
        inner: std::io::BufReader::with_capacity(1 << 20, reader),
        bytes: 0,
    };
    let mut de = serde_json::Deserializer::from_reader(&mut counting);
    let seed = TopSeed { state, pass };
    seed.deserialize(&mut de)
        .and_then(|()| de.end())
        .map_err(|e| json_error(location, &e))?;
    Ok(counting.bytes)
}

fn json_error(location: &str, e: &serde_json::Error) -> OfferError {
    if e.is_io() {
        return OfferError::Read {
            location: location.to_string(),
            message: e.to_string(),
        };
    }
    let message = if e.is_eof() {
        format!("truncated ({e}); was the download cut short?")
    } else {
        e.to_string()
    };
    OfferError::Json {
        location: location.to_string(),
        line: e.line(),
        column: e.column(),
        message,
    }
}

struct TopSeed<'s, 'k, K> {
    state: &'s mut State<'k, K>,
    pass: Pass,
}

impl<'de, K> DeserializeSeed<'de> for TopSeed<'_, '_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K> Visitor<'de> for TopSeed<'_, '_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AWS offer file (a JSON object with products and terms)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match (key.as_str(), self.pass) {
                ("products", Pass::First) => {
                    map.next_value_seed(ProductsSeed {
                        state: &mut *self.state,
                    })?;
                    self.state.seen_products = true;
                }
                ("terms", Pass::First) if !self.state.seen_products => {
                    map.next_value::<IgnoredAny>()?;
                    self.state.terms_skipped = true;
                }
                ("terms", _) => map.next_value_seed(TermsSeed {
                    state: &mut *self.state,
                })?,
                ("offerCode", Pass::First) => self.state.meta.offer_code = map.next_value()?,
                ("version", Pass::First) => self.state.meta.version = map.next_value()?,
                ("publicationDate", Pass::First) => {
                    self.state.meta.publication_date = map.next_value()?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct ProductsSeed<'s, 'k, K> {
    state: &'s mut State<'k, K>,
}

impl<'de, K> DeserializeSeed<'de> for ProductsSeed<'_, '_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K> Visitor<'de> for ProductsSeed<'_, '_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of SKU to product")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            let mut product: Product = map.next_value()?;
            if product.sku.is_empty() {
                product.sku = sku.clone();
            }
            if let Some(k) = (self.state.keep)(&product) {
                self.state.kept.insert(sku, k);
            }
        }
        Ok(())
    }
}

struct TermsSeed<'s, 'k, K> {
    state: &'s mut State<'k, K>,
}

impl<'de, K> DeserializeSeed<'de> for TermsSeed<'_, '_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K> Visitor<'de> for TermsSeed<'_, '_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of term type (OnDemand, Reserved) to terms")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(kind) = map.next_key::<String>()? {
            if kind == "OnDemand" {
                map.next_value_seed(OnDemandSeed {
                    state: &mut *self.state,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct OnDemandSeed<'s, 'k, K> {
    state: &'s mut State<'k, K>,
}

impl<'de, K> DeserializeSeed<'de> for OnDemandSeed<'_, '_, K> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

#[derive(Deserialize)]
struct RawTerm {
    #[serde(rename = "effectiveDate", default)]
    effective_date: String,
    #[serde(rename = "priceDimensions", default)]
    price_dimensions: HashMap<String, RawDimension>,
}

#[derive(Deserialize)]
struct RawDimension {
    #[serde(default)]
    unit: String,
    #[serde(rename = "pricePerUnit", default)]
    price_per_unit: HashMap<String, String>,
    #[serde(rename = "beginRange", default)]
    begin_range: Option<String>,
}

impl<'de, K> Visitor<'de> for OnDemandSeed<'_, '_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of SKU to on-demand terms")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(sku) = map.next_key::<String>()? {
            if !self.state.kept.contains_key(&sku) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let terms: HashMap<String, RawTerm> = map.next_value()?;
            if let Some(price) = first_price(terms) {
                self.state.terms.insert(sku, price);
            }
        }
        Ok(())
    }
}

/// The price of a SKU's on-demand term: the first tier (beginRange 0) of
/// the term with the latest effective date.
fn first_price(terms: HashMap<String, RawTerm>) -> Option<Result<OfferPrice, String>> {
    let term = terms
        .into_values()
        .max_by(|a, b| a.effective_date.cmp(&b.effective_date))?;
    let mut dims: Vec<RawDimension> = term.price_dimensions.into_values().collect();
    dims.sort_by_key(|d| {
        d.begin_range
            .as_deref()
            .map_or(0.0, |b| b.parse::<f64>().unwrap_or(0.0)) as i64
    });
    let dim = dims.into_iter().next()?;
    let raw = dim.price_per_unit.get("USD")?.clone();
    let date = term
        .effective_date
        .get(..10)
        .unwrap_or(&term.effective_date)
        .to_string();
    Some(match normalize_decimal(&raw) {
        Some(usd) => Ok(OfferPrice {
            usd,
            unit: dim.unit,
            effective_date: date,
        }),
        None => Err(raw),
    })
}

/// `"0.1920000000"` -> `"0.192"`; `None` unless it is a non-negative decimal.
pub fn normalize_decimal(raw: &str) -> Option<String> {
    let s = raw.trim();
    let valid = !s.is_empty()
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && s.chars().filter(|c| *c == '.').count() <= 1
        && s.parse::<f64>().is_ok_and(f64::is_finite);
    if !valid {
        return None;
    }
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    };
    let s = s.trim_start_matches('0');
    Some(if s.is_empty() || s.starts_with('.') {
        format!("0{s}")
    } else {
        s.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = r#"{
      "formatVersion": "v1.0", "offerCode": "AmazonEC2", "version": "20261101000000",
      "publicationDate": "2026-11-01T00:00:00Z",
      "products": {
        "AAA": {"sku": "AAA", "productFamily": "Compute Instance",
                "attributes": {"instanceType": "m5.xlarge", "regionCode": "us-east-1", "vcpu": "4", "extra": {"nested": [1,2]}}},
        "BBB": {"sku": "BBB", "productFamily": "Data Transfer", "attributes": {}}
      },
      "terms": {
        "OnDemand": {
          "AAA": {"AAA.JRTCKXETXF": {"offerTermCode": "JRTCKXETXF", "effectiveDate": "2026-10-01T00:00:00Z",
                   "priceDimensions": {"AAA.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": "0.1920000000"}, "beginRange": "0", "endRange": "Inf"}}}},
          "BBB": {"BBB.X": {"effectiveDate": "2026-10-01T00:00:00Z", "priceDimensions": {}}}
        },
        "Reserved": {"AAA": {"whatever": {}}}
      }
    }"#;

    fn keep(p: &Product) -> Option<String> {
        (p.family.as_deref() == Some("Compute Instance"))
            .then(|| p.attributes.instance_type.clone().unwrap_or_default())
    }

    #[test]
    fn keeps_selected_products_with_their_on_demand_price() {
        let parsed = parse("t.json", || Ok(OFFER.as_bytes()), keep).unwrap();
        assert_eq!(parsed.meta.version, "20261101000000");
        assert_eq!(parsed.rows.len(), 1);
        let (sku, k, price) = &parsed.rows[0];
        assert_eq!((sku.as_str(), k.as_str()), ("AAA", "m5.xlarge"));
        assert_eq!(price.usd, "0.192");
        assert_eq!(price.unit, "Hrs");
        assert_eq!(price.effective_date, "2026-10-01");
    }

    #[test]
    fn terms_before_products_takes_a_second_pass() {
        let products_at = OFFER.find("\"products\"").unwrap();
        let terms_at = OFFER.find("\"terms\"").unwrap();
        let end = OFFER.rfind('}').unwrap();
        let head = &OFFER[..products_at];
        let products = OFFER[products_at..terms_at]
            .trim_end()
            .trim_end_matches(',');
        let terms = &OFFER[terms_at..end];
        let swapped = format!("{head}{terms},\n{products}\n}}");
        let parsed = parse("t.json", || Ok(swapped.as_bytes()), keep).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].2.usd, "0.192");
    }

    #[test]
    fn bad_price_and_truncation_are_named() {
        let bad = OFFER.replace("0.1920000000", "0.19two");
        let err = parse("t.json", || Ok(bad.as_bytes()), keep)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("t.json: SKU AAA: price '0.19two' is not a non-negative number"),
            "{err}"
        );
        let cut = &OFFER[..OFFER.len() / 2];
        let err = parse("t.json", || Ok(cut.as_bytes()), keep)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("t.json:") && err.contains("truncated"),
            "{err}"
        );
    }

    #[test]
    fn decimals_are_normalised() {
        assert_eq!(
            normalize_decimal("0.0526240000").as_deref(),
            Some("0.052624")
        );
        assert_eq!(normalize_decimal("1.0000000000").as_deref(), Some("1"));
        assert_eq!(normalize_decimal("0.0000000000").as_deref(), Some("0"));
        assert_eq!(normalize_decimal("12").as_deref(), Some("12"));
        assert_eq!(normalize_decimal("-1"), None);
        assert_eq!(normalize_decimal("1e3"), None);
    }
}
