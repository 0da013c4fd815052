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

/// No file exists (the model does no I/O; tests that need files use built-ins).
fn no_files(_: &std::path::Path) -> std::io::Result<String> {
    Err(std::io::ErrorKind::NotFound.into())
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
        no_files,
    )
    .unwrap();
    assert_eq!(sc.servers.capacity, 10);
    assert_eq!(sc.duration.us(), 300_000_000);
    // A value set by --set is blamed on the override, not on a line of the file.
    let e = load("default", &["servers.capacity=0".into()], no_files).unwrap_err();
    assert!(
        matches!(e, ScenarioError::Override { ref text, .. } if text == "servers.capacity=0"),
        "{e}"
    );
    assert!(e.to_string().contains("`servers.capacity`"), "{e}");
    let e = load("default", &["nonsense".into()], no_files).unwrap_err();
    assert!(matches!(e, ScenarioError::Override { .. }), "{e}");
    let e = load("default", &["servers.bogus=1".into()], no_files).unwrap_err();
    assert!(e.to_string().contains("bogus"), "{e}");
}

#[test]
fn unknown_scenario_lists_the_builtins() {
    let e = load("nope", &[], no_files).unwrap_err().to_string();
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

/// Scenario mistakes and the message each one gets, as data (issue 10: limits named in
/// words, every source of users counted, no `:0:` for a field the file does not set).
#[test]
fn scenario_errors_as_data() {
    let many_crashes = "[[crashes]]\nat = \"1s\"\nservers = [0]\n".repeat(10_001);
    let long_lists = format!(
        "[servers]\nmax_servers = 100000\ninitial = 1\n[[crashes]]\nat = \"1s\"\nservers = [{}]\n",
        vec!["1"; 100_001].join(",")
    );
    let cases: Vec<(&str, String)> = vec![
        (
            "a 5 MiB description",
            format!("description = \"{}\"\n", "x".repeat(5 << 20)),
        ),
        ("10^9 hours", "duration = \"1000000000h\"\n".into()),
        ("10^9 hours as seconds", "duration = 3600000000000000\n".into()),
        (
            "a diurnal peak over the user limit",
            "[users]\ncount = 6000000\n[users.diurnal]\namplitude = 0.9\nperiod = \"1h\"\n".into(),
        ),
        (
            "a flash crowd over the user limit",
            "[users]\ncount = 6000000\n[users.flash]\nat = \"1s\"\nramp = \"1s\"\nduration = \"1m\"\nextra = 5000000\n".into(),
        ),
        ("too many users", "[users]\ncount = 20000000\n".into()),
        ("too many servers", "[servers]\nmax_servers = 200000\n".into()),
        ("too many crashes", many_crashes),
        ("too many listed servers", long_lists),
        (
            "a value inside an inline table",
            "[users]\ncount = 10\ndiurnal = { amplitude = 1.66, period = \"1h\" }\n".into(),
        ),
        ("a 1 µs sample interval", "sample_interval = \"1us\"\n".into()),
        (
            "too many samples",
            "duration = \"366d\"\nsample_interval = \"1s\"\n".into(),
        ),
        (
            "a default that breaks a relation",
            "[servers]\nmax_servers = 2\n".into(),
        ),
    ];
    let report: Vec<String> = cases
        .iter()
        .map(|(what, toml)| format!("{what}:\n  {}", error_of(toml)))
        .collect();
    insta::assert_snapshot!(report.join("\n"));
}

#[test]
fn a_scenario_at_every_list_limit_still_fits_in_a_trace_header() {
    use swarmlb_model::scenario::limits;
    let mut text = format!(
        "description = \"{}\"\n[servers]\nmax_servers = 100000\ninitial = 1\n",
        "d".repeat(limits::DESCRIPTION_MAX)
    );
    let per_entry = limits::LISTED_SERVERS_MAX / limits::EVENTS_LIST_MAX / 2;
    let servers: Vec<String> = (99_990..99_990 + per_entry)
        .map(|i| i.to_string())
        .collect();
    for _ in 0..limits::EVENTS_LIST_MAX {
        text += &format!(
            "[[crashes]]\nat = \"365d23h59m59s\"\nservers = [{}]\n",
            servers.join(",")
        );
        text += &format!(
            "[[partitions]]\nat = \"365d23h59m59s\"\nduration = \"365d\"\nservers = [{}]\n",
            servers.join(",")
        );
    }
    let scenario = Scenario::parse(&text, "limits.toml", &[]).unwrap();
    // The trace header stores the canonical TOML; its reader accepts at most 4 MiB.
    let canonical = scenario.to_toml();
    assert!(canonical.len() < 3 << 20, "{} bytes", canonical.len());
}

/// The keys of a TOML table, flattened to dotted paths (`[]` after a list of tables).
fn flatten(prefix: &str, value: &toml::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        toml::Value::Table(table) => {
            for (key, value) in table {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                let nested = match value {
                    toml::Value::Table(_) => Some(path.clone()),
                    toml::Value::Array(items) if items.iter().all(|v| v.is_table()) => {
                        Some(format!("{path}[]"))
                    }
                    _ => None,
                };
                match (nested, value) {
                    // A distribution is one field, not a table of fields.
                    (Some(_), toml::Value::Table(t)) if t.contains_key("dist") => {
                        out.insert(path);
                    }
                    (Some(p), toml::Value::Table(_)) => flatten(&p, value, out),
                    (Some(p), toml::Value::Array(items)) if !items.is_empty() => {
                        for item in items {
                            flatten(&p, item, out);
                        }
                    }
                    _ => {
                        out.insert(path);
                    }
                }
            }
        }
        _ => {
            out.insert(prefix.to_string());
        }
    }
}

