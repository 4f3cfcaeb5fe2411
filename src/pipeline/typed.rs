//! A batch's columns typed for the check: numbers as `f64`, times as
//! epoch milliseconds, text as trimmed string views. A text cell in a
//! number or time column is parsed here (a cell that does not parse is a
//! bad cell, with its value), so every format's cells are read alike.

use polars::prelude::*;
use polars_arrow::array::{Array, BooleanArray, PrimitiveArray, Utf8ViewArray};

use crate::model::schema;
use crate::model::time;
use crate::model::Reject;

/// A numeric column as `f64`, or absent.
pub(super) struct Nums(Option<PrimitiveArray<f64>>);

impl Nums {
    /// Whether the input has the column at all.
    pub(super) fn present(&self) -> bool {
        self.0.is_some()
    }

    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<f64> {
        let a = self.0.as_ref()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

/// A time column as epoch milliseconds, or absent.
pub(super) struct Times(Option<PrimitiveArray<i64>>);

impl Times {
    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<i64> {
        let a = self.0.as_ref()?;
        a.is_valid(i).then(|| a.value(i))
    }
}

/// A text column, or absent. Cells are trimmed; blank ones read as absent.
pub(super) struct Texts(Option<Utf8ViewArray>);

impl Texts {
    #[inline(always)]
    pub(super) fn get(&self, i: usize) -> Option<&str> {
        let a = self.0.as_ref()?;
        if !a.is_valid(i) {
            return None;
        }
        // Trimmed, as a CSV cell is: " us-east-1" is us-east-1 in every
        // format. Most cells start and end with a visible ASCII character
        // and need no look at the rest.
        let v = crate::model::trim_cell(a.value(i));
        (!v.is_empty()).then_some(v)
    }
}

/// A column's one chunk (the caller's frame may hold several).
fn single<T: PolarsDataType>(ca: &ChunkedArray<T>) -> Option<T::Array>
where
    T::Array: Clone,
{
    ca.rechunk().downcast_iter().next().cloned()
}

fn col_err(c: &str, e: impl std::fmt::Display) -> String {
    format!("column '{c}': {e}")
}

/// The schema's `&'static` name for a column.
fn static_name(c: &str) -> &'static str {
    schema::column(c).map_or("?", |c| c.name)
}

/// Types a number column. Text is parsed (a cell that is not a number is a
/// bad cell); true/false is refused for the whole column.
pub(super) fn numbers(
    df: &DataFrame,
    c: &str,
    bad: &mut Vec<(usize, Reject)>,
) -> Result<Nums, String> {
    let Ok(col) = df.column(c) else {
        return Ok(Nums(None));
    };
    let s = col.as_materialized_series();
    match s.dtype() {
        DataType::Boolean => Err(format!(
            "column '{c}' holds true/false; expected numbers ({})",
            schema::column(c).map_or("", |k| k.unit)
        )),
        DataType::String => {
            let text = s.str().map_err(|e| col_err(c, e))?;
            let parsed = s.cast(&DataType::Float64).map_err(|e| col_err(c, e))?;
            let nums = parsed.f64().map_err(|e| col_err(c, e))?;
            // polars' cast reads the usual spellings fast; a cell it could
            // not read is tried again trimmed, then reported with its value.
            // (The cast leaves a cell missing where the text is missing or
            // unread: the counts differ exactly when some cell was unread.)
            let missed = nums.null_count() != text.null_count();
            if !missed {
                return Ok(Nums(single(nums)));
            }
            let v: Vec<Option<f64>> = text
                .iter()
                .zip(nums.iter())
                .enumerate()
                .map(|(i, (raw, v))| match (raw, v) {
                    (_, Some(v)) => Some(v),
                    (None, None) => None,
                    (Some(raw), None) => {
                        let t = raw.trim();
                        if t.is_empty() {
                            return None;
                        }
                        match t.parse::<f64>() {
                            Ok(v) => Some(v),
                            Err(_) => {
                                bad.push((
                                    i,
                                    Reject::NotANumber {
                                        column: static_name(c),
                                        value: raw.to_string(),
                                    },
                                ));
                                None
                            }
                        }
                    }
                })
                .collect();
            let ca = Float64Chunked::from_iter_options(c.into(), v.into_iter());
            Ok(Nums(single(&ca)))
        }
        _ => {
            let cast = s.cast(&DataType::Float64).map_err(|e| col_err(c, e))?;
            let ca = cast.f64().map_err(|e| col_err(c, e))?;
            Ok(Nums(single(ca)))
        }
    }
}

/// Types a time column as epoch milliseconds: timestamps as they are, text
/// by [`time::parse_ms`], numbers as epoch seconds or milliseconds.
pub(super) fn times(
    df: &DataFrame,
    c: &str,
    bad: &mut Vec<(usize, Reject)>,
) -> Result<Times, String> {
    let Ok(col) = df.column(c) else {
        return Ok(Times(None));
    };
    let s = col.as_materialized_series();
    let column = static_name(c);
    let mut cell = |i: usize, r: Result<i64, String>| match r {
        Ok(ms) => Some(ms),
        Err(message) => {
            bad.push((i, Reject::BadTime { column, message }));
            None
        }
    };
    let ca: Int64Chunked = match s.dtype() {
        DataType::String => {
            let text = s.str().map_err(|e| col_err(c, e))?;
            let v: Vec<Option<i64>> = text
                .iter()
                .enumerate()
                .map(|(i, raw)| match raw.map(crate::model::trim_cell) {
                    None | Some("") => None,
                    Some(t) => cell(i, time::parse_ms(t)),
                })
                .collect();
            Int64Chunked::from_iter_options(c.into(), v.into_iter())
        }
        d if d.is_primitive_numeric() => {
            let f = s.cast(&DataType::Float64).map_err(|e| col_err(c, e))?;
            let f = f.f64().map_err(|e| col_err(c, e))?;
            let v: Vec<Option<i64>> = f
                .iter()
                .enumerate()
                .map(|(i, x)| x.and_then(|x| cell(i, time::epoch_ms(x))))
                .collect();
            Int64Chunked::from_iter_options(c.into(), v.into_iter())
        }
        _ => {
            let cast = s
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some("UTC".into()),
                ))
                .and_then(|c| c.cast(&DataType::Int64))
                .map_err(|e| col_err(c, e))?;
            let ms = cast.i64().map_err(|e| col_err(c, e))?;
            // Timestamps outside 1970-9999 are refused as text ones are.
            if ms.iter().flatten().all(time::in_range_ms) {
                ms.clone()
            } else {
                let v: Vec<Option<i64>> = ms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| match t {
                        Some(t) if !time::in_range_ms(t) => cell(
                            i,
                            Err(format!(
                                "{t} ms since 1970 is outside 1970-01-01 to 9999-12-31"
                            )),
                        ),
                        other => other,
                    })
                    .collect();
                Int64Chunked::from_iter_options(c.into(), v.into_iter())
            }
        }
    };
    Ok(Times(single(&ca)))
}

