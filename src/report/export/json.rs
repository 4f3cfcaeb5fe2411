//! JSON: the report value as it is, with its `schema_version`.

use serde::Serialize;

/// Pretty-printed JSON of any report value.
pub fn render<T: Serialize>(value: &T) -> String {
    // Report values hold only strings, numbers and plain enums.
    let mut s =
        serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