#[test]
fn the_reference_lists_every_field_of_the_schema_and_nothing_else() {
    // Every optional table and list present, so every field is serialized.
    let text = r#"
        policy = "round-robin"
        [servers]
        gossip = false
        [users]
        initial = 10
        flash = { at = "1m", extra = 5, ramp = "10s", duration = "1m" }
        diurnal = { period = "1h", amplitude = 0.5 }
        population = { initial = 1, floor = 1, cap = 2, spawn_chance = 0.5, step = "1s" }
        [coordinator]
        crash_at = "1m"
        [butterfly]
        at = "1m"
        user = 1
        reconnect_after = "1s"
        victim = "server-then-user"
        [[crashes]]
        at = "1m"
        servers = [0]
        [[partitions]]
        at = "1m"
        duration = "1m"
        servers = [0]
    "#;
    let full = Scenario::parse(text, "full", &[]).expect("valid");
    let value = toml::Value::try_from(&full).expect("serializes");
    let mut schema = std::collections::BTreeSet::new();
    flatten("", &value, &mut schema);
    let listed: std::collections::BTreeSet<String> = swarmlb_model::reference::FIELDS
        .iter()
        .map(|f| f.path.to_string())
        .collect();
    let missing: Vec<_> = schema.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&schema).collect();
    assert!(
        missing.is_empty(),
        "fields not in the reference: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "reference entries that are no field: {unknown:?}"
    );
    // Defaults come from the schema's own defaults.
    assert_eq!(
        swarmlb_model::reference::default_of("servers.capacity").as_deref(),
        Some("50")
    );
    assert_eq!(
        swarmlb_model::reference::default_of("servers.pull").as_deref(),
        Some("\"greedy\"")
    );
    assert_eq!(
        swarmlb_model::reference::default_of("users.population.floor"),
        None
    );
}

