//! The scenario reference: docs/scenarios.md is what `swarmlb scenarios --reference`
//! prints, and every CSV column the tool writes is documented in it.

use crate::{repo, scratch, stdout, swarmlb, swarmlb_in};

#[test]
fn docs_scenarios_md_is_what_the_reference_prints() {
    let printed = stdout(&swarmlb(&["scenarios", "--reference"]));
    let path = repo().join("docs/scenarios.md");
    if std::env::var_os("SWARMLB_UPDATE_DOCS").is_some() {
        // This test owns the file: it is regenerated on request, never edited by hand.
        std::fs::write(&path, &printed).unwrap();
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == printed,
        "docs/scenarios.md is stale: regenerate it with SWARMLB_UPDATE_DOCS=1 cargo test -p swarmlb-cli reference"
    );
    for needle in [
        "servers.pull",
        "users.population.floor",
        "| original | here |",
        "macro_sorted",
    ] {
        assert!(printed.contains(needle), "{needle}");
    }
}

/// True if `column` matches `pattern`, where `<name>` stands for any non-empty text.
fn matches(pattern: &str, column: &str) -> bool {
    match pattern.find('<') {
        None => pattern == column,
        Some(open) => {
            let close = open + pattern[open..].find('>').expect("a closed placeholder");
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            column.strip_prefix(head).is_some_and(|rest| {
                (1..=rest.len()).any(|n| rest.is_char_boundary(n) && matches(tail, &rest[n..]))
            })
        }
    }
}

/// The documented column patterns of the CSV file whose title starts with `file`.
fn documented(file: &str) -> Vec<&'static str> {
    let (_, _, columns) = swarmlb_model::reference::CSV_FILES
        .iter()
        .find(|(title, ..)| title.starts_with(file))
        .unwrap_or_else(|| panic!("{file} is not in the reference"));
    columns.iter().flat_map(|(c, _)| c.split(", ")).collect()
}

fn header(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let line = text
        .lines()
        .find(|l| !l.starts_with('#'))
        .expect("a header");
    line.split(',').map(str::to_string).collect()
}

#[test]
fn every_csv_column_the_tool_writes_is_documented() {
    let dir = scratch("reference-csv");
    let short = ["--duration", "20s"];
    let run = |args: &[&str]| {
        let o = swarmlb_in(&dir, args);
        assert!(o.status.success(), "{args:?}: {}", crate::stderr(&o));
    };
    run(&[&["run", "seed-classic", "--metrics", "m.csv"][..], &short].concat());
    run(&[
        &[
            "sweep",
            "seed-classic",
            "--param",
            "servers.capacity=8",
            "--seeds",
            "2",
            "--out",
            "sw",
        ][..],
        &short,
    ]
    .concat());
    run(&[
        &["compare", "seed-classic", "--seeds", "2", "--out", "cmp"][..],
        &short,
    ]
    .concat());
    run(&[
        &[
            "stability",
            "seed-classic",
            "--param",
            "servers.capacity=8",
            "--seeds",
            "1",
        ][..],
        &["--perturbations", "1", "--out", "st"],
        &short,
    ]
    .concat());
    let files = [
        ("metrics", dir.join("m.csv")),
        (
            "divergence.csv",
            repo().join("traces/golden/butterfly/divergence.csv"),
        ),
        ("sweep.csv", dir.join("sw/sweep.csv")),
        ("summary.csv", dir.join("sw/summary.csv")),
        ("compare.csv", dir.join("cmp/compare.csv")),
        ("stability.csv", dir.join("st/stability.csv")),
    ];
    for (file, path) in files {
        let patterns = documented(file);
        for column in header(&path) {
            assert!(
                patterns.iter().any(|p| matches(p, &column)),
                "{file}: column {column:?} is not documented in the reference"
            );
        }
    }
    assert!(matches(
        "delta_after_<outcome>_<stat>",
        "delta_after_gave_up_ci95_low"
    ));
    assert!(!matches("delta_after_<outcome>_<stat>", "delta_after__n"));
    assert!(!matches("seed", "seeds"));
}

#[test]
fn show_full_prints_every_field_with_its_effective_value() {
    let full = stdout(&swarmlb(&["scenarios", "--show", "seed-classic", "--full"]));
    let parsed = swarmlb_model::Scenario::parse(&full, "full", &[]).unwrap();
    assert_eq!(
        parsed,
        swarmlb_model::Scenario::builtin("seed-classic").unwrap()
    );
    // Fields the file leaves to their defaults are printed too.
    for field in [
        "report_interval = ",
        "view_size = ",
        "arrival_rate = ",
        "lifespan_clock = ",
    ] {
        assert!(full.contains(field), "{field} in:\n{full}");
    }
    assert!(
        !stdout(&swarmlb(&["scenarios", "--show", "seed-classic"])).contains("report_interval")
    );
    let o = swarmlb(&["scenarios", "--full"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--full without --show is a usage error"
    );
}

#[test]
fn reference_and_show_together_are_a_usage_error() {
    let o = swarmlb(&["scenarios", "--reference", "--show", "default"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--reference prints no scenario: refused"
    );
    assert!(o.stdout.is_empty());
}
