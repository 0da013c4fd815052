//! Scenario files: built-ins parse, errors name the file, line and field.

use swarmlb_model::scenario::{BUILTINS, load};
use swarmlb_model::{Scenario, ScenarioError};

#[test]
fn every_builtin_parses_and_round_trips() {
    for (name, _) in BUILTINS {
        let sc = Scenario::builtin(name).unwrap();
        assert_eq!(sc.name, name);
        let again = Scenario::parse(&sc.to_toml(), "roundtrip", &[]).unwrap();
        assert_eq!(again, sc, "{name} survives to_toml/parse");
    }
}

fn error_of(text: &str) -> String {
    Scenario::parse(text, "my.toml", &[])
        .unwrap_err()
        .to_string()
}

#[test]
fn unknown_field_names_file_line_and_field() {
    let e = error_of("name = \"x\"\n[servers]\ncapacity = 5\ncapacitty = 6\n");
    assert!(e.starts_with("my.toml:4:"), "{e}");
    assert!(e.contains("capacitty"), "{e}");
}

#[test]
fn wrong_type_is_reported_with_its_line() {
    let e = error_of("[users]\ncount = \"many\"\n");
    assert!(e.starts_with("my.toml:2:"), "{e}");
    assert!(e.contains("invalid type"), "{e}");
}

#[test]
fn out_of_range_value_names_the_field_and_line() {
    let e = error_of("seed = 3\n[servers]\ninitial = 4\nhigh_watermark = 1.5\n");
    assert_eq!(
        e,
        "my.toml:4: invalid value for `servers.high_watermark`: 1.5 is not a fraction in [0, 1]"
    );
    let e = error_of("[servers]\ninitial = 0\n");
    assert!(
        e.starts_with("my.toml:2: invalid value for `servers.initial`"),
        "{e}"
    );
}

#[test]
fn bad_duration_is_explained() {
    let e = error_of("duration = \"ten minutes\"\n");
    assert!(e.starts_with("my.toml:1:"), "{e}");
    assert!(e.contains("expected a number with a unit"), "{e}");
}

#[test]
fn not_toml_at_all() {
    let e = error_of("this is [not toml\n");
    assert!(e.starts_with("my.toml:1:"), "{e}");
}

#[test]
fn overrides_apply_and_are_validated() {
    let sc = load(
        "default",
        &["servers.capacity=10".into(), "duration=\"5m\"".into()],
        |_| None,
    )
    .unwrap();
    assert_eq!(sc.servers.capacity, 10);
    assert_eq!(sc.duration.us(), 300_000_000);
    let e = load("default", &["servers.capacity=0".into()], |_| None).unwrap_err();
    assert!(
        matches!(e, ScenarioError::Invalid { ref field, .. } if field == "servers.capacity"),
        "{e}"
    );
    let e = load("default", &["nonsense".into()], |_| None).unwrap_err();
    assert!(matches!(e, ScenarioError::Override { .. }), "{e}");
    let e = load("default", &["servers.bogus=1".into()], |_| None).unwrap_err();
    assert!(e.to_string().contains("bogus"), "{e}");
}

#[test]
fn unknown_scenario_lists_the_builtins() {
    let e = load("nope", &[], |_| None).unwrap_err().to_string();
    assert!(e.contains("seed-classic") && e.contains("nope"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, .. Default::default() })]
    #[test]
    fn parsing_never_panics(text in "[a-z_\\[\\]=\" .0-9\n]{0,80}") {
        let _ = Scenario::parse(&text, "fuzz", &[]);
    }
}

#[test]
fn kind_codes_are_dense_and_stable() {
    use swarmlb_model::Kind;
    for (i, k) in Kind::ALL.iter().enumerate() {
        assert_eq!(*k as usize, i, "{k} is out of place");
        assert_eq!(Kind::from_code(i as u8), Some(*k));
    }
    // Codes are part of the trace format (traces/FORMAT.md): spot-check a few.
    assert_eq!(Kind::ConnectAccept as u8, 3);
    assert_eq!(Kind::Butterfly as u8, 51);
    assert_eq!(Kind::from_code(Kind::ALL.len() as u8), None);
}
