//! Reading the files a run starts from, with the limits checked before they are read
//! whole: scenario files (the command line and the Python package share this).

use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// Read a scenario file, refusing what cannot be one before reading it all: a directory,
/// anything but a regular file (a FIFO would block the open for ever, a device never
/// end), a file over the size limit (`limits::SCENARIO_FILE_MAX`), text that is not UTF-8.
pub fn read_scenario_file(path: &Path) -> std::io::Result<String> {
    let max = swarmlb_model::scenario::limits::SCENARIO_FILE_MAX;
    // Checked before opening: opening a FIFO for reading waits for a writer.
    let kind = std::fs::metadata(path)?.file_type();
    let refuse = |file_type: std::fs::FileType| {
        if file_type.is_dir() {
            Err(Error::new(ErrorKind::InvalidInput, "it is a directory"))
        } else if !file_type.is_file() {
            Err(Error::new(
                ErrorKind::InvalidInput,
                "it is not a regular file (a FIFO, socket or device)",
            ))
        } else {
            Ok(())
        }
    };
    refuse(kind)?;
    let file = std::fs::File::open(path)?;
    // And again on what was opened, in case the path changed in between.
    refuse(file.metadata()?.file_type())?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "it is larger than 1 MiB, the limit for a scenario file",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::new(
            ErrorKind::InvalidData,
            format!("it is not UTF-8 text ({e})"),
        )
    })
}
