//! Streaming trace writer. Memory stays constant: events are buffered one block at a time.
//! Files are written as `FILE.partial` and renamed when complete, so a file under its
//! final name is always whole, and a killed run leaves a `.partial` whose complete
//! blocks read back.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use swarmlb_engine::{EventKey, Observer};
use swarmlb_model::{Kind, Observed, World};

use crate::error::TraceError;
use crate::format::{
    self, BLOCK_LEN_MAX, CHECKPOINT_EVERY_MAX, CHECKPOINT_EVERY_MIN, EVENTS_PER_BLOCK, Ending,
    FORMAT_MAJOR, FORMAT_MINOR, Footer, HEADER_LEN_MAX, Header, MAGIC, RawBlock, StoredEvent,
};

/// Writes a trace to any `Write`.
pub struct TraceWriter<W: Write> {
    out: W,
    name: PathBuf,
    checkpoint_every: u64,
    /// The checksum of the last block written (the header's at first).
    chain: u32,
    /// True from the event that completes a checkpoint interval until its checkpoint.
    checkpoint_due: bool,
    events: u64,
    last_time_us: u64,
    /// The current block's events, packed as they come.
    packed: Vec<u8>,
    block_count: u32,
    until_checkpoint: u64,
    block_first: u64,
    block_base_us: u64,
    bytes: u64,
}

impl<W: Write> TraceWriter<W> {
    /// Start a trace on `out` (`name` appears in error messages) by writing the header.
    pub fn new(mut out: W, name: impl Into<PathBuf>, header: &Header) -> Result<Self, TraceError> {
        let name = name.into();
        let payload = format::encode(header);
        if payload.len() > HEADER_LEN_MAX as usize {
            return Err(TraceError::TooLarge {
                what: "the header (the scenario and its lists)",
                actual: payload.len() as u64,
                max: u64::from(HEADER_LEN_MAX),
            });
        }
        assert!(
            (CHECKPOINT_EVERY_MIN..=CHECKPOINT_EVERY_MAX).contains(&header.checkpoint_every),
            "checkpoint interval {} out of range",
            header.checkpoint_every
        );
        let header_crc = format::header_crc(FORMAT_MAJOR, FORMAT_MINOR, &payload);
        let mut preamble = Vec::with_capacity(format::PREAMBLE_LEN as usize);
        preamble.extend_from_slice(&MAGIC);
        preamble.extend_from_slice(&FORMAT_MAJOR.to_le_bytes());
        preamble.extend_from_slice(&FORMAT_MINOR.to_le_bytes());
        preamble.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        preamble.extend_from_slice(&header_crc.to_le_bytes());
        out.write_all(&preamble)
            .and_then(|()| out.write_all(&payload))
            .map_err(|e| TraceError::io(&name, e))?;
        Ok(TraceWriter {
            out,
            name,
            checkpoint_every: header.checkpoint_every,
            chain: header_crc,
            checkpoint_due: false,
            events: 0,
            last_time_us: 0,
            packed: Vec::with_capacity(EVENTS_PER_BLOCK * 12),
            block_count: 0,
            until_checkpoint: header.checkpoint_every,
            block_first: 0,
            block_base_us: 0,
            bytes: preamble.len() as u64 + payload.len() as u64,
        })
    }

    /// Events written so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Bytes written so far (buffered blocks excluded).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// True when a checkpoint is due (after every `checkpoint_every` events); it must be
    /// written before the next event or the footer, as readers require.
    pub fn checkpoint_due(&self) -> bool {
        self.checkpoint_due
    }

    /// Append one event. Times must not go back, and a due checkpoint comes first.
    pub fn push(
        &mut self,
        time_us: u64,
        source: u32,
        target: u32,
        kind: Kind,
        value: u32,
    ) -> Result<(), TraceError> {
        assert!(
            time_us >= self.last_time_us,
            "trace events must be in time order"
        );
        assert!(
            !self.checkpoint_due,
            "a checkpoint is due before event {}",
            self.events
        );
        if self.block_count == 0 {
            self.block_first = self.events;
            self.block_base_us = self.last_time_us;
        }
        let event = StoredEvent {
            dt: time_us - self.last_time_us,
            source,
            target,
            kind: kind as u8,
            value,
        };
        format::pack_event(&mut self.packed, &event);
        self.block_count += 1;
        self.last_time_us = time_us;
        self.events += 1;
        self.until_checkpoint -= 1;
        if self.until_checkpoint == 0 {
            self.checkpoint_due = true;
            self.until_checkpoint = self.checkpoint_every;
        }
        if self.block_count as usize == EVENTS_PER_BLOCK {
            self.flush_block()?;
        }
        Ok(())
    }

    /// Write the due checkpoint: the state hash after the last event.
    pub fn checkpoint(&mut self, state_hash: u64) -> Result<(), TraceError> {
        assert!(self.checkpoint_due, "no checkpoint is due");
        self.checkpoint_due = false;
        self.flush_block()?;
        let block = RawBlock::Checkpoint {
            index: self.events,
            time_us: self.last_time_us,
            state_hash,
        };
        self.write_block(&block)
    }

