//! Replay protection: a `webhook-id` that was delivered is refused until its timestamp leaves
//! the tolerance window (after which the timestamp check refuses it anyway).
//!
//! An id is *claimed* before forwarding and *confirmed* when the upstream answers 2xx. If the
//! upstream fails, the claim is released so that the sender's retry (same id, new timestamp and
//! signature) gets through: Mendix retries failed deliveries with the same `webhook-id`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

/// Why an id cannot be claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimError {
    /// Already delivered, or being delivered right now.
    /// Already forwarded with a 2xx answer: a redelivery, to acknowledge without forwarding.
    Delivered,
    /// Being forwarded right now (no answer yet): the sender should retry later.
    InFlight,
    /// The cache holds `capacity` live entries.
    Full,
}

#[derive(Debug)]
struct Entry {
    expires: i64,
    delivered: bool,
}

/// Remembered ids with their expiry (epoch seconds). Not thread-safe; wrap in a mutex.
#[derive(Debug)]
pub struct ReplayCache {
    entries: HashMap<String, Entry>,
    by_expiry: BinaryHeap<Reverse<(i64, String)>>,
    capacity: usize,
}

impl ReplayCache {
    /// A cache holding at most `capacity` live ids.
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache { entries: HashMap::new(), by_expiry: BinaryHeap::new(), capacity }
    }

    /// Claims `id` until `expires`, unless it is known and not yet expired at `now`.
    pub fn claim(&mut self, id: &str, expires: i64, now: i64) -> Result<(), ClaimError> {
        self.prune(now);
        if let Some(e) = self.entries.get(id)
            && e.expires >= now
        {
            return Err(if e.delivered { ClaimError::Delivered } else { ClaimError::InFlight });
        }
        if self.entries.len() >= self.capacity {
            return Err(ClaimError::Full);
        }
        self.entries.insert(id.to_string(), Entry { expires, delivered: false });
        self.by_expiry.push(Reverse((expires, id.to_string())));
        Ok(())
    }

    /// The upstream accepted the delivery: keep the id until it expires.
    pub fn confirm(&mut self, id: &str) {
        if let Some(e) = self.entries.get_mut(id) {
            e.delivered = true;
        }
    }

    /// The upstream did not accept it: forget the claim so a retry can pass.
    pub fn release(&mut self, id: &str) {
        if self.entries.get(id).is_some_and(|e| !e.delivered) {
            self.entries.remove(id);
        }
    }

    /// Live entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Drops entries that expired before `now`. Amortised O(log n) per entry.
    fn prune(&mut self, now: i64) {
        while let Some(Reverse((expires, _))) = self.by_expiry.peek() {
            if *expires >= now {
                break;
            }
            if let Some(Reverse((expires, id))) = self.by_expiry.pop()
                && self.entries.get(&id).is_some_and(|e| e.expires == expires)
            {
                self.entries.remove(&id);
            }
        }
        // Released ids leave stale heap items behind; rebuild when they dominate.
        if self.by_expiry.len() > 2 * self.entries.len() + 1024 {
            self.by_expiry = self.entries.iter().map(|(id, e)| Reverse((e.expires, id.clone()))).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_within_window_refused_after_window_accepted() {
        let mut c = ReplayCache::new(10);
        assert_eq!(c.claim("a", 100, 0), Ok(()));
        c.confirm("a");
        assert_eq!(c.claim("a", 100, 50), Err(ClaimError::Delivered));
        assert_eq!(c.claim("a", 100, 100), Err(ClaimError::Delivered));
        assert_eq!(c.claim("a", 300, 101), Ok(()));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn in_flight_is_refused_and_release_lets_retries_through() {
        let mut c = ReplayCache::new(10);
        c.claim("a", 100, 0).unwrap();
        assert_eq!(c.claim("a", 100, 1), Err(ClaimError::InFlight), "concurrent duplicate");
        c.release("a");
        assert_eq!(c.claim("a", 120, 2), Ok(()), "retry after upstream failure");
        c.confirm("a");
        c.release("a");
        assert_eq!(c.claim("a", 120, 3), Err(ClaimError::Delivered), "release after confirm is a no-op");
    }

    #[test]
    fn capacity_counts_only_live_entries() {
        let mut c = ReplayCache::new(2);
        c.claim("a", 10, 0).unwrap();
        c.claim("b", 20, 0).unwrap();
        assert_eq!(c.claim("c", 30, 5), Err(ClaimError::Full));
        assert_eq!(c.claim("c", 30, 11), Ok(()), "a expired");
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn stale_heap_items_are_bounded() {
        let mut c = ReplayCache::new(10);
        for i in 0..5000 {
            let id = format!("id{i}");
            c.claim(&id, 1_000_000, 0).unwrap();
            c.release(&id);
        }
        assert_eq!(c.len(), 0);
        assert!(c.by_expiry.len() <= 1024 + 2, "{}", c.by_expiry.len());
    }
}