/// Every validation rule and override mistake, one case each, and the message it gets:
/// recorded before `scenario.rs` became a module with a typed validation error (issue 11),
/// so that the messages stay byte for byte what they were.
#[test]
fn every_validation_rule_and_override_mistake_as_data() {
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("zero duration", "duration = 0\n".into(), &[]),
        ("zero sample interval", "sample_interval = 0\n".into(), &[]),
        ("a long name", format!("name = \"{}\"\n", "n".repeat(300)), &[]),
        ("no servers allowed", "[servers]\nmax_servers = 0\n".into(), &[]),
        ("no capacity", "[servers]\ncapacity = 0\n".into(), &[]),
        ("a loss over 1", "[network]\nloss = 2.0\n".into(), &[]),
        (
            "terminate above low",
            "[servers]\nterminate_watermark = 0.55\n".into(),
            &[],
        ),
        ("pull target above high", "[servers]\npull_target = 0.95\n".into(), &[]),
        ("too many hops", "[servers]\nmax_hops = 65\n".into(), &[]),
        ("an empty view", "[servers]\nview_size = 0\n".into(), &[]),
        ("no gossip interval", "[servers]\ngossip_interval = 0\n".into(), &[]),
        ("no directory refresh", "[network]\ndirectory_refresh = 0\n".into(), &[]),
        ("latency min above max", "[network]\nlatency_min = \"10ms\"\n".into(), &[]),
        (
            "arrival slots over the user limit",
            "[users]\ncount = 9000000\narrival_slots = 2000000\n".into(),
            &[],
        ),
        (
            "a population cap over the user limit",
            "[users]\ncount = 9000000\npopulation = { initial = 0, floor = 0, cap = 2000000, spawn_chance = 0.5, step = \"1s\" }\n".into(),
            &[],
        ),
        ("initial above count", "[users]\ninitial = 900\n".into(), &[]),
        ("too many retries", "[users]\nretries_max = 1001\n".into(), &[]),
        ("backoff base above max", "[users]\nbackoff_base = \"1m\"\n".into(), &[]),
        ("a negative arrival rate", "[users]\narrival_rate = -1.0\n".into(), &[]),
        ("arrivals without slots", "[users]\narrivals_initial = 5\n".into(), &[]),
        ("a rate without slots", "[users]\narrival_rate = 1.0\n".into(), &[]),
        (
            "an exponential without mean",
            "[users]\nlifespan = { dist = \"exponential\" }\n".into(),
            &[],
        ),
        (
            "a uniform with min above max",
            "[users]\nlifespan = { dist = \"uniform\", min = \"2s\", max = \"1s\" }\n".into(),
            &[],
        ),
        (
            "a uniform without max",
            "[users]\nlifespan = { dist = \"uniform\", min = \"1s\" }\n".into(),
            &[],
        ),
        (
            "a step on an exponential",
            "[users]\nlifespan = { dist = \"exponential\", mean = \"1m\", step = \"1s\" }\n".into(),
            &[],
        ),
        (
            "a zero step",
            "[users]\nlifespan = { dist = \"uniform\", min = \"1s\", max = \"2s\", step = 0 }\n".into(),
            &[],
        ),
        (
            "no whole step between min and max",
            "[users]\nlifespan = { dist = \"uniform\", min = \"1100ms\", max = \"1900ms\", step = \"1s\" }\n".into(),
            &[],
        ),
        (
            "a fixed respawn without mean",
            "[users]\nrespawn_delay = { dist = \"fixed\" }\n".into(),
            &[],
        ),
        (
            "a zero lifespan",
            "[users]\nlifespan = { dist = \"fixed\", mean = 0 }\n".into(),
            &[],
        ),
        (
            "a scale-out slower than the user",
            "[servers]\noverflow = \"scale-out\"\n".into(),
            &[],
        ),
        (
            "a zero population cap",
            "[users.population]\ninitial = 0\nfloor = 0\ncap = 0\nspawn_chance = 0.5\nstep = \"1s\"\n".into(),
            &[],
        ),
        (
            "a population floor above cap",
            "[users.population]\ninitial = 0\nfloor = 3\ncap = 2\nspawn_chance = 0.5\nstep = \"1s\"\n".into(),
            &[],
        ),
        (
            "a population initial above cap",
            "[users.population]\ninitial = 3\nfloor = 0\ncap = 2\nspawn_chance = 0.5\nstep = \"1s\"\n".into(),
            &[],
        ),
        (
            "a spawn chance over 1",
            "[users.population]\ninitial = 0\nfloor = 0\ncap = 2\nspawn_chance = 1.5\nstep = \"1s\"\n".into(),
            &[],
        ),
        (
            "a zero population step",
            "[users.population]\ninitial = 0\nfloor = 0\ncap = 2\nspawn_chance = 0.5\nstep = 0\n".into(),
            &[],
        ),
        (
            "a zero diurnal period",
            "[users.diurnal]\namplitude = 0.5\nperiod = 0\n".into(),
            &[],
        ),
        (
            "too many listed servers in partitions",
            format!(
                "[[partitions]]\nat = \"1s\"\nduration = \"1s\"\nservers = [{}]\n",
                vec!["1"; 100_001].join(",")
            ),
            &[],
        ),
        (
            "a crash of an unknown server",
            "[[crashes]]\nat = \"1s\"\nservers = [0]\n[[crashes]]\nat = \"2s\"\nservers = [1, 40]\n".into(),
            &[],
        ),
        (
            "a partition of an unknown server",
            "[[partitions]]\nat = \"1s\"\nduration = \"1s\"\nservers = [41]\n".into(),
            &[],
        ),
        (
            "a reconnect after the end",
            "duration = \"1m\"\n[butterfly]\nreconnect_after = \"2m\"\n".into(),
            &[],
        ),
        ("a butterfly on no user", "[butterfly]\nuser = 1000000\n".into(), &[]),
        ("an override out of range", String::new(), &["servers.capacity=0"]),
        (
            "the last override of a field is blamed",
            String::new(),
            &["servers.capacity=0", "servers.capacity=2000000"],
        ),
        ("an override without =", String::new(), &["nonsense"]),
        ("an override with an empty key", String::new(), &[".capacity=1"]),
        ("an override under a value", "name = \"n\"\n".into(), &["name.x=1"]),
        ("an override making a table of a value", String::new(), &["name.x=1"]),
        ("an override of a negative", String::new(), &["servers.capacity=-1"]),
        ("an override of the wrong type", String::new(), &["servers.capacity=\"abc\""]),
        ("an override of no field", String::new(), &["servers.bogus=1"]),
        (
            "a file mistake beside an override",
            "[servers]\ncapacity = \"x\"\n".into(),
            &["users.count=5"],
        ),
        (
            "an override breaking a relation with the file",
            "[users]\ncount = 10\n".into(),
            &["users.initial=11"],
        ),
    ];
    let report: Vec<String> = cases
        .iter()
        .map(|(what, toml, overrides)| {
            let overrides: Vec<String> = overrides.iter().map(|o| o.to_string()).collect();
            let e = Scenario::parse(toml, "my.toml", &overrides).unwrap_err();
            format!("{what}:\n  {e}")
        })
        .collect();
    insta::assert_snapshot!(report.join("\n"));
}

