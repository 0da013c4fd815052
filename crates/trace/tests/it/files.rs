//! The files the trace crate writes and reads itself: a `.partial` trace renamed into
//! place when complete, and a scenario file read within its size limit.

use std::io::Write;
use std::path::PathBuf;

use swarmlb_trace::files::read_scenario_file;
use swarmlb_trace::write::PartialFile;

/// A fresh directory for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("swarmlb-trace-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_partial_file_is_flushed_to_its_partial_name_and_committed_to_the_final_one() {
    let dir = TempDir::new("partial");
    let path = dir.0.join("run.trace");
    let mut file = PartialFile::create(&path).unwrap();
    let partial = file.partial_path().to_path_buf();
    assert_eq!(partial, dir.0.join("run.trace.partial"));
    assert!(partial.exists() && !path.exists());
    file.write_all(b"0123456789").unwrap();
    // A flush puts the bytes in the `.partial` file: what a killed run leaves behind.
    file.flush().unwrap();
    assert_eq!(std::fs::metadata(&partial).unwrap().len(), 10);
    file.write_all(b"abc").unwrap();
    assert_eq!(file.commit().unwrap(), 13);
    assert!(!partial.exists());
    assert_eq!(std::fs::read(&path).unwrap(), b"0123456789abc");
}

#[test]
fn a_partial_file_is_refused_where_a_directory_is() {
    let dir = TempDir::new("partial-dir");
    let e = PartialFile::create(&dir.0).err().expect("refused");
    assert!(e.to_string().contains("is a directory"), "{e}");
    let missing = dir.0.join("no such dir").join("run.trace");
    assert!(PartialFile::create(&missing).is_err());
}

#[test]
fn a_scenario_file_is_read_up_to_its_limit() {
    let max = swarmlb_model::scenario::limits::SCENARIO_FILE_MAX as usize;
    let dir = TempDir::new("scenario");
    let path = dir.0.join("s.toml");
    let text = "# a comment\n".repeat(max / 12) + &"#".repeat(max % 12);
    assert_eq!(text.len(), max);
    std::fs::write(&path, &text).unwrap();
    assert_eq!(read_scenario_file(&path).unwrap(), text);
    std::fs::write(&path, text + "#").unwrap();
    let e = read_scenario_file(&path).unwrap_err();
    assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
    std::fs::write(&path, b"name = \"\xFF\"").unwrap();
    let e = read_scenario_file(&path).unwrap_err();
    assert!(e.to_string().contains("not UTF-8"), "{e}");
    let e = read_scenario_file(&dir.0).unwrap_err();
    assert!(e.to_string().contains("directory"), "{e}");
}

/// A bare file name (`swarmlb run --trace out.trace`) has an empty parent: the file is
/// committed in the current directory, whose sync then covers the rename.
#[test]
fn a_bare_file_name_commits_in_the_current_directory() {
    let name = PathBuf::from(format!("swarmlb-trace-bare-{}.trace", std::process::id()));
    let mut file = PartialFile::create(&name).unwrap();
    file.write_all(b"bare").unwrap();
    let committed = file.commit();
    let read = std::fs::read(&name);
    let _ = std::fs::remove_file(&name);
    assert_eq!(committed.unwrap(), 4);
    assert_eq!(read.unwrap(), b"bare");
}
