//! Hard limits that keep every run bounded (TigerBeetle style): servers, users, hops,
//! retries, samples, file and list sizes. Validation checks them where the input enters.

/// Most servers a scenario may allow.
pub const SERVERS_MAX: u32 = 100_000;
/// Most user slots.
pub const USERS_MAX: u32 = 10_000_000;
/// Most delegation hops.
pub const HOPS_MAX: u32 = 64;
/// Most retries of one user.
pub const RETRIES_MAX: u32 = 1_000;
/// Largest peer view.
pub const VIEW_MAX: u32 = 256;
/// Shortest period or timeout of a timer (gossip, pulls, reports, heartbeats, the
/// directory, the population step, the daily period): each firing is events for every
/// agent it concerns, so a shorter one floods a run without modelling anything a network
/// with millisecond latencies does.
pub const INTERVAL_MIN_US: u64 = 1_000;
/// Shortest sample interval, in µs (1 ms).
pub const SAMPLE_INTERVAL_MIN_US: u64 = 1_000;
/// Most samples in a run (duration / sample interval), and in a `diff`.
pub const SAMPLES_MAX: u64 = 1_000_000;
/// Largest scenario file, in bytes.
pub const SCENARIO_FILE_MAX: u64 = 1 << 20;
/// Longest scenario name, in bytes.
pub const NAME_MAX: usize = 256;
/// Longest description, in bytes.
pub const DESCRIPTION_MAX: usize = 64 << 10;
/// Most entries in `crashes`, and in `partitions`.
pub const EVENTS_LIST_MAX: usize = 10_000;
/// Most server indices listed in all crashes and partitions together.
pub const LISTED_SERVERS_MAX: usize = 100_000;

/// `n` with thousands separators, for messages that name a limit in words.
pub fn words(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
