//! The built-in scenarios: the files of `scenarios/`, compiled in, by name.

use super::Scenario;

/// Built-in scenarios: name and TOML text (the same files as `scenarios/`).
pub const BUILTINS: [(&str, &str); 8] = [
    (
        "default",
        include_str!("../../../../scenarios/default.toml"),
    ),
    (
        "seed-classic",
        include_str!("../../../../scenarios/seed-classic.toml"),
    ),
    (
        "flash-crowd",
        include_str!("../../../../scenarios/flash-crowd.toml"),
    ),
    (
        "diurnal",
        include_str!("../../../../scenarios/diurnal.toml"),
    ),
    (
        "node-loss",
        include_str!("../../../../scenarios/node-loss.toml"),
    ),
    (
        "partition",
        include_str!("../../../../scenarios/partition.toml"),
    ),
    (
        "coordinator-crash",
        include_str!("../../../../scenarios/coordinator-crash.toml"),
    ),
    ("large", include_str!("../../../../scenarios/large.toml")),
];

impl Scenario {
    /// A built-in scenario by name.
    pub fn builtin(name: &str) -> Option<Scenario> {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name)?;
        Some(
            Scenario::parse(text, &format!("builtin:{name}"), &[])
                .expect("built-in scenarios are valid"),
        )
    }

    /// The names of the built-ins, comma separated.
    pub fn builtin_names() -> String {
        BUILTINS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
