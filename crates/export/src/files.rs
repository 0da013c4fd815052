//! Tables as Parquet files in one directory: `events.parquet`, `servers.parquet`,
//! `users.parquet`, `agents.parquet`, each written as `.partial` and renamed when whole.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use swarmlb_trace::write::PartialFile;

use crate::ExportError;
use crate::tables::{BATCH_ROWS, Sink, Table};

/// A [`Sink`] writing one Parquet file per table (Snappy, one row group per batch).
pub struct ParquetDir {
    writers: Vec<(Table, PathBuf, ArrowWriter<PartialFile>)>,
}

impl ParquetDir {
    /// Create `dir` and every table's `.partial` file in it, before any work.
    pub fn create(dir: &Path) -> Result<ParquetDir, ExportError> {
        let io = |path: &Path, e: std::io::Error| {
            ExportError::Trace(swarmlb_trace::TraceError::io(path, e))
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(BATCH_ROWS))
            .build();
        let mut writers = Vec::new();
        for table in Table::ALL {
            let path = dir.join(format!("{}.parquet", table.name()));
            let file = PartialFile::create(&path)?;
            let writer = ArrowWriter::try_new(file, table.schema(), Some(props.clone()))
                .map_err(|source| parquet_error(&path, source))?;
            writers.push((table, path, writer));
        }
        Ok(ParquetDir { writers })
    }

    /// Close every file and rename it to its final name; returns the paths.
    pub fn finish(self) -> Result<Vec<PathBuf>, ExportError> {
        let mut paths = Vec::new();
        for (_, path, writer) in self.writers {
            let file = writer
                .into_inner()
                .map_err(|source| parquet_error(&path, source))?;
            file.commit()?;
            paths.push(path);
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
