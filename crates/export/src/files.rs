//! Tables as Parquet files in one directory: `events.parquet`, `servers.parquet`,
//! `users.parquet`, `agents.parquet`, written into `DIR.partial/` and renamed to `DIR`
//! when every table is whole, so a directory under its final name never mixes the tables
//! of two exports (a failed or killed export leaves the old `DIR` as it was).

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use swarmlb_trace::TraceError;

use crate::ExportError;
use crate::tables::{BATCH_ROWS, Sink, Table};

/// A [`Sink`] writing one Parquet file per table (Snappy, one row group per batch).
pub struct ParquetDir {
    dir: PathBuf,
    partial: PathBuf,
    writers: Vec<(Table, PathBuf, ArrowWriter<File>)>,
}

fn io(path: &Path, e: std::io::Error) -> ExportError {
    ExportError::Trace(TraceError::io(path, e))
}

/// `dir` with `suffix` appended to its last component.
fn with_suffix(dir: &Path, suffix: &str) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// True for the names an export writes (and older exports' `.partial` files).
fn is_table_file(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    let name = name.strip_suffix(".partial").unwrap_or(&name);
    Table::ALL
        .iter()
        .any(|t| name == format!("{}.parquet", t.name()))
}

/// Remove `dir` if it exists and holds nothing but table files; refuse to touch a
/// directory that holds anything else (an export never deletes what it did not write).
fn remove_tables_dir(dir: &Path) -> Result<(), ExportError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(dir, e)),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, e))?;
        if !is_table_file(&entry.file_name()) {
            return Err(io(
                dir,
                std::io::Error::other(format!(
                    "holds {}, which is not an exported table; give a new or empty \
                     directory for the tables",
                    entry.file_name().to_string_lossy()
                )),
            ));
        }
        files.push(entry.path());
    }
    for file in files {
        std::fs::remove_file(&file).map_err(|e| io(&file, e))?;
    }
    std::fs::remove_dir(dir).map_err(|e| io(dir, e))
}

impl ParquetDir {
    /// Create `DIR.partial` and every table's file in it, before any work. An existing
    /// `DIR` must hold nothing but tables (it is replaced whole by [`ParquetDir::finish`]).
    pub fn create(dir: &Path) -> Result<ParquetDir, ExportError> {
        // `out/` and `out` are one directory, whose partial twin is `out.partial`.
        let dir: PathBuf = dir.components().collect();
        let dir = dir.as_path();
        if dir.exists() {
            if !dir.is_dir() {
                let e = std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory");
                return Err(io(dir, e));
            }
            // Checked now, so that a directory of other files fails before any work.
            for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
                let entry = entry.map_err(|e| io(dir, e))?;
                if !is_table_file(&entry.file_name()) {
                    let e = std::io::Error::other(format!(
                        "holds {}, which is not an exported table; give a new or empty \
                         directory for the tables",
                        entry.file_name().to_string_lossy()
                    ));
                    return Err(io(dir, e));
                }
            }
        }
        let partial = with_suffix(dir, ".partial");
        // A `.partial` left by a killed export is stale: start it again.
        remove_tables_dir(&partial)?;
        std::fs::create_dir_all(&partial).map_err(|e| io(&partial, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            .build();
        let mut writers = Vec::new();
        for table in Table::ALL {
            let name = format!("{}.parquet", table.name());
            let path = partial.join(&name);
            let file = File::create(&path).map_err(|e| io(&path, e))?;
            let writer = ArrowWriter::try_new(file, table.schema(), Some(props.clone()))
                .map_err(|source| parquet_error(&path, source))?;
            writers.push((table, dir.join(name), writer));
        }
        Ok(ParquetDir {
            dir: dir.to_path_buf(),
            partial,
            writers,
        })
    }

    /// Close and sync every file, then put `DIR.partial` in the place of `DIR` (an old
    /// `DIR` is moved aside first and removed after); returns the tables' final paths.
    pub fn finish(self) -> Result<Vec<PathBuf>, ExportError> {
        let mut paths = Vec::new();
        for (_, path, writer) in self.writers {
            let file = writer
                .into_inner()
                .map_err(|source| parquet_error(&path, source))?;
            file.sync_all().map_err(|e| io(&path, e))?;
            paths.push(path);
        }
        #[cfg(unix)]
        File::open(&self.partial)
            .and_then(|d| d.sync_all())
            .map_err(|e| io(&self.partial, e))?;
        let old = with_suffix(&self.dir, ".old");
        remove_tables_dir(&old)?;
        let had_old = self.dir.exists();
        if had_old {
            std::fs::rename(&self.dir, &old).map_err(|e| io(&self.dir, e))?;
        }
        std::fs::rename(&self.partial, &self.dir).map_err(|e| io(&self.dir, e))?;
        swarmlb_trace::write::sync_parent(&self.dir)?;
        if had_old {
            remove_tables_dir(&old)?;
        }
        Ok(paths)
    }
}

fn parquet_error(path: &Path, source: parquet::errors::ParquetError) -> ExportError {
    ExportError::Parquet {
        path: path.display().to_string(),
        source,
    }
}

impl Sink for ParquetDir {
    fn batch(&mut self, table: Table, batch: RecordBatch) -> Result<(), ExportError> {
        let (_, path, writer) = self
            .writers
            .iter_mut()
            .find(|(t, _, _)| *t == table)
            .expect("every table has a writer");
        writer
            .write(&batch)
            .and_then(|()| writer.flush())
            .map_err(|source| parquet_error(path, source))
    }
}