/// Every limit is inclusive: a scenario exactly at a bound is accepted, one step past it
/// is refused, and a refusal for too many user slots blames the field that went over.
#[test]
fn limits_are_inclusive_and_the_field_over_them_is_blamed() {
    let text = swarmlb_model::scenario::BUILTINS
        .iter()
        .find(|(n, _)| *n == "default")
        .expect("builtin")
        .1;
    let parse = |overrides: &[String]| Scenario::parse(text, "default", overrides);
    let flat = "users.diurnal.amplitude=0.0".to_string();
    let cases: Vec<(Vec<String>, Vec<String>)> = vec![
        (
            vec!["sample_interval=0.001".into(), "duration=\"1m\"".into()],
            vec!["sample_interval=0.000999".into(), "duration=\"1m\"".into()],
        ),
        (
            // 1,000,000 samples exactly.
            vec!["sample_interval=\"1s\"".into(), "duration=1000000".into()],
            vec!["sample_interval=\"1s\"".into(), "duration=1000001".into()],
        ),
        (
            vec![format!("name=\"{}\"", "n".repeat(256))],
            vec![format!("name=\"{}\"", "n".repeat(257))],
        ),
        // Default watermarks: low 0.5 <= pull target 0.6 <= high 0.9.
        (
            vec!["servers.low_watermark=0.6".into()],
            vec!["servers.low_watermark=0.61".into()],
        ),
        (
            vec!["servers.pull_target=0.9".into()],
            vec!["servers.pull_target=0.91".into()],
        ),
        (
            vec!["servers.max_hops=64".into()],
            vec!["servers.max_hops=65".into()],
        ),
        (
            vec!["users.initial=800".into()],
            vec!["users.initial=801".into()],
        ),
        (
            vec![flat.clone(), "users.count=10000000".into()],
            vec![flat.clone(), "users.count=10000001".into()],
        ),
    ];
    for (at_limit, past) in cases {
        assert!(
            parse(&at_limit).is_ok(),
            "{at_limit:?}: {:?}",
            parse(&at_limit)
        );
        assert!(parse(&past).is_err(), "{past:?} accepted");
    }
    // One slot over, from each part of the sum: count, flash crowd, arrival slots.
    let blamed = |overrides: &[&str]| {
        let mut all = vec![flat.clone()];
        all.extend(overrides.iter().map(|s| s.to_string()));
        // An override that makes the scenario invalid is blamed with the field it broke.
        let e = parse(&all).expect_err("one slot too many").to_string();
        let field = e.split('`').nth(1).unwrap_or_default().to_string();
        assert!(e.contains("invalid value for `"), "{e}");
        field
    };
    assert_eq!(
        blamed(&["users.count=10000000", "users.arrival_slots=1"]),
        "users.arrival_slots"
    );
    assert_eq!(
        blamed(&[
            "users.count=9999999",
            r#"users.flash={at="1s", extra=2, duration="1s"}"#,
        ]),
        "users.flash.extra"
    );
    assert_eq!(
        blamed(&[
            "users.count=9999999",
            r#"users.flash={at="1s", extra=1, duration="1s"}"#,
            "users.arrival_slots=1",
        ]),
        "users.arrival_slots"
    );
    assert_eq!(
        blamed(&[
            "users.count=9999999",
            "users.arrival_slots=1",
            r#"users.population={ initial = 0, floor = 0, cap = 1, spawn_chance = 0.5, step = "1s" }"#,
        ]),
        "users.population.cap"
    );
}

