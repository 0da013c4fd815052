//! diff: a trace against itself, and a butterfly branch against its baseline.

use swarmlb_engine::SimTime;
use swarmlb_model::scenario::Dur;
use swarmlb_trace::diff::{Report, Verdict, diff};

use crate::{reader, record, small};

fn diff_bytes(a: &[u8], b: &[u8]) -> Report {
    diff(|| Ok((reader(a)?, reader(b)?)), None).unwrap()
}

#[test]
fn a_trace_does_not_diverge_from_itself() {
    let a = record(&small(&[]), 1, 1024);
    let report = diff_bytes(&a, &a);
    assert_eq!(report.first, None);
    assert_eq!(report.verdict, Verdict::Identical);
    assert!(
        report
            .points
            .iter()
            .all(|p| p.micro == 0 && p.macro_l1 == 0)
    );
    assert_eq!(report.cascade_size, 0);
}

#[test]
fn butterfly_diverges_at_its_time_and_involves_the_user() {
    let base = small(&[]);
    let at = SimTime::from_secs(45);
    let perturbed = base.perturbed_at(Dur::from(at), Some(3));
    let report = diff_bytes(&record(&base, 2, 1024), &record(&perturbed, 2, 1024));
    let first = report.first.clone().expect("a divergence");
    assert!(first.time >= at, "diverged at {} before {at}", first.time);
    let user = report.layout.user(3);
    assert!(first.agents(&report.layout).contains(&user), "{first:?}");
    assert_ne!(report.verdict, Verdict::Identical);
    assert!(report.cascade_size >= 1);
}

#[test]
fn a_perturbation_of_a_disconnected_user_changes_nothing_it_need_not() {
    // Control: the perturbation agent fires with no victim; nobody else's draws move.
    let base = small(&[]);
    let control = base.perturbed_at(Dur(0), None);
    let report = diff_bytes(&record(&base, 3, 1024), &record(&control, 3, 1024));
    // At t=0 nobody is connected yet, so the perturbation is a no-op
    // apart from its own record, and the runs must agree at every sample.
    assert!(
        report
            .points
            .iter()
            .all(|p| p.micro == 0 && p.macro_l1 == 0),
        "{report}"
    );
    // Issue 13: such a run is a no-op, not "dissipated".
    assert_eq!(report.verdict, Verdict::NoOp, "{report}");
    assert_eq!(report.cascade_size, 0);
}

/// `butterfly.reconnect_after`: the victim backs off for the configured time before its
/// next connect, instead of connecting again at once.
#[test]
fn a_configured_victim_waits_before_reconnecting() {
    use swarmlb_model::Kind;
    use swarmlb_trace::fold::Cursor;
    let victim_events = |overrides: &[&str]| {
        // The victim is drawn among the connected users (the same one in both variants:
        // the perturbation draws from its own stream).
        let branch = small(overrides).perturbed_at(Dur(SimTime::from_secs(45).0), None);
        let bytes = record(&branch, 2, 1024);
        let mut c = Cursor::new(reader(&bytes).unwrap());
        let mut after = Vec::new();
        let mut user = None;
        while let Some(e) = c.next_event().unwrap() {
            if e.kind == Kind::Butterfly {
                user = Some(reader(&bytes).unwrap().layout().user(e.value));
            }
            let Some(user) = user else { continue };
            // The victim's state changes after the perturbation (replies to its old
            // session, like a late Pong, change nothing).
            let changes = matches!(
                e.kind,
                Kind::Perturbed | Kind::Retry | Kind::Connected | Kind::Rejected
            );
            if e.target == user && e.time >= SimTime::from_secs(45) && changes && after.len() < 2 {
                after.push((e.kind, e.time, e.value));
            }
        }
        after
    };
    let at = SimTime::from_secs(45);
    let at_once = victim_events(&["butterfly.reconnect_after=\"0s\""]);
    assert_eq!(at_once[0].0, Kind::Perturbed);
    assert_ne!(at_once[0].2, swarmlb_model::ids::NONE, "connects at once");
    assert_eq!(at_once[1].0, Kind::Connected);
    assert!(at_once[1].1 < at.plus(1_000_000));
    // seed-classic's victim waits the original model's 10 steps of 1 s.
    let waits = victim_events(&[]);
    assert_eq!(waits[0], (Kind::Perturbed, at, swarmlb_model::ids::NONE));
    assert_eq!((waits[1].0, waits[1].1), (Kind::Retry, at.plus(10_000_000)));
}
