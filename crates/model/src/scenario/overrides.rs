//! Overrides: `--set a.b.c=value` applied to the parsed TOML table of a scenario, which
//! is then read as a scenario directly (no round trip through text), and who is to blame
//! when the result is not a valid scenario.

use super::load::syntax_error;
use super::{Scenario, ScenarioError};

/// The scenario `text` describes with `overrides` applied in order (a later one wins). A
/// mistake of the file itself is reported against its lines; otherwise the overrides are
/// to blame, and named.
pub(super) fn apply(
    text: &str,
    origin: &str,
    overrides: &[String],
) -> Result<Scenario, ScenarioError> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| syntax_error(e, text, origin))?;
    for o in overrides {
        apply_override(&mut table, o)?;
    }
    toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| {
            // Only on this error path is the file read again, alone, to tell whose mistake
            // it is: its own (placed in the file) or an override's.
            match toml::from_str::<Scenario>(text) {
                Err(own) => syntax_error(own, text, origin),
                Ok(_) => ScenarioError::Override {
                    text: overrides.join(" "),
                    message: e.message().trim().to_string(),
                },
            }
        })
}

/// The dotted key an override `a.b.c=value` sets, if it has one.
pub fn override_key(text: &str) -> Option<&str> {
    text.split_once('=').map(|(key, _)| key.trim())
}

/// The last override that sets dotted `field` (the one whose value the scenario has).
pub(super) fn last_setting<'a>(overrides: &'a [String], field: &str) -> Option<&'a str> {
    overrides
        .iter()
        .rev()
        .find(|o| override_key(o) == Some(field))
        .map(String::as_str)
}

/// Apply `a.b.c=value` to a TOML table; the value is read as TOML, or as a string.
fn apply_override(table: &mut toml::Table, text: &str) -> Result<(), ScenarioError> {
    let bad = |message: &str| ScenarioError::Override {
        text: text.to_string(),
        message: message.to_string(),
    };
    let (path, raw) = text
        .split_once('=')
        .ok_or_else(|| bad("expected KEY=VALUE"))?;
    let keys: Vec<&str> = path.trim().split('.').collect();
    if keys.iter().any(|k| k.is_empty()) {
        return Err(bad("empty key"));
    }
    let raw = raw.trim();
    let value: toml::Value = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_string()));
    let (last, parents) = keys.split_last().expect("non-empty");
    let mut current = table;
    for key in parents {
        let entry = current
            .entry(key.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        current = entry
            .as_table_mut()
            .ok_or_else(|| bad(&format!("`{key}` is not a table")))?;
    }
    current.insert(last.to_string(), value);
    Ok(())
}
