//! Records a report leaves out, counted by reason.
//!
//! A fleet can hold millions of records that cannot be priced (a region the
//! price book lacks, a column of bad values). Listing each one would make a
//! report nobody can read and hold a string per record in memory, so the
//! tally keeps every count, each distinct reason with its first record, and
//! only the first [`LISTED`] records of each kind in full.

use std::collections::HashMap;

use serde::Serialize;

use crate::cost::UnpricedReason;
use crate::model::{Reject, Rejected};

/// Records of each kind (rejected, unpriced) listed one by one.
pub const LISTED: usize = 1000;
/// Distinct reasons tracked; past this, records count under "other reasons".
const MAX_REASONS: usize = 500;

/// One reason and how many records it left out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub records: usize,
    /// The first record it applied to (file and row, or the run).
    pub first: String,
}

/// The records left out of a report, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NotPricedSummary {
    /// Records that could not be read (a bad row, no time for the window).
    pub rejected: usize,
    /// Records read but not priced (no price for the region, no usage...).
    pub unpriced: usize,
    /// By reason, most records first.
    pub by_reason: Vec<ReasonCount>,
}

/// Accumulates left-out records, in input order; tallies from parallel
/// chunks merge in order into the same result as one tally.
#[derive(Debug, Default)]
pub struct NotPriced {
    /// The first [`LISTED`] of each kind.
    pub rejected: Vec<Rejected>,
    pub unpriced: Vec<UnpricedReason>,
    rejected_count: usize,
    unpriced_count: usize,
    reasons: Vec<ReasonCount>,
    index: HashMap<String, usize>,
    /// Records whose reason came after [`MAX_REASONS`] others.
    other: usize,
}

impl NotPriced {
    /// A tally of a list of unpriced records.
    pub fn from_unpriced(unpriced: Vec<UnpricedReason>) -> NotPriced {
        let mut t = NotPriced::default();
        for u in unpriced {
            t.unprice(u);
        }
        t
    }

    fn count(&mut self, reason: &str, first: &str, records: usize) {
        match self.index.get(reason) {
            Some(i) => self.reasons[*i].records += records,
            None if self.reasons.len() < MAX_REASONS => {
                self.index.insert(reason.to_string(), self.reasons.len());
                self.reasons.push(ReasonCount {
                    reason: reason.to_string(),
                    records,
                    first: first.to_string(),
                });
            }
            None => self.other += records,
        }
    }

    /// A record the check refused: counted under the reason's kind (its
    /// value left out), listed with the full reason.
    pub fn reject(&mut self, location: String, why: &Reject) {
        self.rejected_count += 1;
        self.count(&why.kind(), &location, 1);
        if self.rejected.len() < LISTED {
            self.rejected.push(Rejected {
                location,
                reason: why.to_string(),
            });
        }
    }

    pub fn unprice(&mut self, u: UnpricedReason) {
        self.unpriced_count += 1;
        self.count(&u.reason, &u.job, 1);
        if self.unpriced.len() < LISTED {
            self.unpriced.push(u);
        }
    }

    /// Adds a later tally (the next chunk of the same input).
    pub fn merge(&mut self, other: NotPriced) {
        self.rejected_count += other.rejected_count;
        self.unpriced_count += other.unpriced_count;
        for r in other.reasons {
            self.count(&r.reason, &r.first, r.records);
        }
        self.other += other.other;
        let room = LISTED.saturating_sub(self.rejected.len());
        self.rejected.extend(other.rejected.into_iter().take(room));
        let room = LISTED.saturating_sub(self.unpriced.len());
        self.unpriced.extend(other.unpriced.into_iter().take(room));
    }

    /// Records left out, of both kinds.
    pub fn total(&self) -> usize {
        self.rejected_count + self.unpriced_count
    }

    pub fn rejected_count(&self) -> usize {
        self.rejected_count
    }

    pub fn unpriced_count(&self) -> usize {
        self.unpriced_count
    }

