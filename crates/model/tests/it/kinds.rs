//! The record kinds and message bodies are format-stable (their codes are written into
//! traces): every (code, name) pair is pinned, traces/FORMAT.md is checked against the one
//! declaration, and the declared value meanings agree with the declared fold effects.

use swarmlb_model::msg::BODY_NAMES;
use swarmlb_model::{Fold, Kind, Value};

/// Renumbering or renaming a kind or a body changes this snapshot. Appending one adds a
/// line at the end, which is the only change to accept.
#[test]
fn codes_and_names_are_pinned() {
    let mut pinned = String::from("kinds:\n");
    for &kind in Kind::ALL {
        let label = kind.value().label().unwrap_or("-");
        pinned += &format!(
            "{} {} {} {label}\n",
            kind as u8,
            kind.name(),
            kind.category().name()
        );
    }
    pinned += "bodies:\n";
    for (code, name) in BODY_NAMES.iter().enumerate() {
        pinned += &format!("{code} {name}\n");
    }
    insta::assert_snapshot!(pinned);
}

#[test]
fn codes_index_the_tables() {
    for (i, &kind) in Kind::ALL.iter().enumerate() {
        assert_eq!(kind as usize, i);
        assert_eq!(Kind::from_code(kind as u8), Some(kind));
    }
    assert_eq!(Kind::from_code(Kind::ALL.len() as u8), None);
    let names: std::collections::BTreeSet<_> = Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(names.len(), Kind::ALL.len(), "kind names are unique");
    let bodies: std::collections::BTreeSet<_> = BODY_NAMES.iter().collect();
    assert_eq!(bodies.len(), BODY_NAMES.len(), "body names are unique");
}

/// How FORMAT.md's "text form" column shows a value meaning.
fn text_form(value: Value) -> String {
    match value {
        Value::None => "—".into(),
        Value::Load => "`load=L/capacity`".into(),
        Value::ReportedLoad => "`load=L`".into(),
        Value::Agent(l) => format!("`{l}=<agent>`"),
        Value::Server(l) => format!("`{l}=S<index>`"),
        Value::Slot => "`user=U<slot>`".into(),
        Value::Count(l) => format!("`{l}=<n>`"),
        Value::Flag(l) => format!("`{l}=<0 or 1>`"),
        Value::Body => "`message=<body name>`".into(),
    }
}

/// The cells of the table rows of `section` (a `### ` heading) in FORMAT.md.
fn table(format: &str, section: &str) -> Vec<Vec<String>> {
    let start = format
        .find(&format!("\n### {section}\n"))
        .unwrap_or_else(|| panic!("FORMAT.md has a section `### {section}`"));
    format[start..]
        .lines()
        .skip(2)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and the rule
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

fn format_md() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../traces/FORMAT.md");
    std::fs::read_to_string(path).unwrap()
}

/// FORMAT.md's kind table lists every declared kind, in code order, with its name,
/// category and text form (the value column is prose, but says `—` exactly when there is
/// no value).
#[test]
fn format_md_kind_table_matches_the_declaration() {
    let rows = table(&format_md(), "Event kinds");
    let expected: Vec<Vec<String>> = Kind::ALL
        .iter()
        .map(|&k| {
            vec![
                (k as u8).to_string(),
                k.name().to_string(),
                k.category().name().to_string(),
                text_form(k.value()),
            ]
        })
        .collect();
    let found: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            assert_eq!(r.len(), 5, "five columns: {r:?}");
            vec![r[0].clone(), r[1].clone(), r[2].clone(), r[4].clone()]
        })
        .collect();
    assert_eq!(
        found, expected,
        "traces/FORMAT.md's kind table is stale: it must list crates/model/src/record.rs's rows"
    );
    for (row, &kind) in rows.iter().zip(Kind::ALL) {
        assert_eq!(
            row[3] == "—",
            kind.value() == Value::None,
            "{kind}: the value column says `—` exactly when the kind has no value"
        );
    }
}

#[test]
fn format_md_body_table_matches_the_declaration() {
    let rows = table(&format_md(), "Message bodies");
    let expected: Vec<Vec<String>> = BODY_NAMES
        .iter()
        .enumerate()
        .map(|(code, name)| vec![code.to_string(), name.to_string()])
        .collect();
    assert_eq!(
        rows, expected,
        "traces/FORMAT.md's body table is stale: it must list crates/model/src/msg.rs's rows"
    );
}

/// A fold effect that reads the value declares what it reads: a load is a `Value::Load`
/// (and every `Value::Load` is folded into the server's load, so text, fold and load
/// counters name the same set), an agent is a `Value::Agent`.
#[test]
fn value_meanings_agree_with_fold_effects() {
    for &kind in Kind::ALL {
        let (value, fold) = (kind.value(), kind.fold());
        let fold_reads_load = fold.server_load(7) == Some(7);
        assert_eq!(
            fold_reads_load,
            value == Value::Load,
            "{kind}: value {value:?} but fold {fold:?}"
        );
        if matches!(fold, Fold::Search | Fold::Connect) {
            assert!(
                matches!(value, Value::Agent(_)),
                "{kind}: {fold:?} reads an agent"
            );
        }
        if value == Value::None {
            assert!(
                matches!(
                    fold,
                    Fold::Nothing
                        | Fold::Backoff
                        | Fold::Die
                        | Fold::Start
                        | Fold::Offer
                        | Fold::Refused
                        | Fold::Terminate
                        | Fold::Crash
                ),
                "{kind}: no value, but fold {fold:?} reads one"
            );
        }
    }
}
