//! Strict JSON for security-relevant documents (bundles, provenance, manifests, evidence lines),
//! and [`document`], the one way a model is written as a JSON document.
//!
//! `serde_json` keeps the *last* of two equal keys in a `Value` and a derived struct takes the
//! *first* (or errors, depending on the field), so two readers of one document can see two
//! different documents: that is how a second, unsigned `dsseEnvelope` got its statement judged
//! while the first one's signature was checked. Every document we judge is therefore parsed
//! here first: duplicate keys at any depth are refused with the line and column serde_json
//! reports, and typed structures are then read from that one tree.
//!
//! Written by hand (about 60 lines over serde's visitor API) because no maintained crate offers
//! a duplicate-refusing `serde_json::Value` deserializer.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// A JSON document as we print and write every one: pretty, in the model's field order, with
/// a final newline. Our models are plain data (string keys, no maps that could fail), so
/// serialising cannot fail.
pub fn document<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).expect("our models serialise");
    s.push('\n');
    s
}

/// Parses `bytes` as JSON, refusing duplicate object keys at any depth.
///
/// The error's `line()`/`column()` point at the offending key (or syntax error).
pub fn parse(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Parses `bytes` strictly (see [`parse`]) and reads a typed structure from that same tree.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_value(parse(bytes)?)
}

/// Checks what [`parse`] checks (syntax, one document, no duplicate key at any depth) without
/// building the tree: for large documents read many times (stored evidence payloads), where
/// the tree's allocations cost more than the parse. Takes text: UTF-8 is not checked again.
pub fn check(text: &str) -> Result<(), serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    Unique.deserialize(&mut de)?;
    de.end()
}

/// [`check`], then a typed structure read straight from the same text (no intermediate
/// tree). Typed errors carry their line and column.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    check(text)?;
    serde_json::from_str(text)
}

/// A seed that walks a value, failing on a repeated key; it keeps only the keys of the
/// objects being walked (borrowed from the input when they have no escape).
struct Unique;

impl<'de> DeserializeSeed<'de> for Unique {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // As `parse`: a number serde_json cannot hold is refused.
        serde_json::Number::from_f64(v)
            .map(|_| ())
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Unique)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Unique)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Most objects have a few keys: a list, compared in place. Past 16 keys a set, so an
        // object of a million keys does not take a million squared.
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: std::collections::HashSet<Cow<'de, str>> = Default::default();
        while let Some(key) = map.next_key_seed(Key)? {
            let seen = if many.is_empty() {
                few.contains(&key)
            } else {
                many.contains(&key)
            };
            if seen {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{}`",
                    key.escape_debug()
                )));
            }
            if few.len() < 16 {
                few.push(key);
            } else {
                many.extend(few.drain(..));
                many.insert(key);
            }
            map.next_value_seed(Unique)?;
        }
        Ok(())
    }
}

/// An object key, borrowed from the input when it has no escape.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v))
    }
}

/// A seed that builds a `serde_json::Value`, failing on a repeated key.
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(StrictValue)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(StrictValue)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format_args!(
                    "duplicate key `{}`",
                    key.escape_debug()
                )));
            }
            let v = map.next_value_seed(StrictValue)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_documents() {
        let v = parse(br#"{"a": [1, 2.5, "x", null, true], "b": {"c": {}}}"#).unwrap();
        assert_eq!(v["a"][2], "x");
        assert_eq!(v["b"]["c"], serde_json::json!({}));
    }

    #[test]
    fn refuses_duplicate_keys_at_any_depth_with_position() {
        let e = parse(b"{\"a\": 1,\n \"a\": 2}").unwrap_err();
        assert!(e.to_string().contains("duplicate key `a`"), "{e}");
        assert_eq!(e.line(), 2);
        let e = parse(br#"{"x": [{"dsseEnvelope": {}, "dsseEnvelope": {}}]}"#).unwrap_err();
        assert!(e.to_string().contains("dsseEnvelope"), "{e}");
    }

    #[test]
    fn check_refuses_what_parse_refuses_and_read_types_the_same_bytes() {
        for bad in [
            &b"{\"a\": 1,\n \"a\": 2}"[..],
            br#"{"x": [{"dsseEnvelope": {}, "dsseEnvelope": {}}]}"#,
            br#"{"a\u0062": 1, "ab": 2}"#,
            br#"{"a": 1} {"a": 2}"#,
            br#"{"a": 1e999}"#,
            br#"{"a": [1, 2"#,
        ] {
            let text = std::str::from_utf8(bad).unwrap();
            let (p, c) = (parse(bad).unwrap_err(), check(text).unwrap_err());
            assert_eq!(
                (p.to_string(), p.line(), p.column()),
                (c.to_string(), c.line(), c.column()),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        let good = br#"{"a": [1, 2.5, "x\"y", null, true], "b": {"a": {}, "c": {"a": 1}}}"#;
        assert!(parse(good).is_ok() && check(std::str::from_utf8(good).unwrap()).is_ok());
        // Past the list's 16 keys, the set finds a repeat too.
        let wide: Vec<String> = (0..40).map(|i| format!("\"k{i}\": {i}")).collect();
        let doc = format!("{{{}, \"k3\": 0}}", wide.join(", "));
        assert!(check(&doc)
            .unwrap_err()
            .to_string()
            .contains("duplicate key `k3`"));
        assert!(check(&format!("{{{}}}", wide.join(", "))).is_ok());
        #[derive(serde::Deserialize)]
        struct S {
            a: u32,
        }
        assert_eq!(read::<S>(r#"{"a": 7}"#).unwrap().a, 7);
        assert!(read::<S>(r#"{"a": 7, "a": 8}"#).is_err());
        assert!(read::<S>(r#"{"a": 7, "b": {"c": 1, "c": 2}}"#).is_err());
    }

    #[test]
    fn refuses_trailing_data() {
        assert!(parse(br#"{"a": 1} {"a": 2}"#).is_err());
    }

    #[test]
    fn typed_read_comes_from_the_checked_tree() {
        #[derive(serde::Deserialize)]
        struct S {
            a: u32,
        }
        assert_eq!(from_slice::<S>(br#"{"a": 7}"#).unwrap().a, 7);
        assert!(from_slice::<S>(br#"{"a": 7, "a": 8}"#).is_err());
    }
}
