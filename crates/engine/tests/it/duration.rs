use swarmlb_engine::time::format_duration;
use swarmlb_engine::{SimTime, parse_duration};

#[test]
fn reads_units_and_sums() {
    let cases = [
        ("250ms", 250_000),
        ("90s", 90_000_000),
        ("5m", 300_000_000),
        ("1h30m", 5_400_000_000),
        ("12", 12_000_000),
        ("1.5s", 1_500_000),
        ("0.0000015s", 2),
        ("2d", 172_800_000_000),
        ("10us", 10),
    ];
    for (text, want) in cases {
        assert_eq!(parse_duration(text), Ok(want), "{text}");
    }
}

#[test]
fn rejects_garbage_without_panicking() {
    for text in [
        "",
        "abc",
        "5x",
        "m5",
        "1.2.3s",
        "s",
        "99999999999999999999h",
        "-3s",
        "5 m",
    ] {
        assert!(parse_duration(text).is_err(), "{text} should be an error");
    }
}

/// Regression (issue 10): 10^9 hours was accepted, and later arithmetic on it overflowed.
#[test]
fn durations_are_at_most_366_days() {
    use swarmlb_engine::time::DURATION_MAX_US;
    assert_eq!(parse_duration("366d"), Ok(DURATION_MAX_US));
    assert_eq!(parse_duration("31622400"), Ok(DURATION_MAX_US));
    for text in ["366d1us", "1000000000h", "31622400.000001", "8784h1s"] {
        let e = parse_duration(text).unwrap_err();
        assert!(e.to_string().contains("at most 366 days"), "{text}: {e}");
    }
}

#[test]
fn format_round_trips() {
    for us in [0, 1, 999, 1_000, 1_500_000, 5_400_000_000, 86_400_000_001] {
        assert_eq!(parse_duration(&format_duration(us)), Ok(us));
    }
}

#[test]
fn time_displays_with_microseconds() {
    assert_eq!(SimTime(12_003_417).to_string(), "12.003417s");
    assert_eq!(SimTime::ZERO.to_string(), "0.000000s");
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(text in "\\PC{0,12}") {
        let _ = parse_duration(&text);
    }
}

#[test]
fn sim_time_conversions_known_answers() {
    assert_eq!(SimTime::from_secs(3), SimTime(3_000_000));
    assert_eq!(SimTime::from_millis(7), SimTime(7_000));
    assert_eq!(SimTime(1_234).as_micros(), 1_234);
    assert_eq!(SimTime(1_500_000).as_secs_f64(), 1.5);
    assert_eq!(SimTime(250).as_secs_f64(), 0.000_25);
    assert_eq!(SimTime(5).plus(3), SimTime(8));
    assert_eq!(SimTime::MAX.plus(1), SimTime::MAX, "saturates");
    assert_eq!(SimTime(8).since(SimTime(5)), 3);
    assert_eq!(SimTime(5).since(SimTime(8)), 0, "saturates");
}

/// Both sides of the microsecond rounding: the first digit beyond precision rounds.
#[test]
fn fractions_round_to_the_nearest_microsecond() {
    let cases = [
        ("0.000001s", 1),
        ("0.0000014s", 1),
        ("0.0000015s", 2),
        ("0.0000019s", 2),
        ("0.00000149s", 1),
        ("1.9999996s", 2_000_000),
        ("0.5ms", 500),
        ("0.0005ms", 1),
        ("0.0004ms", 0),
        ("1.25", 1_250_000),
        (".5s", 500_000),
        ("2.s", 2_000_000),
        ("1us", 1),
        ("1µs", 1),
        ("1m1s", 61_000_000),
        ("1d1h", 90_000_000_000),
    ];
    for (text, want) in cases {
        assert_eq!(parse_duration(text), Ok(want), "{text}");
    }
    for text in [
        ".", "..s", "1..s", "1.2.3", "s1", "1sm", "1h-1s", "1e3", "+1s",
    ] {
        assert!(parse_duration(text).is_err(), "{text} should be an error");
    }
}

#[test]
fn format_known_answers() {
    for (us, text) in [
        (0, "0s"),
        (1, "1us"),
        (1_000, "1ms"),
        (1_000_000, "1s"),
        (60_000_000, "1m"),
        (5_400_000_000, "1h30m"),
        (86_400_000_001, "1d1us"),
        (90_061_001_001, "1d1h1m1s1ms1us"),
    ] {
        assert_eq!(format_duration(us), text, "{us}");
    }
}
