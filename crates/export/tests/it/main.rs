//! Tests of swarmlb-export: the tables agree with the run that made the trace, the
//! filters keep exactly what they say, Parquet files read back to the same rows.

use std::ops::ControlFlow;

use arrow_array::cast::AsArray;
use arrow_array::types::{UInt8Type, UInt32Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use swarmlb_engine::{AgentId, SimTime};
use swarmlb_export::files::ParquetDir;
use swarmlb_export::tables::Table;
use swarmlb_export::{Filter, KindSet, Tables, export_tables};
use swarmlb_model::metrics::Sample;
use swarmlb_model::run::Runner;
use swarmlb_model::{Event, Kind, Scenario};
use swarmlb_trace::TraceReader;
use swarmlb_trace::fold::Cursor;

/// Two simulated minutes of the original model: every table gets rows.
fn scenario() -> Scenario {
    let mut s = Scenario::builtin("seed-classic").unwrap();
    s.duration = swarmlb_model::scenario::Dur(120_000_000);
    s
}

fn trace() -> Vec<u8> {
    swarmlb_trace::write::record_to_vec(&scenario().with_seed(3), 4096).unwrap()
}

fn reader(bytes: &[u8]) -> TraceReader<&[u8]> {
    TraceReader::new(bytes, "memory").unwrap()
}

fn tables(bytes: &[u8], filter: &Filter) -> Tables {
    let mut t = Tables::default();
    export_tables(reader(bytes), filter, &mut t).unwrap();
    t
}

fn all_events(bytes: &[u8]) -> Vec<Event> {
    let mut cursor = Cursor::new(reader(bytes));
    let mut out = Vec::new();
    while let Some(e) = cursor.next_event().unwrap() {
        out.push(e);
    }
    out
}

fn u64s(batches: &[RecordBatch], column: &str) -> Vec<u64> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column)
                .unwrap()
                .as_primitive::<UInt64Type>()
                .values()
                .to_vec()
        })
        .collect()
}

fn u32s(batches: &[RecordBatch], column: &str) -> Vec<u32> {
    batches
        .iter()
        .flat_map(|b| {
            b.column_by_name(column)
                .unwrap()
                .as_primitive::<UInt32Type>()
                .values()
                .to_vec()
        })
        .collect()
}

/// The dictionary strings of a `Dictionary(UInt8, Utf8)` column, row by row.
fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let d = b
            .column_by_name(column)
            .unwrap()
            .as_dictionary::<UInt8Type>();
        let values = d.values().as_string::<i32>();
        for k in d.keys().values() {
            out.push(values.value(*k as usize).to_string());
        }
    }
    out
}

#[test]
fn events_table_is_every_event_in_order() {
    let bytes = trace();
    let events = all_events(&bytes);
    let t = tables(&bytes, &Filter::default());
    assert_eq!(t.rows(Table::Events), events.len());
    assert_eq!(
        u64s(&t.events, "index"),
        (0..events.len() as u64).collect::<Vec<_>>()
    );
    let time: Vec<u64> = events.iter().map(|e| e.time.as_micros()).collect();
    assert_eq!(u64s(&t.events, "time_us"), time);
    let kinds: Vec<String> = events.iter().map(|e| e.kind.name().to_string()).collect();
    assert_eq!(strings(&t.events, "kind"), kinds);
    let categories: Vec<String> = events
        .iter()
        .map(|e| e.kind.category().name().to_string())
        .collect();
    assert_eq!(strings(&t.events, "category"), categories);
    let source: Vec<u32> = events.iter().map(|e| e.source.0).collect();
    let target: Vec<u32> = events.iter().map(|e| e.target.0).collect();
    let value: Vec<u32> = events.iter().map(|e| e.value).collect();
    assert_eq!(u32s(&t.events, "source"), source);
    assert_eq!(u32s(&t.events, "target"), target);
    assert_eq!(u32s(&t.events, "value"), value);
}

/// The run's own samples, to compare the folded ones against.
fn run_samples() -> Vec<Sample> {
    let mut runner = Runner::new(&scenario().with_seed(3));
    let mut samples = Vec::new();
    runner.run_to_end(&mut (), |s| {
        samples.push(s.clone());
        ControlFlow::Continue(())
    });
    samples
}