/// A uniform lifespan with a `step` draws whole steps, both bounds included (the original
/// model's `randint(10, 20)` steps); bounds off the grid shrink to the whole steps inside;
/// one whole step between them is allowed (issue 25).
#[test]
fn a_uniform_with_a_step_draws_whole_steps_from_min_to_max() {
    let draws = |lifespan: &str| {
        let sc = crate::scenario("default", &[&format!("users.lifespan={lifespan}")]);
        let mut rng = swarmlb_engine::agent_rng(7, 1);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            seen.insert(sc.users.lifespan.sample(&mut rng));
        }
        seen
    };
    let whole: Vec<u64> = (10..=20).map(|s| s * 1_000_000).collect();
    let seen = draws(r#"{ dist = "uniform", min = "10s", max = "20s", step = "1s" }"#);
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), whole);
    let seen = draws(r#"{ dist = "uniform", min = "9500ms", max = "20900ms", step = "1s" }"#);
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), whole);
    let seen = draws(r#"{ dist = "uniform", min = "1100ms", max = "2s", step = "1s" }"#);
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![2_000_000]);
    // Without a step, the draws fall between the whole steps.
    let seen = draws(r#"{ dist = "uniform", min = "10s", max = "20s" }"#);
    assert!(seen.len() > 1_000, "{} distinct draws", seen.len());
}

