//! diff: a trace against itself, and a butterfly branch against its baseline.

use swarmlb_engine::SimTime;
use swarmlb_model::scenario::{Butterfly, Dur};
use swarmlb_trace::diff::{Report, Verdict, diff};

use crate::{reader, record, small};

fn diff_bytes(a: &[u8], b: &[u8]) -> Report {
    diff(|| Ok((reader(a)?, reader(b)?)), None).unwrap()
}

#[test]
fn a_trace_does_not_diverge_from_itself() {
    let a = record(&small(&[]), 1, 1000);
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
    let mut perturbed = base.clone();
    let at = SimTime::from_secs(45);
    perturbed.butterfly = Some(Butterfly {
        at: Dur(at.0),
        user: Some(3),
    });
    let report = diff_bytes(&record(&base, 2, 1000), &record(&perturbed, 2, 1000));
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
    let mut control = base.clone();
    control.butterfly = Some(Butterfly {
        at: Dur(0),
        user: None,
    });
    let report = diff_bytes(&record(&base, 3, 1000), &record(&control, 3, 1000));
    // At t=0 nobody is connected yet, so the perturbation is a no-op
    // apart from its own record, and the runs must agree at every sample.
    assert!(
        report
            .points
            .iter()
            .all(|p| p.micro == 0 && p.macro_l1 == 0),
        "{report}"
    );
}