#[test]
fn server_samples_match_the_runs_samples() {
    let bytes = trace();
    let t = tables(&bytes, &Filter::default());
    let samples = run_samples();
    let time = u64s(&t.servers, "time_us");
    let status = strings(&t.servers, "status");
    let load = u32s(&t.servers, "load");
    let capacity = u32s(&t.servers, "capacity");
    assert!(capacity.iter().all(|&c| c == scenario().servers.capacity));
    let mut times: Vec<u64> = time.clone();
    times.dedup();
    assert_eq!(
        times,
        samples
            .iter()
            .map(|s| s.time.as_micros())
            .collect::<Vec<_>>(),
        "one group of rows per sample time of the run"
    );
    for s in &samples {
        let rows: Vec<usize> = (0..time.len())
            .filter(|&i| time[i] == s.time.as_micros())
            .collect();
        let running: Vec<usize> = rows
            .iter()
            .copied()
            .filter(|&i| matches!(status[i].as_str(), "alive" | "handoff" | "draining"))
            .collect();
        assert_eq!(running.len() as u32, s.servers_alive, "at {}", s.time);
        let load_max = running.iter().map(|&i| load[i]).max().unwrap_or(0);
        assert_eq!(load_max, s.load_max, "at {}", s.time);
    }
}

#[test]
fn user_changes_replay_to_the_final_state() {
    let bytes = trace();
    let t = tables(&bytes, &Filter::default());
    let user = u32s(&t.users, "user");
    let state = strings(&t.users, "state");
    let server: Vec<Option<u32>> = t
        .users
        .iter()
        .flat_map(|b| {
            let a = b
                .column_by_name("server")
                .unwrap()
                .as_primitive::<UInt32Type>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!user.is_empty());
    let mut last = std::collections::BTreeMap::new();
    for i in 0..user.len() {
        if state[i] == "connected" {
            assert!(server[i].is_some(), "a connected user names its server");
        }
        if matches!(state[i].as_str(), "dead" | "backoff") {
            assert_eq!(server[i], None);
        }
        last.insert(user[i], state[i].clone());
    }
    let connected = last.values().filter(|s| *s == "connected").count() as u32;
    assert_eq!(connected, run_samples().last().unwrap().users_connected);
}

#[test]
fn agents_table_names_every_id() {
    let bytes = trace();
    let layout = reader(&bytes).layout();
    let t = tables(&bytes, &Filter::default());
    assert_eq!(t.rows(Table::Agents), layout.n_agents());
    let names: Vec<String> = t.agents[0]
        .column_by_name("name")
        .unwrap()
        .as_string::<i32>()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect();
    for (i, name) in names.iter().enumerate() {
        assert_eq!(*name, layout.agent(AgentId(i as u32)).to_string());
    }
    assert_eq!(&names[..3], ["E", "C", "P"]);
}

#[test]
fn filters_keep_exactly_what_they_say() {
    let bytes = trace();
    let events = all_events(&bytes);
    let layout = reader(&bytes).layout();
    let s1 = layout.server(1);
    let filter = Filter {
        from: SimTime(30_000_000),
        to: SimTime(60_000_000),
        kinds: KindSet::parse("COMM").unwrap(),
        agent: Some(s1),
    };
    let t = tables(&bytes, &filter);
    let expected: Vec<u64> = (0..events.len() as u64)
        .filter(|&i| {
            let e = &events[i as usize];
            e.time >= filter.from
                && e.time <= filter.to
                && e.kind.category() == swarmlb_model::record::Category::Comm
                && (e.source == s1 || e.target == s1)
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(u64s(&t.events, "index"), expected);
    // Samples: only S1, only inside the window (both ends included).
    let servers = u32s(&t.servers, "server");
    let times = u64s(&t.servers, "time_us");
    assert!(servers.iter().all(|&s| s == 1));
    assert_eq!(times.first(), Some(&30_000_000));
    assert_eq!(times.last(), Some(&60_000_000));
    // Changes of users are rows about users: the agent filter on a server keeps none.
    assert_eq!(t.rows(Table::Users), 0);
    // The window alone cuts user changes by time.
    let window = Filter {
        from: SimTime(30_000_000),
        to: SimTime(31_000_000),
        ..Filter::default()
    };
    let t = tables(&bytes, &window);
    let times = u64s(&t.users, "time_us");
    assert!(!times.is_empty());
    assert!(
        times
            .iter()
            .all(|&t| (30_000_000..=31_000_000).contains(&t))
    );
}

#[test]
fn kind_names_and_categories_parse() {
    let kind = KindSet::parse("connectaccept").unwrap();
    assert!(kind.contains(Kind::ConnectAccept));
    assert!(!kind.contains(Kind::ConnectReject));
    // Upper case is the category, the kind's own spelling is the kind.
    let category = KindSet::parse("BUTTERFLY").unwrap();
    let only = KindSet::parse("Butterfly").unwrap();
    let in_category: Vec<Kind> = Kind::ALL
        .iter()
        .copied()
        .filter(|&k| category.contains(k))
        .collect();
    assert!(in_category.contains(&Kind::Butterfly));
    assert_eq!(
        Kind::ALL.iter().filter(|&&k| only.contains(k)).count(),
        1,
        "the kind alone"
    );
    assert!(KindSet::parse("collab").unwrap().contains(Kind::GossipPush));
    let e = KindSet::parse("Nope").unwrap_err();
    assert!(
        e.starts_with("unknown kind \"Nope\"; kinds are UserSpawn"),
        "{e}"
    );
    assert!(Kind::ALL.iter().all(|&k| KindSet::all().contains(k)));
}

#[test]
fn parquet_files_read_back_to_the_same_rows() {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let bytes = trace();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-parquet");
    let _ = std::fs::remove_dir_all(&dir);
    let mut sink = ParquetDir::create(&dir).unwrap();
    export_tables(reader(&bytes), &Filter::default(), &mut sink).unwrap();
    let paths = sink.finish().unwrap();
    assert_eq!(paths.len(), 4);
    let memory = tables(&bytes, &Filter::default());
    for table in Table::ALL {
        let file = std::fs::File::open(dir.join(format!("{}.parquet", table.name()))).unwrap();
        let read: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let concat = |b: &[RecordBatch]| arrow_select_concat(&table.schema(), b);
        assert_eq!(concat(&read), concat(memory.get(table)), "{}", table.name());
    }
    assert!(
        !dir.join("events.parquet.partial").exists(),
        "partial files are renamed"
    );
}

/// Every column of `batches`, as text, whatever the batching and dictionaries.
fn arrow_select_concat(
    schema: &arrow_schema::SchemaRef,
    batches: &[RecordBatch],
) -> Vec<Vec<String>> {
    use arrow_schema::DataType;
    schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Dictionary(..) => strings(batches, f.name()),
            DataType::UInt64 => u64s(batches, f.name()).iter().map(u64::to_string).collect(),
            DataType::UInt32 => batches
                .iter()
                .flat_map(|b| {
                    let a = b
                        .column_by_name(f.name())
                        .unwrap()
                        .as_primitive::<UInt32Type>();
                    (0..a.len())
                        .map(|i| {
                            if a.is_null(i) {
                                "null".into()
                            } else {
                                a.value(i).to_string()
                            }
                        })
                        .collect::<Vec<String>>()
                })
                .collect(),
            DataType::Utf8 => batches
                .iter()
                .flat_map(|b| {
                    b.column_by_name(f.name())
                        .unwrap()
                        .as_string::<i32>()
                        .iter()
                        .map(|s| s.unwrap().to_string())
                        .collect::<Vec<_>>()
                })
                .collect(),
            other => panic!("no comparison for {other}"),
        })
        .collect()
}

#[test]
fn a_truncated_trace_exports_what_it_holds_then_fails() {
    let bytes = trace();
    let cut = &bytes[..bytes.len() * 2 / 3];
    let mut t = Tables::default();
    let result = export_tables(reader(cut), &Filter::default(), &mut t);
    // Every batch before the damage arrived; the error is the reader's, with an offset.
    match result {
        Err(swarmlb_export::ExportError::Trace(e)) => assert!(e.is_damage(), "{e}"),
        other => panic!(
            "expected a damaged-trace error, got {:?}",
            other.map(|_| ())
        ),
    }
}