    /// The first record left out and why, for messages.
    pub fn first(&self) -> Option<(&str, &str)> {
        self.rejected
            .first()
            .map(|r| (r.location.as_str(), r.reason.as_str()))
            .or_else(|| {
                self.unpriced
                    .first()
                    .map(|u| (u.job.as_str(), u.reason.as_str()))
            })
    }

    /// The counts, by reason (most records first, then first seen).
    pub fn summary(&self) -> NotPricedSummary {
        let mut by_reason = self.reasons.clone();
        by_reason.sort_by_key(|r| std::cmp::Reverse(r.records));
        if self.other > 0 {
            by_reason.push(ReasonCount {
                reason: format!("{MAX_REASONS}+ other distinct reasons"),
                records: self.other,
                first: String::new(),
            });
        }
        NotPricedSummary {
            rejected: self.rejected_count,
            unpriced: self.unpriced_count,
            by_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unpriced(i: usize, reason: &str) -> UnpricedReason {
        UnpricedReason {
            index: i,
            job: format!("f: row {i}"),
            reason: reason.into(),
        }
    }

    /// 3,000 records of two reasons: every one counted, the first 1,000
    /// listed, each reason with its first row; two halves merged give the
    /// same as one tally.
    #[test]
    fn counts_everything_lists_the_first() {
        let records: Vec<UnpricedReason> = (1..=3000)
            .map(|i| unpriced(i, if i % 3 == 0 { "no price" } else { "no usage" }))
            .collect();
        let whole = NotPriced::from_unpriced(records.clone());
        let mut halves = NotPriced::from_unpriced(records[..1500].to_vec());
        halves.merge(NotPriced::from_unpriced(records[1500..].to_vec()));
        for t in [&whole, &halves] {
            assert_eq!(t.total(), 3000);
            assert_eq!(t.unpriced.len(), LISTED);
            assert_eq!(t.unpriced[999].job, "f: row 1000");
            let s = t.summary();
            assert_eq!(s.unpriced, 3000);
            assert_eq!(s.by_reason.len(), 2);
            assert_eq!(
                (s.by_reason[0].reason.as_str(), s.by_reason[0].records),
                ("no usage", 2000)
            );
            assert_eq!(s.by_reason[0].first, "f: row 1");
            assert_eq!(
                (s.by_reason[1].reason.as_str(), s.by_reason[1].records),
                ("no price", 1000)
            );
            assert_eq!(s.by_reason[1].first, "f: row 3");
        }
        assert_eq!(whole.summary(), halves.summary());
    }

    /// Rejections count by the reason's kind: ten thousand different
    /// negative durations are one reason, listed with their own values.
    #[test]
    fn rejections_count_by_kind_not_value() {
        let mut t = NotPriced::default();
        for i in 1..=10_000 {
            let why = Reject::Negative {
                column: "duration_s",
                value: -(i as f64),
            };
            t.reject(format!("f.csv:{}", i + 1), &why);
        }
        let s = t.summary();
        assert_eq!(s.by_reason.len(), 1);
        assert_eq!(s.by_reason[0].records, 10_000);
        assert_eq!(
            s.by_reason[0].reason,
            "duration_s is negative or not finite"
        );
        assert_eq!(s.by_reason[0].first, "f.csv:2");
        assert_eq!(
            t.rejected[1].reason,
            "duration_s is -2; it cannot be negative"
        );
    }

    #[test]
    fn too_many_reasons_fold_into_one_line() {
        let records = (0..MAX_REASONS + 7).map(|i| unpriced(i, &format!("value {i}")));
        let t = NotPriced::from_unpriced(records.collect());
        let s = t.summary();
        assert_eq!(s.by_reason.len(), MAX_REASONS + 1);
        assert_eq!(s.by_reason.last().unwrap().records, 7);
        assert_eq!(
            s.by_reason.iter().map(|r| r.records).sum::<usize>(),
            MAX_REASONS + 7
        );
    }
}