#[test]
fn policies_parse_by_name_and_a_uniform_mean_is_the_midpoint() {
    for policy in swarmlb_model::Policy::ALL {
        assert_eq!(policy.name().parse(), Ok(policy));
    }
    let e = "least-busy".parse::<swarmlb_model::Policy>().unwrap_err();
    assert!(e.contains("power-of-two"), "{e}");
    let sc = crate::scenario(
        "default",
        &[r#"users.lifespan={ dist = "uniform", min = "2s", max = "6s" }"#],
    );
    assert_eq!(sc.users.lifespan.mean_us(), 4_000_000);
}

/// Warnings name each event scheduled at or after the end (at the end counts: it never
/// happens), and nothing when all happen.
#[test]
fn events_at_or_after_the_end_are_warned_about() {
    let sc = crate::scenario(
        "default",
        &[
            "duration=\"2m\"",
            "crashes=[{ at = \"1m\", servers = [0] }, { at = \"2m\", servers = [1] }]",
            "partitions=[{ at = \"3m\", duration = \"1s\", servers = [2] }]",
            "coordinator.crash_at=\"119s\"",
        ],
    );
    let warnings = sc.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].starts_with("crashes[1] at 2m is at or after the end of the run (2m)"));
    assert!(warnings[1].starts_with("partitions[0] at 3m"));
    assert!(crate::scenario("default", &[]).warnings().is_empty());
    let late = crate::scenario(
        "default",
        &["duration=\"2m\"", "coordinator.crash_at=\"2m\""],
    );
    assert_eq!(late.warnings().len(), 1);
}

