//! The plan of an experiment, kept in its output directory as `plan.json`: what defines
//! its results (every cell's resolved scenario, the seeds, the binary) and a fingerprint
//! of all of it. An output directory holds the results of one plan only: a rerun resumes
//! or overwrites when the fingerprint matches, and is refused otherwise, so results of two
//! plans are never mixed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The file a plan is kept in, inside the output directory.
pub const PLAN_FILE: &str = "plan.json";

/// An experiment's plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Plan {
    /// Which experiment: `sweep`, `compare` or `stability`.
    pub experiment: String,
    /// The command line that made it, quoted for a shell (said in refusals).
    pub command: String,
    /// The swarmlb version and a BLAKE3 hash of the executable that made it.
    pub binary: String,
    /// What the results depend on, part by part (readable text or a digest).
    pub parts: BTreeMap<String, String>,
    /// BLAKE3 of the experiment, the binary and every part.
    pub fingerprint: String,
    /// For a sweep: the CSV header and the run files in plan order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepLayout>,
}

/// How a sweep's CSV is assembled from its run files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepLayout {
    /// The CSV header.
    pub header: String,
    /// Run files relative to the output directory, in row order.
    pub runs: Vec<String>,
}

/// `swarmlb <version>`, and a hash of the running executable: the same binary is what
/// guarantees the same results (design rule 5), so results of another build are refused.
pub fn binary() -> &'static str {
    static BINARY: OnceLock<String> = OnceLock::new();
    BINARY.get_or_init(|| {
        let hash = std::env::current_exe()
            .and_then(std::fs::read)
            .map(|bytes| blake3::hash(&bytes).to_hex()[..16].to_string())
            .unwrap_or_else(|_| "unknown".into());
        format!("swarmlb {} (executable {hash})", env!("CARGO_PKG_VERSION"))
    })
}

/// The command line of this process, each argument quoted when needed.
pub fn command_line() -> String {
    std::env::args()
        .enumerate()
        .map(|(i, a)| {
            if i == 0 {
                "swarmlb".to_string()
            } else if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.,=/:".contains(c))
            {
                a
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A short hex digest of some text (for parts too long to store readably).
pub fn digest(text: &str) -> String {
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

impl Plan {
    /// A plan of `experiment` made of `parts`, by this binary and command line.
    pub fn new(experiment: &str, parts: Vec<(&str, String)>) -> Plan {
        let parts: BTreeMap<String, String> =
            parts.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        let mut hasher = blake3::Hasher::new();
        for field in [experiment, binary()]
            .into_iter()
            .chain(parts.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]))
        {
            // Length-prefixed, so no two different lists hash the same text.
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
        Plan {
            experiment: experiment.to_string(),
            command: command_line(),
            binary: binary().to_string(),
            parts,
            fingerprint: hasher.finalize().to_hex()[..32].to_string(),
            sweep: None,
        }
    }

    /// The plan stored in `dir`.
    pub fn read(dir: &Path) -> anyhow::Result<Plan> {
        let path = dir.join(PLAN_FILE);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("no experiment plan in {}", dir.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))
    }

    fn write(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(PLAN_FILE);
        let text = serde_json::to_string_pretty(self).expect("a plan serializes") + "\n";
        crate::record::write_whole(&path, text)
    }

    /// Why `other` (stored) is not this plan, part by part.
    pub fn differences(&self, other: &Plan) -> Vec<String> {
        let mut out = Vec::new();
        if self.experiment != other.experiment {
            out.push(format!(
                "experiment: {} there, {} here",
                other.experiment, self.experiment
            ));
        }
        if self.binary != other.binary {
            out.push(format!(
                "binary: {} there, {} here",
                other.binary, self.binary
            ));
        }
        let keys: std::collections::BTreeSet<&String> =
            self.parts.keys().chain(other.parts.keys()).collect();
        for k in keys {
            let (there, here) = (other.parts.get(k), self.parts.get(k));
            if there != here {
                let show = |v: Option<&String>| v.map_or("(none)".to_string(), |v| v.clone());
                out.push(format!("{k}: {} there, {} here", show(there), show(here)));
            }
        }
        if out.is_empty() {
            out.push("the fingerprint".into());
        }
        out
    }

    /// Make `dir` this plan's: with `fresh`, first delete `outputs` (files or folders
    /// inside `dir`) and any stored plan. Then a stored plan with the same fingerprint is
    /// kept (resume); another plan, or outputs without a plan, are refused.
    pub fn claim(&self, dir: &Path, fresh: bool, outputs: &[&str]) -> anyhow::Result<()> {
        if fresh {
            for name in outputs.iter().chain(&[PLAN_FILE]) {
                let path = dir.join(name);
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                match removed {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(e).with_context(|| format!("cannot remove {}", path.display()));
                    }
                    _ => {}
                }
            }
        }
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        if dir.join(PLAN_FILE).exists() {
            let stored = Plan::read(dir)?;
            if stored.fingerprint == self.fingerprint {
                return Ok(());
            }
            bail!(
                "{dir} holds the results of another plan, made by:\n    {command}\n  \
                 it differs in:\n    {diff}\n  \
                 rerun with --fresh to delete those results and start again, or choose another --out",
                dir = dir.display(),
                command = stored.command,
                diff = self.differences(&stored).join("\n    "),
            );
        }
        if let Some(found) = outputs.iter().find(|name| dir.join(name).exists()) {
            bail!(
                "{} holds {found} but no {PLAN_FILE}, so nothing says which plan made it; \
                 rerun with --fresh to delete it and start again, or choose another --out",
                dir.display()
            );
        }
        self.write(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_covers_every_part_and_its_boundaries() {
        let a = Plan::new("sweep", vec![("seeds", "1..=2".into())]);
        let b = Plan::new("sweep", vec![("seeds", "1..=3".into())]);
        let c = Plan::new("compare", vec![("seeds", "1..=2".into())]);
        let d = Plan::new("sweep", vec![("seed", "s1..=2".into())]);
        assert_ne!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
        assert_ne!(a.fingerprint, d.fingerprint);
        assert_eq!(
            a.fingerprint,
            Plan::new("sweep", vec![("seeds", "1..=2".into())]).fingerprint
        );
        assert_eq!(a.differences(&b), vec!["seeds: 1..=3 there, 1..=2 here"]);
    }
}