    fn flush_block(&mut self) -> Result<(), TraceError> {
        if self.block_count == 0 {
            return Ok(());
        }
        // Frame the packed bytes where they are: the block's prefix, then the bytes.
        let prefix = format::events_block_prefix(
            self.block_first,
            self.block_base_us,
            self.block_count,
            self.packed.len(),
        );
        let len = prefix.len() + self.packed.len();
        debug_assert!(
            len <= BLOCK_LEN_MAX as usize,
            "an event block fits the limit"
        );
        let crc = format::block_crc(self.chain, &[&prefix, &self.packed]);
        self.chain = crc;
        let mut frame = [0u8; 8];
        frame[..4].copy_from_slice(&(len as u32).to_le_bytes());
        frame[4..].copy_from_slice(&crc.to_le_bytes());
        self.out
            .write_all(&frame)
            .and_then(|()| self.out.write_all(&prefix))
            .and_then(|()| self.out.write_all(&self.packed))
            .map_err(|e| TraceError::io(&self.name, e))?;
        self.bytes += 8 + len as u64;
        self.packed.clear();
        self.block_count = 0;
        Ok(())
    }

    fn write_block(&mut self, block: &RawBlock) -> Result<(), TraceError> {
        let payload = format::encode(block);
        debug_assert!(payload.len() <= BLOCK_LEN_MAX as usize);
        let crc = format::block_crc(self.chain, &[&payload]);
        self.chain = crc;
        let mut frame = [0u8; 8];
        frame[..4].copy_from_slice(&(payload.len() as u32).to_le_bytes());
        frame[4..].copy_from_slice(&crc.to_le_bytes());
        self.out
            .write_all(&frame)
            .and_then(|()| self.out.write_all(&payload))
            .map_err(|e| TraceError::io(&self.name, e))?;
        self.bytes += 8 + payload.len() as u64;
        Ok(())
    }

    /// Write the last events and the footer; returns the underlying writer.
    pub fn finish(mut self, final_hash: u64, ending: Ending) -> Result<W, TraceError> {
        assert!(
            !self.checkpoint_due,
            "a checkpoint is due before the footer"
        );
        self.flush_block()?;
        let footer = Footer {
            events: self.events,
            end_time_us: self.last_time_us,
            final_hash,
            ending,
        };
        self.write_block(&RawBlock::Footer(footer))?;
        self.out
            .flush()
            .map_err(|e| TraceError::io(&self.name, e))?;
        Ok(self.out)
    }
}

/// The header of a trace of `world`'s run.
pub fn header_for(world: &World, checkpoint_every: u64) -> Header {
    let p = &world.params;
    Header {
        producer: format!("swarmlb {}", env!("CARGO_PKG_VERSION")),
        seed: p.seed(),
        scenario_toml: p.scenario.to_toml(),
        max_servers: p.layout.max_servers,
        n_users: p.layout.n_users,
        checkpoint_every,
    }
}

/// A file written as `PATH.partial` and renamed to `PATH` only when it is complete, then
/// made durable (the file, then its directory, synced). A file under its final name is
/// therefore always whole; a crash leaves a `.partial` with what was written.
pub struct PartialFile {
    out: BufWriter<File>,
    path: PathBuf,
    partial: PathBuf,
}

impl PartialFile {
    /// Create `path.partial`. Fails at once on an unwritable place, before any work.
    pub fn create(path: &Path) -> Result<PartialFile, TraceError> {
        if path.is_dir() {
            let e = std::io::Error::new(std::io::ErrorKind::IsADirectory, "is a directory");
            return Err(TraceError::io(path, e));
        }
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        let file = File::create(&partial).map_err(|e| TraceError::io(&partial, e))?;
        Ok(PartialFile {
            out: BufWriter::with_capacity(1 << 16, file),
            path: path.to_path_buf(),
            partial,
        })
    }

    /// The `.partial` path being written.
    pub fn partial_path(&self) -> &Path {
        &self.partial
    }

    /// Flush, sync, rename to the final name and sync the directory; returns the size.
    pub fn commit(self) -> Result<u64, TraceError> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| TraceError::io(&self.partial, e.into_error()))?;
        file.sync_all()
            .map_err(|e| TraceError::io(&self.partial, e))?;
        let size = file
            .metadata()
            .map_err(|e| TraceError::io(&self.partial, e))?
            .len();
        drop(file);
        std::fs::rename(&self.partial, &self.path).map_err(|e| TraceError::io(&self.path, e))?;
        sync_parent(&self.path)?;
        Ok(size)
    }
}

impl Write for PartialFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Sync the directory that holds `path`, so a rename into it survives a power cut.
pub fn sync_parent(path: &Path) -> Result<(), TraceError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| TraceError::io(dir, e))?;
    Ok(())
}

