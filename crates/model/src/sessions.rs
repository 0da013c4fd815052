//! The sessions one server holds, as a sorted vector.
//!
//! A server holds at most its capacity (about a hundred) of `(user slot, session)` pairs
//! and answers a heartbeat lookup for one of them on most events it handles. A sorted
//! vector keeps them in one or two dozen contiguous cache lines where a `BTreeSet` spread
//! them over nodes that each missed the cache (measured on `large`: the B-tree search was
//! the hottest part of the server's handler). Iteration is in the same ascending order as
//! the `BTreeSet` it replaced, so traces are unchanged.

/// A set of `(user slot, session)` pairs in ascending order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sessions {
    sorted: Vec<(u32, u32)>,
}

impl Sessions {
    /// An empty set.
    pub const fn new() -> Self {
        Sessions { sorted: Vec::new() }
    }

    /// Number of sessions held.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// True when no session is held.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// True if `entry` is held.
    pub fn contains(&self, entry: &(u32, u32)) -> bool {
        self.sorted.binary_search(entry).is_ok()
    }

    /// Add `entry`; false if it was already held.
    pub fn insert(&mut self, entry: (u32, u32)) -> bool {
        match self.sorted.binary_search(&entry) {
            Ok(_) => false,
            Err(at) => {
                self.sorted.insert(at, entry);
                true
            }
        }
    }

    /// Remove `entry`; false if it was not held.
    pub fn remove(&mut self, entry: &(u32, u32)) -> bool {
        match self.sorted.binary_search(entry) {
            Ok(at) => {
                self.sorted.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// Drop every session.
    pub fn clear(&mut self) {
        self.sorted.clear();
    }

    /// Start loading every cache line of the set (a heartbeat's binary search would
    /// otherwise miss on one line after another).
    pub fn prefetch(&self) {
        for line in self.sorted.chunks(8) {
            swarmlb_engine::prefetch(&line[0]);
        }
    }

    /// The sessions in ascending order.
    pub fn iter(&self) -> std::slice::Iter<'_, (u32, u32)> {
        self.sorted.iter()
    }
}

impl<'a> IntoIterator for &'a Sessions {
    type Item = &'a (u32, u32);
    type IntoIter = std::slice::Iter<'a, (u32, u32)>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
