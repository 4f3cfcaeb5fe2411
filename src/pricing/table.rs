//! A strict reader for the price book's CSV tables: exact header, typed
//! fields, and errors that name the file, line and column.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::error::PriceBookError;

/// One data row with its 1-based line number in the file.
pub(crate) struct Row<'t> {
    pub(crate) line: u64,
    record: csv::StringRecord,
    table: &'t Table,
}

/// A parsed CSV file whose header matched the expected columns exactly
/// (order free).
pub(crate) struct Table {
    pub(crate) file: String,
    columns: HashMap<String, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

impl Table {
    /// Parses `text` (the contents of `file`) and checks its header against
    /// `expected`: no unknown and no missing columns.
    pub(crate) fn parse(
        file: &str,
        text: &str,
        expected: &[&str],
    ) -> Result<Table, PriceBookError> {
        let expected_list = expected.join(",");
        if text.trim().is_empty() {
            return Err(PriceBookError::Empty {
                file: file.to_string(),
                expected: expected_list,
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| invalid(file, 1, e))?.clone();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            if !expected.contains(&h) {
                return Err(PriceBookError::UnknownColumn {
                    file: file.to_string(),
                    column: h.to_string(),
                    expected: expected_list,
                });
            }
            columns.insert(h.to_string(), i);
        }
        for col in expected {
            if !columns.contains_key(*col) {
                return Err(PriceBookError::MissingColumn {
                    file: file.to_string(),
                    column: col.to_string(),
                    expected: expected_list,
                });
            }
        }
        let mut rows = Vec::new();
        for rec in reader.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                invalid(file, line, e)
            })?;
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            rows.push((line, rec));
        }
        Ok(Table {
            file: file.to_string(),
            columns,
            rows,
        })
    }

    pub(crate) fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.rows.iter().map(move |(line, record)| Row {
            line: *line,
            record: record.clone(),
            table: self,
        })
    }
}

impl Row<'_> {
    pub(crate) fn err(&self, message: impl Into<String>) -> PriceBookError {
        PriceBookError::Invalid {
            file: self.table.file.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    /// A required, non-empty text field.
    pub(crate) fn text(&self, column: &str) -> Result<String, PriceBookError> {
        let idx = self.table.columns[column];
        match self.record.get(idx) {
            Some(v) if !v.is_empty() => Ok(v.to_string()),
            _ => Err(self.err(format!("column '{column}' is empty"))),
        }
    }

    /// An optional text field (empty is `None`).
    pub(crate) fn opt_text(&self, column: &str) -> Option<String> {
        let idx = self.table.columns[column];
        self.record
            .get(idx)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// A finite, non-negative number. Used for every price and size.
    pub(crate) fn non_negative(&self, column: &str) -> Result<f64, PriceBookError> {
        let raw = self.text(column)?;
        let value: f64 = raw.parse().map_err(|_| {
            self.err(format!(
                "column '{column}' is '{raw}', which is not a number"
            ))
        })?;
        if !value.is_finite() {
            return Err(self.err(format!(
                "column '{column}' is {raw}; expected a finite number"
            )));
        }
        if value < 0.0 {
            return Err(self.err(format!(
                "column '{column}' is {raw}; prices and sizes cannot be negative"
            )));
        }
        Ok(value)
    }

    /// A price in USD: a non-negative number below the plausibility limit
    /// ([`crate::model::limits::MAX_HOURLY_USD`]), so that a unit slip in a
    /// hand-edited book is refused rather than priced.
    pub(crate) fn price(&self, column: &str) -> Result<f64, PriceBookError> {
        let value = self.non_negative(column)?;
        let max = crate::model::limits::MAX_HOURLY_USD;
        if value > max {
            let raw = self.text(column)?;
            return Err(self.err(format!(
                "column '{column}' is {raw}, above the ${max} limit emrcost accepts for a price; check the unit"
            )));
        }
        Ok(value)
    }

    /// A finite number greater than zero (vCPU, memory, DPU).
    pub(crate) fn positive(&self, column: &str) -> Result<f64, PriceBookError> {
        let value = self.non_negative(column)?;
        if value == 0.0 {
            return Err(self.err(format!("column '{column}' must be greater than zero")));
        }
        Ok(value)
    }

    pub(crate) fn positive_u32(&self, column: &str) -> Result<u32, PriceBookError> {
        let raw = self.text(column)?;
        match raw.parse::<u32>() {
            Ok(v) if v > 0 => Ok(v),
            _ => Err(self.err(format!(
                "column '{column}' is '{raw}'; expected a whole number above zero"
            ))),
        }
    }

    pub(crate) fn boolean(&self, column: &str) -> Result<bool, PriceBookError> {
        let raw = self.text(column)?;
        match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(true),
            "false" | "no" | "0" => Ok(false),
            _ => Err(self.err(format!(
                "column '{column}' is '{raw}'; expected true or false"
            ))),
        }
    }

    pub(crate) fn date(&self, column: &str) -> Result<NaiveDate, PriceBookError> {
        let raw = self.text(column)?;
        NaiveDate::parse_from_str(&raw, "%Y-%m-%d").map_err(|_| {
            self.err(format!(
                "column '{column}' is '{raw}'; expected a date as YYYY-MM-DD"
            ))
        })
    }
}

fn invalid(file: &str, line: u64, e: impl std::fmt::Display) -> PriceBookError {
    PriceBookError::Invalid {
        file: file.to_string(),
        line,
        message: format!("malformed CSV: {e}"),
    }
}