/// An engine observer that records every event into a writer, with checkpoints, and
/// stops the run on a write error or when `stop` is raised (Ctrl-C).
pub struct Recorder<'a, W: Write> {
    /// The writer.
    pub writer: &'a mut TraceWriter<W>,
    /// Raised from outside to stop the run cleanly.
    pub stop: Option<&'a AtomicBool>,
    /// The first write error, which stopped the run.
    pub error: Option<TraceError>,
}

impl<'a, W: Write> Recorder<'a, W> {
    /// Record into `writer`.
    pub fn new(writer: &'a mut TraceWriter<W>, stop: Option<&'a AtomicBool>) -> Self {
        Recorder {
            writer,
            stop,
            error: None,
        }
    }
}

impl<W: Write> Observer<World> for Recorder<'_, W> {
    fn on_event(&mut self, key: &EventKey, record: &(Kind, u32), world: &World) -> ControlFlow<()> {
        let pushed = self
            .writer
            .push(key.time.0, key.source.0, key.target.0, record.0, record.1);
        let result = pushed.and_then(|()| {
            if self.writer.checkpoint_due() {
                self.writer.checkpoint(Observed::of_world(world).hash())
            } else {
                Ok(())
            }
        });
        if let Err(e) = result {
            self.error = Some(e);
            return ControlFlow::Break(());
        }
        if self.writer.events().is_multiple_of(1024)
            && self.stop.is_some_and(|s| s.load(Ordering::Relaxed))
        {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

/// A recorded run: the runner after its last event (for the summary), the writer's
/// output, and how the trace ended.
pub struct RecordedRun<W> {
    /// The run, stopped where the trace ends.
    pub runner: swarmlb_model::run::Runner,
    /// What the trace was written to, footer included.
    pub out: W,
    /// Complete, or interrupted by `stop` or `on_sample`.
    pub ending: Ending,
}

/// Run `scenario` (with its own `seed`) to its end, recording every event into `out` (`name`
/// appears in errors): the one recording loop behind `swarmlb run --trace`, the benchmark
/// and in-memory branches. Checkpoints come every `checkpoint_every` events (`None`: the
/// default interval for the run's size). The run stops early, and the trace is marked
/// interrupted, when `stop` is raised or `on_sample` breaks.
pub fn record_run<W: Write>(
    scenario: &swarmlb_model::Scenario,
    out: W,
    name: impl Into<PathBuf>,
    checkpoint_every: Option<u64>,
    stop: Option<&AtomicBool>,
    on_sample: impl FnMut(&swarmlb_model::metrics::Sample) -> ControlFlow<()>,
) -> Result<RecordedRun<W>, TraceError> {
    let mut runner = swarmlb_model::run::Runner::new(scenario);
    let every = checkpoint_every
        .unwrap_or_else(|| format::checkpoint_interval(runner.sim.model.params.layout.n_agents()));
    let header = header_for(&runner.sim.model, every);
    let mut writer = TraceWriter::new(out, name, &header)?;
    let mut recorder = Recorder::new(&mut writer, stop);
    runner.run_to_end(&mut recorder, on_sample);
    if let Some(e) = recorder.error.take() {
        return Err(e);
    }
    let ending = if runner.stopped_early() {
        Ending::Interrupted
    } else {
        Ending::Complete
    };
    let hash = Observed::of_world(&runner.sim.model).hash();
    let out = writer.finish(hash, ending)?;
    Ok(RecordedRun {
        runner,
        out,
        ending,
    })
}

/// Run `scenario` (with its own `seed`) to its end and return the complete trace bytes (for tests,
/// golden files and in-process branches).
pub fn record_to_vec(
    scenario: &swarmlb_model::Scenario,
    checkpoint_every: u64,
) -> Result<Vec<u8>, TraceError> {
    let no_stop = |_: &swarmlb_model::metrics::Sample| ControlFlow::Continue(());
    record_run(
        scenario,
        Vec::new(),
        "memory",
        Some(checkpoint_every),
        None,
        no_stop,
    )
    .map(|r| r.out)
}

/// Encode `events` (in time order, agent ids inside `header`'s layout) as a complete,
/// valid trace: checkpoints where due and the footer, with the hashes of the folded
/// state. For tests, fuzzing and hand-built traces.
pub fn events_to_vec(
    header: &Header,
    events: &[swarmlb_model::Event],
    ending: Ending,
) -> Result<Vec<u8>, TraceError> {
    let layout = swarmlb_model::Layout {
        max_servers: header.max_servers,
        n_users: header.n_users,
    };
    let mut state = crate::fold::State::new(layout);
    let mut writer = TraceWriter::new(Vec::new(), "memory", header)?;
    for e in events {
        writer.push(e.time.0, e.source.0, e.target.0, e.kind, e.value)?;
        state.apply(e);
        if writer.checkpoint_due() {
            writer.checkpoint(state.observed.hash())?;
        }
    }
    writer.finish(state.observed.hash(), ending)
}
