//! Collectors: turn outside data into [`JobRun`](crate::model::JobRun)s.
//! One source per file. Nothing outside this module sees a file format.
