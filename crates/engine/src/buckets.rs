//! Future events grouped by bucket number, for the scheduler.
//!
//! Most events are due within a few thousand buckets of now (heartbeats, time-outs,
//! lifespans), so those buckets sit in a ring indexed directly by `bucket - base`: a push is
//! one index and one append, where a `BTreeMap` walked four or five nodes that each missed
//! the cache on the 100,000-user model. Buckets further out (a timer hours ahead) wait in
//! a `BTreeMap` and join the ring's bucket of the same number when it comes up.

use std::collections::{BTreeMap, VecDeque};

/// How many buckets the ring spans at most (at 65.5 ms per bucket, 71 minutes); its
/// headers cost 24 bytes each, and only up to the furthest bucket in use.
const RING_BUCKETS: u64 = 1 << 16;

/// Unsorted vectors of entries, by bucket number; buckets come out in increasing order.
pub(crate) struct Buckets<E> {
    /// `ring[i]` holds bucket `base + i`.
    ring: VecDeque<Vec<E>>,
    base: u64,
    /// Buckets at or beyond `base + RING_BUCKETS` when they were pushed.
    beyond: BTreeMap<u64, Vec<E>>,
}

impl<E> Buckets<E> {
    /// No buckets; the first pushed may have any number.
    pub(crate) fn new() -> Self {
        Buckets {
            ring: VecDeque::new(),
            base: 0,
            beyond: BTreeMap::new(),
        }
    }

    /// Add `entry` to bucket `bucket`, which must not be before the last bucket taken.
    pub(crate) fn push(&mut self, bucket: u64, entry: E) {
        debug_assert!(bucket >= self.base, "bucket {bucket} already taken");
        let offset = bucket - self.base;
        if offset >= RING_BUCKETS {
            self.beyond.entry(bucket).or_default().push(entry);
            return;
        }
        let offset = offset as usize;
        if offset >= self.ring.len() {
            self.ring.resize_with(offset + 1, Vec::new);
        }
        self.ring[offset].push(entry);
    }

    /// Remove and return the earliest non-empty bucket and its number.
    pub(crate) fn pop_first(&mut self) -> Option<(u64, Vec<E>)> {
        let in_ring = self.ring.iter().position(|b| !b.is_empty());
        let ring_first = in_ring.map(|i| self.base + i as u64);
        let beyond_first = self.beyond.first_key_value().map(|(&b, _)| b);
        let bucket = match (ring_first, beyond_first) {
            (None, None) => return None,
            (Some(r), Some(b)) => r.min(b),
            (Some(only), None) | (None, Some(only)) => only,
        };
        // Ring buckets before `bucket` are empty; take `bucket`'s own if it is in the ring.
        let offset = (bucket - self.base) as usize;
        let mut events = if offset < self.ring.len() {
            self.ring.drain(..offset);
            self.ring.pop_front().unwrap_or_default()
        } else {
            self.ring.clear();
            Vec::new()
        };
        self.base = bucket + 1;
        if beyond_first == Some(bucket)
            && let Some((_, more)) = self.beyond.pop_first()
        {
            events.extend(more);
        }
        Some((bucket, events))
    }

    /// Every entry, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &E> {
        self.ring.iter().chain(self.beyond.values()).flatten()
    }
}
