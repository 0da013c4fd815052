//! A cache hint: start loading the memory behind a reference before it is needed.
//!
//! The run loop knows the next event's target while it handles the current one; asking
//! for that agent's state early hides most of a main-memory miss behind useful work (on
//! the 100,000-user model every event's state is cold: see BENCHMARKS.md).

/// Hint the CPU to bring the cache line holding `value` into L1. No effect on results;
/// a no-op on targets other than x86_64.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetch` has no architectural effect and never faults; the pointer comes
    // from a live reference anyway. SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
