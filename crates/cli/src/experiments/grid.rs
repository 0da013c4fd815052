//! Parameter grids: `--param key=v1,v2` lists expanded into cells in a fixed order.

use anyhow::{Context, bail};

/// One swept parameter: a scenario field and its values (as TOML text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    /// Dotted scenario field, like `servers.capacity`.
    pub key: String,
    /// Values, in the order given.
    pub values: Vec<String>,
}

impl std::str::FromStr for Param {
    type Err = String;
    fn from_str(text: &str) -> Result<Param, String> {
        let (key, values) = text.split_once('=').ok_or("expected KEY=V1,V2,...")?;
        let values: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if key.trim().is_empty() || values.is_empty() {
            return Err("expected KEY=V1,V2,... with at least one value".into());
        }
        // A repeated value would run the same cell twice and count its seeds twice.
        if let Some(v) = values
            .iter()
            .enumerate()
            .find_map(|(i, v)| values[..i].contains(v).then_some(v))
        {
            return Err(format!("the value {v} is listed twice"));
        }
        Ok(Param {
            key: key.trim().to_string(),
            values,
        })
    }
}

/// One cell of the grid: a value for every parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Position in grid order.
    pub index: usize,
    /// `key=value` overrides, one per parameter.
    pub overrides: Vec<String>,
    /// The values alone, in parameter order.
    pub values: Vec<String>,
}

/// The cartesian product, first parameter slowest.
pub fn cells(params: &[Param]) -> Vec<Cell> {
    let mut cells = vec![Cell {
        index: 0,
        overrides: vec![],
        values: vec![],
    }];
    for p in params {
        cells = cells
            .into_iter()
            .flat_map(|c| {
                p.values.iter().map(move |v| {
                    let mut next = c.clone();
                    next.overrides.push(format!("{}={v}", p.key));
                    next.values.push(v.clone());
                    next
                })
            })
            .collect();
    }
    for (i, c) in cells.iter_mut().enumerate() {
        c.index = i;
    }
    cells
}

/// Every cell with its scenario resolved (`--set`, the cell's values, `--duration`, then
/// `policy` if given), checked before anything runs, so a typo fails at once.
pub fn resolve(
    spec: &crate::scenario_args::ScenarioSpec,
    params: &[Param],
    policy: Option<swarmlb_model::Policy>,
) -> anyhow::Result<Vec<(Cell, swarmlb_model::Scenario)>> {
    if params.iter().map(|p| p.values.len()).product::<usize>() > CELLS_MAX {
        bail!("the grid has more than {CELLS_MAX} cells");
    }
    cells(params)
        .into_iter()
        .map(|cell| {
            let mut scenario = spec
                .load(&cell.overrides)
                .with_context(|| format!("grid cell {}", cell.overrides.join(" ")))?;
            if let Some(p) = policy {
                scenario.policy = p;
            }
            Ok((cell, scenario))
        })
        .collect()
}

/// The most cells a grid may have.
pub const CELLS_MAX: usize = 100_000;

/// The grid as text, like `servers.capacity=8,10 users.count=10,20`.
pub fn describe(params: &[Param]) -> String {
    if params.is_empty() {
        return "(none)".into();
    }
    params
        .iter()
        .map(|p| format!("{}={}", p.key, p.values.join(",")))
        .collect::<Vec<_>>()
        .join(" ")
}
