//! The paging envelopes of Genesys list endpoints. Most (`QueueEntityListing`,
//! `AuthzDivisionEntityListing`, `DivsPermittedEntityListing`) share `entities, pageSize,
//! pageNumber, total, pageCount, firstUri, selfUri, nextUri, previousUri, lastUri`; the queue
//! members' `QueueMemberEntityListing` has no `total`, `pageCount` or `lastUri` and pages by
//! `nextUri` alone. next/previous appear only when those pages exist.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::errors::ApiFault;

/// The default and the largest `pageSize` the list endpoints take.
pub const DEFAULT_SIZE: u32 = 25;
pub const MAX_SIZE: u32 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub size: u32,
    pub number: u32,
}

/// A positive integer query parameter, or the API's 400 `invalid.value` naming it.
pub fn positive(params: &HashMap<String, String>, key: &str, default: u32) -> Result<u32, ApiFault> {
    match params.get(key) {
        None => Ok(default),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiFault::invalid_value(
                key,
                format!("Value [{s}] is not valid for field type [Integer]. Allowable values are: positive integers"),
            )
        }),
    }
}

impl Page {
    /// `pageSize` (capped at 100) and `pageNumber` from the query.
    pub fn from_query(params: &HashMap<String, String>) -> Result<Page, ApiFault> {
        Ok(Page {
            size: positive(params, "pageSize", DEFAULT_SIZE)?.min(MAX_SIZE),
            number: positive(params, "pageNumber", 1)?,
        })
    }

    /// This page of `all` (`total` items in all), wrapped in the envelope; URIs point at `path`.
    pub fn envelope(&self, path: &str, total: usize, all: impl IntoIterator<Item = Value>) -> Value {
        let (size, number) = (self.size, self.number);
        let page_count = (total as u64).div_ceil(size as u64).max(1) as u32;
        let start = ((number - 1) as usize).saturating_mul(size as usize);
        let entities: Vec<Value> = all.into_iter().skip(start).take(size as usize).collect();
        let uri = |p: u32| format!("{path}?pageSize={size}&pageNumber={p}");
        let mut body = json!({
            "entities": entities,
            "pageSize": size,
            "pageNumber": number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "selfUri": uri(number),
            "lastUri": uri(page_count),
        });
        if number < page_count {
            body["nextUri"] = json!(uri(number + 1));
        }
        if number > 1 {
            body["previousUri"] = json!(uri(number - 1));
        }
        body
    }

    /// [`Page::envelope`] without `total`, `pageCount` and `lastUri`: the shape of
    /// `QueueMemberEntityListing`, whose model has none of them.
    pub fn envelope_without_total(&self, path: &str, total: usize, all: impl IntoIterator<Item = Value>) -> Value {
        let mut body = self.envelope(path, total, all);
        if let Some(o) = body.as_object_mut() {
            for k in ["total", "pageCount", "lastUri"] {
                o.remove(k);
            }
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn middle_pages_link_both_ways_and_the_ends_do_not() {
        let page = |n| Page { size: 2, number: n };
        let items = || (0..5).map(|i| json!(i));
        let first = page(1).envelope("/x", 5, items());
        assert_eq!(first["entities"], json!([0, 1]));
        assert!(first.get("previousUri").is_none() && first["nextUri"] == "/x?pageSize=2&pageNumber=2");
        let mid = page(2).envelope("/x", 5, items());
        assert!(mid.get("previousUri").is_some() && mid.get("nextUri").is_some());
        let last = page(3).envelope("/x", 5, items());
        assert_eq!((last["entities"].clone(), last["pageCount"].clone()), (json!([4]), json!(3)));
        assert!(last.get("nextUri").is_none());
        assert_eq!(page(1).envelope("/x", 0, std::iter::empty())["pageCount"], 1);
        let members = page(2).envelope_without_total("/x", 5, items());
        let mut keys: Vec<&str> = members.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["entities", "firstUri", "nextUri", "pageNumber", "pageSize", "previousUri", "selfUri"]);
    }

    #[test]
    fn bad_numbers_are_invalid_values() {
        let q: HashMap<String, String> = [("pageSize".to_string(), "0".to_string())].into();
        assert_eq!(Page::from_query(&q).unwrap_err().code, "invalid.value");
        let q: HashMap<String, String> = [("pageSize".to_string(), "500".to_string())].into();
        assert_eq!(Page::from_query(&q).unwrap().size, MAX_SIZE);
    }
}