/// The reference (docs/scenarios.md, `swarmlb scenarios --reference`) names the original
/// model's fields (the CLI's test checks it lists exactly the schema's fields).
#[test]
fn the_reference_names_the_fields() {
    let text = swarmlb_model::reference::markdown();
    for needle in [
        "users.population.floor",
        "servers.overflow",
        "butterfly.victim",
        "sample_interval",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
}

/// Issue 23: every range the reference states is what validation enforces. For each field
/// whose allowed values are "positive", "at least 1ms", "A to B" or a fraction, the values
/// just outside are refused with an error naming the field, and (for durations) the least
/// allowed value passes that field's rule. List fields are set in one entry of their list.
#[test]
fn every_range_in_the_reference_is_enforced_and_names_its_field() {
    use swarmlb_model::reference::FIELDS;
    // A default scenario plus the tables that optional and list fields live in.
    let users = "[users]\n\
        diurnal = { amplitude = 0.5, period = \"1h\" }\n\
        population = { initial = 0, floor = 0, cap = 10, spawn_chance = 0.5, step = \"1s\" }\n";
    let partition = |key: &str, value: &str| {
        let mut s = String::from("[[partitions]]\n");
        for (k, v) in [("at", "\"1s\""), ("duration", "\"1s\""), ("servers", "[0]")] {
            s.push_str(&format!("{k} = {}\n", if k == key { value } else { v }));
        }
        s
    };
    // The scenario with `path` set to `value` (a TOML value), by text so list and inline
    // table fields are reached the same way.
    let with = |path: &str, value: &str| -> String {
        let (table, key) = path.rsplit_once('.').unwrap_or(("", path));
        if table == "partitions[]" {
            return format!("{users}{}", partition(key, value));
        }
        let mut text = format!("{users}{}", partition("", ""));
        match table {
            "" => text.insert_str(0, &format!("{key} = {value}\n")),
            "users.diurnal" | "users.population" => {
                // Rewrite the inline table's key.
                let name = &table["users.".len()..];
                let line_start = text.find(&format!("{name} = {{")).unwrap();
                let line_end = line_start + text[line_start..].find('\n').unwrap();
                let line = text[line_start..line_end].to_string();
                let from = line.find(&format!(" {key} = ")).unwrap() + key.len() + 4;
                let to = from + line[from..].find([',', ' ']).unwrap();
                let new = format!("{}{value}{}", &line[..from], &line[to..]);
                text.replace_range(line_start..line_end, &new);
            }
            "users" => text.insert_str("[users]\n".len(), &format!("{key} = {value}\n")),
            table => text.insert_str(0, &format!("[{table}]\n{key} = {value}\n")),
        }
        text
    };
    let refused = |path: &str, value: &str| {
        let text = with(path, value);
        let e = Scenario::parse(&text, "ref.toml", &[])
            .map(|_| ())
            .unwrap_err();
        let e = e.to_string();
        let named = path.replace("[]", "");
        assert!(
            e.contains(&format!("`{path}`"))
                || e.contains(&format!("`{named}`"))
                || e.contains(&named.replace("partitions.", "partitions[0].")),
            "{path} = {value}: the error does not name the field: {e}\n{text}"
        );
    };
    let mut checked = 0;
    for field in FIELDS {
        let is_duration = field.unit.starts_with("duration");
        let allowed = field.allowed;
        if allowed.starts_with("at least 1ms") {
            refused(field.path, "\"0s\"");
            refused(field.path, "\"999us\"");
            checked += 1;
        } else if allowed.starts_with("positive") && !allowed.starts_with("positive when") {
            refused(field.path, if is_duration { "\"0s\"" } else { "0" });
            checked += 1;
        } else if field.unit.starts_with("fraction") {
            refused(field.path, "1.5");
            refused(field.path, "-0.5");
            checked += 1;
        } else if let Some((low, high)) = allowed.split_once(" to ")
            && let (Ok(low), Some(Ok(high))) = (
                low.replace(',', "").parse::<u64>(),
                high.split_whitespace()
                    .next()
                    .map(|h| h.replace(',', "").parse::<u64>()),
            )
        {
            refused(field.path, &(high + 1).to_string());
            if low > 0 {
                refused(field.path, &(low - 1).to_string());
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "{checked} fields checked");
}

/// Regression (issue 23): a `heartbeat_interval` or `gossip_interval` of 1us made a
/// one-second run take over a minute; every period or timeout is at least 1ms.
#[test]
fn regression_23_microsecond_intervals_are_refused_and_1ms_is_not() {
    for field in [
        "users.heartbeat_interval",
        "servers.gossip_interval",
        "servers.pull_interval",
        "network.directory_refresh",
    ] {
        let e = Scenario::parse("", "t", &[format!("{field}=\"1us\"")])
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains(field) && e.contains("shorter than 1ms"), "{e}");
    }
    Scenario::parse("", "t", &["servers.gossip_interval=\"1ms\"".to_string()]).unwrap();
}

/// Regression (issue 23): a partition of "0s" was accepted though the reference says
/// positive; the error names the entry.
#[test]
fn regression_23_a_zero_partition_is_refused_naming_its_entry() {
    let e = error_of(
        "[[partitions]]\nat = \"1s\"\nduration = \"1s\"\nservers = [0]\n\
         [[partitions]]\nat = \"2s\"\nduration = \"0s\"\nservers = [1]\n",
    );
    assert!(
        e.contains("`partitions[1].duration`: must be positive"),
        "{e}"
    );
}

/// Regression (issue 23): a duplicate key or a wrong type gave line:column without the
/// field; the message names it.
#[test]
fn regression_23_syntax_errors_name_the_field() {
    let cases = [
        (
            "[servers]\ncapacity = 5\ncapacity = 6\n",
            "`servers.capacity`",
        ),
        ("[users]\ncount = \"many\"\n", "`users.count`"),
        ("seed = \"x\"\n", "`seed`"),
        (
            "[[partitions]]\nat = true\nduration = \"1s\"\nservers = [0]\n",
            "`partitions[].at`",
        ),
        ("[network]\nloss = \"high\"\n", "`network.loss`"),
    ];
    for (text, field) in cases {
        let e = error_of(text);
        assert!(e.contains(field), "{text:?}: {e}");
    }
}