pub(super) fn texts(df: &DataFrame, c: &str) -> Result<Texts, String> {
    let Ok(col) = df.column(c) else {
        return Ok(Texts(None));
    };
    let cast = col.cast(&DataType::String).map_err(|e| col_err(c, e))?;
    let ca = cast.str().map_err(|e| col_err(c, e))?;
    Ok(Texts(single(ca)))
}

pub(super) fn flags(
    df: &DataFrame,
    c: &str,
    bad: &mut Vec<(usize, Reject)>,
) -> Result<Option<BooleanArray>, String> {
    let Ok(col) = df.column(c) else {
        return Ok(None);
    };
    let s = col.as_materialized_series();
    let ca: BooleanChunked = match s.dtype() {
        DataType::Boolean => s.bool().map_err(|e| col_err(c, e))?.clone(),
        DataType::String => {
            let text = s.str().map_err(|e| col_err(c, e))?;
            text.iter()
                .enumerate()
                .map(|(i, raw)| match raw.map(crate::model::trim_cell) {
                    None | Some("") => None,
                    Some("true") | Some("TRUE") | Some("True") => Some(true),
                    Some("false") | Some("FALSE") | Some("False") => Some(false),
                    Some(other) => {
                        bad.push((
                            i,
                            Reject::BadFlag {
                                column: static_name(c),
                                value: other.to_string(),
                            },
                        ));
                        None
                    }
                })
                .collect()
        }
        other => return Err(format!("column '{c}' is {other}; expected true or false")),
    };
    Ok(single(&ca))
}
