//! The server's session set answers exactly as the `BTreeSet` it replaced.

use std::collections::BTreeSet;

use proptest::prelude::*;
use swarmlb_model::sessions::Sessions;

proptest! {
    /// Every operation answers as a `BTreeSet` does, and iteration order matches (the
    /// server's migrations iterate it, so traces depend on it).
    #[test]
    fn behaves_like_a_btreeset(ops in prop::collection::vec((0u8..3, 0u32..20, 0u32..3), 0..200)) {
        let mut ours = Sessions::new();
        let mut model = BTreeSet::new();
        for (op, user, session) in ops {
            let e = (user, session);
            match op {
                0 => prop_assert_eq!(ours.insert(e), model.insert(e)),
                1 => prop_assert_eq!(ours.remove(&e), model.remove(&e)),
                _ => prop_assert_eq!(ours.contains(&e), model.contains(&e)),
            }
            prop_assert_eq!(ours.len(), model.len());
        }
        prop_assert!(ours.iter().eq(model.iter()));
    }
}
