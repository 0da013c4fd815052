//! Integration tests of the trace format: round trips, the packed event form, the
//! writer's and verify's accounting, the files it writes, corruption, truncation, fold,
//! replay, diff (verdicts, hand-built pairs), why, the fuzz corpora, and the agreement of
//! the kind declaration's consumers.

mod accounting;
mod corpus;
mod corruption;
mod diff;
mod files;
mod fold;
mod hand;
mod hardening;
mod kinds;
mod null;
mod packing;
mod replay;
mod roundtrip;
mod semantic;
mod verdict;
mod why;

use swarmlb_model::Scenario;

/// A small scenario that exercises every mechanism in a few thousand events.
pub fn small(overrides: &[&str]) -> Scenario {
    let mut all = vec!["duration=\"2m\"".to_string()];
    all.extend(overrides.iter().map(|s| s.to_string()));
    let text = swarmlb_model::scenario::BUILTINS
        .iter()
        .find(|(n, _)| *n == "seed-classic")
        .unwrap()
        .1;
    Scenario::parse(text, "seed-classic", &all).unwrap()
}

/// The bytes of a run of `scenario` recorded with `seed` (its `seed` field set to it).
pub fn record(scenario: &Scenario, seed: u64, checkpoint_every: u64) -> Vec<u8> {
    let scenario = Scenario {
        seed,
        ..scenario.clone()
    };
    swarmlb_trace::write::record_to_vec(&scenario, checkpoint_every).unwrap()
}

/// A header of the default scenario's layout (agents 0..50 exist, among others) with a
/// checkpoint every `checkpoint_every` events, for traces of hand-made events. Its run
/// lasts a day, so hand-made times up to a day are within it (a reader refuses later ones).
pub fn header(checkpoint_every: u64) -> swarmlb_trace::format::Header {
    let scenario = Scenario {
        duration: swarmlb_model::scenario::Dur::secs(86_400),
        ..Scenario::default()
    };
    let layout = swarmlb_model::params::Params::new(&scenario).layout;
    swarmlb_trace::format::Header {
        producer: "test".into(),
        seed: 1,
        scenario_toml: scenario.to_toml(),
        max_servers: layout.max_servers,
        n_users: layout.n_users,
        checkpoint_every,
    }
}

/// A reader over bytes.
pub fn reader(
    bytes: &[u8],
) -> Result<swarmlb_trace::TraceReader<&[u8]>, swarmlb_trace::TraceError> {
    swarmlb_trace::TraceReader::new(bytes, "test")
}

/// Every event of a valid trace.
pub fn events_of(bytes: &[u8]) -> Vec<swarmlb_model::Event> {
    let mut cursor = swarmlb_trace::fold::Cursor::new(reader(bytes).unwrap());
    let mut events = vec![];
    while let Some(e) = cursor.next_event().unwrap() {
        events.push(e);
    }
    events
}

/// A complete, valid trace of `events` under `header` (checkpoints and footer folded).
pub fn encode(header: &swarmlb_trace::Header, events: &[swarmlb_model::Event]) -> Vec<u8> {
    swarmlb_trace::write::events_to_vec(header, events, swarmlb_trace::format::Ending::Complete)
        .unwrap()
}

/// Counts the bytes each thread holds, so a test can bound the memory of what it runs
/// (`peak_bytes`) while other tests run on other threads.
struct Counting;

thread_local! {
    static HELD: std::cell::Cell<(isize, isize)> = const { std::cell::Cell::new((0, 0)) };
}

fn count(delta: isize) {
    // `try_with`: allocations while the thread's locals are torn down are not counted.
    let _ = HELD.try_with(|h| {
        let (now, peak) = h.get();
        let now = now + delta;
        h.set((now, peak.max(now)));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the counting touches
// only a thread-local `Cell` of two integers (no allocation, no destructor).
unsafe impl std::alloc::GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's layout contract is passed on.
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        count(-(layout.size() as isize));
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new: usize) -> *mut u8 {
        count(new as isize - layout.size() as isize);
        // SAFETY: as for `dealloc`, and `new` is the caller's valid size.
        unsafe { std::alloc::System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Run `f` and return its result with the most bytes this thread held at once during it,
/// above what it held before.
pub fn peak_bytes<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = HELD.with(|h| {
        let (now, _) = h.get();
        h.set((now, now));
        now
    });
    let out = f();
    let peak = HELD.with(|h| h.get().1);
    (out, (peak - before).max(0) as usize)
}
