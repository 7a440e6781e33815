//! Deserializing a policy while collecting every unknown key and wrongly typed value.
//!
//! serde stops at the first problem. To report all of them in one run, the document is parsed
//! once into a spanned table; each time deserialization fails at a key or value, the problem is
//! recorded with its position, that entry is taken out, and deserialization is tried again.
//! Taking an entry out never invents a value, so whatever deserializes at the end is exactly
//! what the file says minus the entries already reported as wrong (and the run fails anyway).
//! A problem that cannot be taken out (a missing field) is recorded and ends the loop.

use std::ops::Range;

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue, Deserializer};
use toml::Spanned;

/// More rounds than any real policy needs; bounds the work on a hostile one.
const MAX_ROUNDS: usize = 200;

/// A problem found while deserializing: where, and serde's message.
pub(super) struct RawProblem {
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// `Ok(value)` when the document is clean; else every problem found, and the value that
/// deserialized once the wrong entries were taken out (if any did).
pub(super) fn deserialize<T: DeserializeOwned>(
    text: &str,
) -> std::result::Result<T, (Vec<RawProblem>, Option<T>)> {
    let mut root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let problem = RawProblem {
                span: e.span(),
                message: e.message().trim().to_string(),
            };
            return Err((vec![problem], None));
        }
    };
    root.get_mut().make_owned();
    let mut problems: Vec<RawProblem> = Vec::new();
    let mut removed: Vec<Range<usize>> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let attempt = T::deserialize(Deserializer::from(root.clone()));
        let e = match attempt {
            Ok(value) if problems.is_empty() => return Ok(value),
            Ok(value) => return Err((problems, Some(value))),
            Err(e) => e,
        };
        let span = e.span();
        let taken = span
            .as_ref()
            .and_then(|s| remove_entry(root.get_mut(), s, ""));
        // A "missing field" caused by an entry we took out repeats a reported problem.
        let echoes = span
            .as_ref()
            .is_some_and(|s| removed.iter().any(|r| s.start <= r.start && r.end <= s.end));
        let message = e.message().trim();
        if !echoes {
            problems.push(RawProblem {
                span: span.clone(),
                message: match &taken {
                    Some((_, key)) => format!("{key}: {message}"),
                    None => message.to_string(),
                },
            });
        }
        match taken {
            Some((key_span, _)) => removed.push(key_span),
            None => break,
        }
    }
    Err((problems, None))
}

/// Takes out the table entry whose key holds `span`, or whose (non-table) value is `span`;
/// returns the entry's key span and dotted key (`audit.ignore[2].reason`). `None` when no
/// entry matches (a missing field: the span is a whole table). The whole tree is searched:
/// the span of a `[table]` header is not the span of its body.
fn remove_entry(
    table: &mut DeTable<'_>,
    span: &Range<usize>,
    prefix: &str,
) -> Option<(Range<usize>, String)> {
    let inside = |s: Range<usize>| s.start <= span.start && span.end <= s.end;
    let mut hit = None;
    for (key, value) in table.iter_mut() {
        let dotted = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        if inside(key.span()) || (value.span() == *span && !value.get_ref().is_table()) {
            hit = Some((key.span(), dotted));
            break;
        }
        if let Some(found) = remove_in_value(value, span, &dotted) {
            return Some(found);
        }
    }
    let (key_span, dotted) = hit?;
    let key = table.keys().find(|k| k.span() == key_span)?.clone();
    table.remove(&key);
    Some((key_span, dotted))
}

fn remove_in_value(
    value: &mut Spanned<DeValue<'_>>,
    span: &Range<usize>,
    dotted: &str,
) -> Option<(Range<usize>, String)> {
    match value.get_mut() {
        DeValue::Table(t) => remove_entry(t, span, dotted),
        DeValue::Array(items) => items
            .iter_mut()
            .enumerate()
            .find_map(|(i, item)| remove_in_value(item, span, &format!("{dotted}[{i}]"))),
        _ => None,
    }
}
