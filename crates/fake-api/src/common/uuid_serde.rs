//! Serde for UUIDs such as Mendix app ids and Socotra tenant locators (the `uuid` dependency is
//! built without its `serde` feature). They are accepted only in the canonical hyphenated
//! 8-4-4-4-12 form, in either case.
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};
use uuid::Uuid;

/// Parses a UUID in the canonical hyphenated form.
pub fn parse(raw: &str) -> Option<Uuid> {
    if raw.len() != 36 {
        return None;
    }
    Uuid::try_parse(raw).ok()
}

pub fn serialize<S: Serializer>(u: &Uuid, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(u)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Uuid, D::Error> {
    let raw = String::deserialize(d)?;
    parse(&raw).ok_or_else(|| D::Error::custom("expected a UUID such as 76ef1b0f-4050-4810-a159-cb419268636c"))
}

/// For `Vec<Uuid>`, `BTreeSet<Uuid>` and other collections.
pub mod seq {
    use super::*;

    pub fn serialize<'a, S, C>(items: &'a C, s: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        &'a C: IntoIterator<Item = &'a Uuid>,
    {
        s.collect_seq(items.into_iter().map(|u| u.to_string()))
    }

    pub fn deserialize<'de, D, C>(d: D) -> Result<C, D::Error>
    where
        D: Deserializer<'de>,
        C: FromIterator<Uuid>,
    {
        let raw = Vec::<String>::deserialize(d)?;
        raw.iter().map(|r| parse(r).ok_or_else(|| D::Error::custom("expected a list of UUIDs"))).collect()
    }
}
