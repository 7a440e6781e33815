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
