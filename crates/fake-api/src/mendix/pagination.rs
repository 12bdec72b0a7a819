//! List pagination with opaque cursors.
//!
//! A cursor is base64url of `v1:<order>:<direction>:<seq>:<id>` where `seq` is the creation
//! sequence number of the item at the page edge. Positions are creation sequence numbers, not
//! offsets, so items created or deleted while a client pages never cause skips or repeats: new
//! items sort after every existing one (ascending: at the end, descending: at the front).
//! The order is part of the cursor, so a cursor keeps its order even if `ascOrder` differs.
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

pub const DEFAULT_LIMIT: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Items after the position, in display order (the next page).
    After,
    /// Items before the position, in display order (the previous page).
    Before,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub ascending: bool,
    pub direction: Direction,
    pub seq: u64,
    pub id: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let order = if self.ascending { "asc" } else { "desc" };
        let dir = match self.direction {
            Direction::After => "next",
            Direction::Before => "prev",
        };
        URL_SAFE_NO_PAD.encode(format!("v1:{order}:{dir}:{}:{}", self.seq, self.id))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let raw = URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?;
        let text = String::from_utf8(raw).ok()?;
        let mut parts = text.splitn(5, ':');
        if parts.next()? != "v1" {
            return None;
        }
        let ascending = match parts.next()? {
            "asc" => true,
            "desc" => false,
            _ => return None,
        };
        let direction = match parts.next()? {
            "next" => Direction::After,
            "prev" => Direction::Before,
            _ => return None,
        };
        let seq = parts.next()?.parse().ok()?;
        let id = parts.next()?.to_string();
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        Some(Self { ascending, direction, seq, id })
    }
}

/// One page of items plus the cursors around it.
#[derive(Debug, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub prev: Option<Cursor>,
    pub next: Option<Cursor>,
}

/// Cuts one page out of `items`, which must be sorted by ascending `seq`. `id` names an item.
pub fn paginate<T: Clone>(
    items: &[(u64, T)],
    id: impl Fn(&T) -> String,
    ascending: bool,
    limit: usize,
    cursor: Option<&Cursor>,
) -> Page<T> {
    let limit = limit.max(1);
    let ascending = cursor.map_or(ascending, |c| c.ascending);
    let mut ordered: Vec<&(u64, T)> = items.iter().collect();
    if !ascending {
        ordered.reverse();
    }
    // `a` comes before `b` in display order.
    let before = |a: u64, b: u64| if ascending { a < b } else { a > b };
    let page: Vec<&(u64, T)> = match cursor {
        None => ordered.iter().take(limit).copied().collect(),
        Some(c) if c.direction == Direction::After => {
            ordered.iter().filter(|(s, _)| before(c.seq, *s)).take(limit).copied().collect()
        }
        Some(c) => {
            let earlier: Vec<&(u64, T)> = ordered.iter().filter(|(s, _)| before(*s, c.seq)).copied().collect();
            earlier.get(earlier.len().saturating_sub(limit)..).unwrap_or_default().to_vec()
        }
    };
    let (prev, next) = match (page.first(), page.last()) {
        (Some(first), Some(last)) => {
            let has_before = ordered.iter().any(|(s, _)| before(*s, first.0));
            let has_after = ordered.iter().any(|(s, _)| before(last.0, *s));
            let mk = |direction, (seq, item): &(u64, T)| Cursor { ascending, direction, seq: *seq, id: id(item) };
            (has_before.then(|| mk(Direction::Before, first)), has_after.then(|| mk(Direction::After, last)))
        }
        _ => (None, None),
    };
    Page { items: page.into_iter().map(|(_, t)| t.clone()).collect(), prev, next }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: u64) -> Vec<(u64, String)> {
        (1..=n).map(|i| (i * 10, format!("mxep_{i}"))).collect()
    }

    fn ids(p: &Page<String>) -> Vec<&str> {
        p.items.iter().map(String::as_str).collect()
    }

    #[test]
    fn cursor_round_trip_and_garbage() {
        let c = Cursor { ascending: false, direction: Direction::Before, seq: 42, id: "mxep_a".into() };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not a cursor"), None);
        assert_eq!(Cursor::decode(""), None);
        assert_eq!(Cursor::decode(&URL_SAFE_NO_PAD.encode("v1:asc:next:x:mxep_a")), None);
    }

    #[test]
    fn forward_and_back_descending() {
        let all = items(5);
        let p1 = paginate(&all, |s| s.clone(), false, 2, None);
        assert_eq!(ids(&p1), ["mxep_5", "mxep_4"]);
        assert!(p1.prev.is_none());
        let p2 = paginate(&all, |s| s.clone(), false, 2, p1.next.as_ref());
        assert_eq!(ids(&p2), ["mxep_3", "mxep_2"]);
        let p3 = paginate(&all, |s| s.clone(), true, 2, p2.next.as_ref());
        assert_eq!(ids(&p3), ["mxep_1"]);
        assert!(p3.next.is_none());
        let back = paginate(&all, |s| s.clone(), false, 2, p3.prev.as_ref());
        assert_eq!(ids(&back), ["mxep_3", "mxep_2"]);
        let back2 = paginate(&all, |s| s.clone(), false, 2, back.prev.as_ref());
        assert_eq!(ids(&back2), ["mxep_5", "mxep_4"]);
        assert!(back2.prev.is_none());
    }

    #[test]
    fn inserts_between_pages_are_neither_skipped_nor_repeated() {
        let mut all = items(4);
        let p1 = paginate(&all, |s| s.clone(), true, 2, None);
        all.push((100, "mxep_new".into()));
        all.retain(|(s, _)| *s != 10); // a delete on an earlier page changes nothing either
        let p2 = paginate(&all, |s| s.clone(), true, 2, p1.next.as_ref());
        assert_eq!(ids(&p2), ["mxep_3", "mxep_4"]);
        let p3 = paginate(&all, |s| s.clone(), true, 2, p2.next.as_ref());
        assert_eq!(ids(&p3), ["mxep_new"]);
    }
}
