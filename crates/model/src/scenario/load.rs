//! Loading: a scenario by built-in name or file, parsed, overridden and validated, and
//! `ScenarioError`, which names the file, line and field (or the override) at fault.

use std::path::Path;

use super::overrides;
use super::{BUILTINS, Scenario};

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// Not TOML, a wrong type, or an unknown field.
    #[error("{}: {message}", place(origin, *line, Some(*column)))]
    Syntax {
        /// The file name or `builtin:NAME`.
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// A value out of range or inconsistent with another.
    #[error("{}: invalid value for `{field}`{}: {message}", place(origin, *line, None), if *line == 0 { " (not set in the file: its default)" } else { "" })]
    Invalid {
        /// The file name or `builtin:NAME`.
        origin: String,
        /// 1-based line of the field, or 0 when it is not in the file (a default).
        line: usize,
        /// Dotted field path, like `servers.capacity`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A `--set KEY=VALUE` override that does not apply.
    #[error("bad override {text:?}: {message}")]
    Override {
        /// The override as given.
        text: String,
        /// What is wrong.
        message: String,
    },
    /// The file exists but cannot be used: a directory, not UTF-8, too large, unreadable.
    #[error("cannot read scenario file {path:?}: {message}")]
    Read {
        /// The path as given.
        path: String,
        /// Why.
        message: String,
    },
    /// No such built-in scenario and no such file.
    #[error("unknown scenario {name:?}: not a built-in ({builtins}) and not a readable file")]
    Unknown {
        /// What was asked for.
        name: String,
        /// The built-in names.
        builtins: String,
    },
}

/// `file:line:column`, `file:line`, or `file` alone when the line is unknown (0).
fn place(origin: &str, line: usize, column: Option<usize>) -> String {
    match (line, column) {
        (0, _) => origin.to_string(),
        (line, Some(column)) if column > 0 => format!("{origin}:{line}:{column}"),
        (line, _) => format!("{origin}:{line}"),
    }
}

impl Scenario {
    /// Parse and validate TOML `text`; `origin` names it in errors. `overrides` are
    /// `key.path=value` settings applied before validation (`servers.capacity=10`).
    pub fn parse(
        text: &str,
        origin: &str,
        overrides: &[String],
    ) -> Result<Scenario, ScenarioError> {
        let scenario = if overrides.is_empty() {
            toml::from_str(text).map_err(|e| syntax_error(e, text, origin))?
        } else {
            overrides::apply(text, origin, overrides)?
        };
        scenario.validate().map_err(|invalid| {
            let field = invalid.field();
            // A value set by `--set` is blamed on the override, not on the file.
            match overrides::last_setting(overrides, &field) {
                Some(text) => ScenarioError::Override {
                    text: text.to_string(),
                    message: format!("invalid value for `{field}`: {invalid}"),
                },
                None => ScenarioError::Invalid {
                    origin: origin.to_string(),
                    line: locate_field(text, &field),
                    field,
                    message: invalid.to_string(),
                },
            }
        })?;
        Ok(scenario)
    }
}

/// Load a scenario by built-in name or file path, with overrides. `read` is the caller's
/// file access (the model does no I/O): a file that is not found makes the name unknown;
/// any other error (a directory, not UTF-8, too large) is reported as such.
pub fn load(
    name_or_path: &str,
    overrides: &[String],
    read: impl FnOnce(&Path) -> std::io::Result<String>,
) -> Result<Scenario, ScenarioError> {
    if let Some((name, text)) = BUILTINS.iter().find(|(n, _)| *n == name_or_path) {
        return Scenario::parse(text, &format!("builtin:{name}"), overrides);
    }
    match read(Path::new(name_or_path)) {
        Ok(text) => Scenario::parse(&text, name_or_path, overrides),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ScenarioError::Unknown {
            name: name_or_path.to_string(),
            builtins: Scenario::builtin_names(),
        }),
        Err(e) => Err(ScenarioError::Read {
            path: name_or_path.to_string(),
            message: e.to_string(),
        }),
    }
}

pub(super) fn syntax_error(e: toml::de::Error, text: &str, origin: &str) -> ScenarioError {
    let (line, column) = match e.span() {
        Some(span) => line_col(text, span.start),
        None => (0, 0),
    };
    let message = e.message().trim();
    // toml names no field in "duplicate key" or "invalid type": the key on the line at
    // fault, under the table that line is in, does.
    let message = match e.span().and_then(|span| field_at(text, span.start)) {
        Some(field) if !message.contains(&format!("`{field}`")) => {
            format!("`{field}`: {message}")
        }
        _ => message.to_string(),
    };
    ScenarioError::Syntax {
        origin: origin.to_string(),
        line,
        column,
        message,
    }
}

/// The dotted field set on the line holding byte `offset` of `text` (`servers.capacity`,
/// `partitions[].duration`), when that line is a `key = value` line.
fn field_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next().unwrap_or("");
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    // The last table header above the line.
    let table = text[..start].lines().rev().find_map(|l| {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|l| l.split_once("]]")) {
            Some(format!("{}[]", name.0.trim()))
        } else {
            l.strip_prefix('[')
                .and_then(|l| l.split_once(']'))
                .map(|(name, _)| name.trim().to_string())
        }
    });
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The line where dotted `field` is set in `text`, or 0 if it is not (a default).
/// It looks for `key =` under the `[section]` header, or `section.key =` at the top; a
/// field inside an inline table (`diurnal = { amplitude = 1.6 }`) is on its table's line.
fn locate_field(text: &str, field: &str) -> usize {
    let mut path = field;
    loop {
        let line = locate_key(text, path);
        if line > 0 {
            let inline = path != field;
            let value = text.lines().nth(line - 1).and_then(|l| l.split_once('='));
            if !inline || value.is_some_and(|(_, v)| v.trim_start().starts_with('{')) {
                return line;
            }
        }
        match path.rsplit_once('.') {
            Some((parent, _)) => path = parent,
            None => return 0,
        }
    }
}

/// The line of `key =` (or of a table header) for dotted `field`; 0 if absent.
fn locate_key(text: &str, field: &str) -> usize {
    let clean = |s: &str| s.split('[').next().unwrap_or(s).to_string();
    let parts: Vec<String> = field.split('.').map(clean).collect();
    let (key, section) = parts.split_last().expect("non-empty field");
    let section = section.join(".");
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            current = trimmed
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            // A whole table or array of tables (`[[crashes]]`) is named by its header.
            if current == field {
                return i + 1;
            }
            continue;
        }
        let Some((lhs, _)) = trimmed.split_once('=') else {
            continue;
        };
        let lhs = lhs.trim();
        let full = if current.is_empty() {
            lhs.to_string()
        } else {
            format!("{current}.{lhs}")
        };
        if full == format!("{section}.{key}").trim_start_matches('.')
            || (lhs == key && current == section)
        {
            return i + 1;
        }
    }
    0
}
