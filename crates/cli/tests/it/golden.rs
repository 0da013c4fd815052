//! The golden traces in traces/golden are reproduced byte for byte by a fresh process.

use crate::{repo, scratch, swarmlb, swarmlb_in};

#[test]
fn regenerating_golden_traces_gives_identical_bytes() {
    let dir = scratch("golden");
    let o = swarmlb_in(
        &dir,
        &[
            "run",
            "seed-classic",
            "--seed",
            "1",
            "--duration",
            "1m",
            "--trace",
            "seed-classic.swlb",
        ],
    );
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let o = swarmlb_in(&dir, &crate::golden_butterfly("butterfly"));
    assert!(o.status.success(), "{}", crate::stderr(&o));
    let golden = repo().join("traces/golden");
    for file in [
        "seed-classic.swlb",
        "butterfly/baseline.swlb",
        "butterfly/perturbed.swlb",
        "butterfly/divergence.csv",
    ] {
        let fresh = std::fs::read(dir.join(file)).unwrap();
        if std::env::var_os("SWARMLB_UPDATE_GOLDEN").is_some() {
            // This test owns the golden files: it regenerates them on request, never by hand.
            std::fs::create_dir_all(golden.join(file).parent().unwrap()).unwrap();
            std::fs::write(golden.join(file), &fresh).unwrap();
            if file == "seed-classic.swlb" {
                let corpus = repo().join("fuzz/corpus/trace_reader/golden-seed-classic");
                std::fs::write(corpus, &fresh).unwrap();
            }
            continue;
        }
        let stored = std::fs::read(golden.join(file)).unwrap();
        assert!(
            fresh == stored,
            "{file} differs from traces/golden; if the change is intended, regenerate with \
             SWARMLB_UPDATE_GOLDEN=1 cargo test -p swarmlb-cli golden (see traces/README.md)"
        );
    }
}

#[test]
fn every_golden_trace_replays_identically() {
    for file in [
        "traces/golden/seed-classic.swlb",
        "traces/golden/butterfly/baseline.swlb",
        "traces/golden/butterfly/perturbed.swlb",
    ] {
        let o = swarmlb(&["replay", file]);
        assert!(o.status.success(), "{file}: {}", crate::stderr(&o));
        assert!(
            crate::stdout(&o).starts_with("replay identical: "),
            "{file}"
        );
    }
}
