//! Tidy checks (rust-analyzer's `tidy.rs` habit): the codemap names every source file, and
//! every source file opens with a `//!` line saying its one job.

use std::path::Path;

fn rust_sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_is_in_the_codemap_and_says_its_job() {
    let repo = crate::repo();
    let codemap = std::fs::read_to_string(repo.join("ARCHITECTURE.md")).unwrap();
    let mut sources = vec![];
    for krate in std::fs::read_dir(repo.join("crates")).unwrap() {
        let src = krate.unwrap().path().join("src");
        if src.is_dir() {
            rust_sources(&src, &mut sources);
        }
    }
    rust_sources(&repo.join("viewer/src"), &mut sources);
    assert!(sources.len() > 40, "{} files", sources.len());
    let mut problems = vec![];
    for path in &sources {
        let name = path.file_name().unwrap().to_str().unwrap();
        let shown = path.strip_prefix(&repo).unwrap().display().to_string();
        // A crate's lib.rs is its paragraph in the codemap; everything else is named.
        if name != "lib.rs" && !codemap.contains(&format!("`{name}`")) {
            problems.push(format!("{shown}: not named in ARCHITECTURE.md's codemap"));
        }
        let text = std::fs::read_to_string(path).unwrap();
        if !text.starts_with("//!") {
            problems.push(format!("{shown}: does not open with a `//!` line"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
