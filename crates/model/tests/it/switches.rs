//! Mechanism switches (issue 21): each switch really stops its mechanism, counted by the
//! records of that mechanism (the kinds table's carrier column), and the others go on; names parse, and a wrong name is refused naming the valid ones.

use std::collections::BTreeMap;
use std::ops::ControlFlow;

use swarmlb_engine::{EventKey, SimTime};
use swarmlb_model::run::Runner;
use swarmlb_model::scenario::{Switch, UnknownSwitch};
use swarmlb_model::{Event, Mechanism, Scenario, World};

use crate::scenario;

/// Records of a run by the mechanism that carried them; server starts at time zero (the
/// initial servers') are left out, so scale-out counts only new servers.
fn by_mechanism(scenario: &Scenario, seed: u64) -> BTreeMap<Mechanism, u64> {
    let mut counts = BTreeMap::new();
    let mut runner = Runner::new(&scenario.clone().with_seed(seed));
    let mut observer = |key: &EventKey, record: &(swarmlb_model::Kind, u32), world: &World| {
        let event = Event {
            time: key.time,
            source: key.source,
            target: key.target,
            kind: record.0,
            value: record.1,
        };
        if !(event.kind == swarmlb_model::Kind::ServerStart && event.time == SimTime::ZERO) {
            *counts
                .entry(event.mechanism(&world.params.layout))
                .or_insert(0u64) += 1;
        }
        ControlFlow::Continue(())
    };
    runner.run_to_end(&mut observer, |_| ControlFlow::Continue(()));
    counts
}

/// The hour of `default`, in which every balancing mechanism fires
/// (`default_scenario_fires_every_mechanism`), and the same run with each switch off.
#[test]
fn each_switch_stops_its_mechanism_and_only_it() {
    let base = scenario("default", &[]);
    let with = by_mechanism(&base, 1);
    for switch in Switch::ALL {
        for &m in switch.stops() {
            assert!(
                with.get(&m).copied().unwrap_or(0) > 0,
                "{m} never fires with everything on: {with:?}"
            );
        }
        let without = by_mechanism(&base.without(&[switch]).unwrap(), 1);
        for &m in switch.stops() {
            assert_eq!(
                without.get(&m).copied().unwrap_or(0),
                0,
                "{m} still fires without {switch}: {without:?}"
            );
        }
        // The others are not switched off with it: the servers still balance.
        let others: u64 = without
            .iter()
            .filter(|(m, _)| m.is_balancing() && !switch.stops().contains(m))
            .map(|(_, n)| n)
            .sum();
        assert!(others > 0, "nothing balances without {switch}: {without:?}");
    }
    // All at once: none of them.
    let none = by_mechanism(&base.without(&Switch::ALL).unwrap(), 1);
    for switch in Switch::ALL {
        for m in switch.stops() {
            assert_eq!(none.get(m), None, "{none:?}");
        }
    }
}

/// The original model's variants (classic pull, spread hand-off, scale-out on overflow)
/// are switched off too.
#[test]
fn switches_stop_the_original_models_variants() {
    let base = scenario("seed-classic", &["duration=\"10m\""]);
    let with = by_mechanism(&base, 1);
    let without = by_mechanism(&base.without(&Switch::ALL).unwrap(), 1);
    for switch in Switch::ALL {
        for m in switch.stops() {
            assert_eq!(without.get(m), None, "{m} without all: {without:?}");
        }
    }
    assert!(with.get(&Mechanism::ScaleOut).is_some(), "{with:?}");
    assert!(with.get(&Mechanism::Pull).is_some(), "{with:?}");
}

/// Switching nothing off is the same scenario; the switches set exactly their fields.
#[test]
fn without_sets_the_documented_fields() {
    let base = scenario("default", &[]);
    assert_eq!(base.without(&[]).unwrap(), base);
    let off = base.without(&Switch::ALL).unwrap();
    let s = &off.servers;
    assert_eq!(s.pull, swarmlb_model::scenario::PullStyle::Off);
    assert_eq!(s.handoff, swarmlb_model::scenario::HandoffStyle::Off);
    assert_eq!(s.max_hops, 0);
    assert_eq!(s.overflow, swarmlb_model::scenario::Overflow::Reject);
    assert_eq!(s.scale_out_after, u32::MAX);
    assert!(!s.gossip);
    let mut back = off.clone();
    back.servers = base.servers.clone();
    assert_eq!(back, base, "only server fields change");
    // The switched-off scenario reads back from its canonical TOML.
    let text = off.to_toml();
    assert!(text.contains("gossip = false"), "{text}");
    assert_eq!(Scenario::parse(&text, "off", &[]).unwrap(), off);
    // Gossip on is not written: traces from before the field read the same.
    assert!(
        !base.to_toml().lines().any(|l| l.starts_with("gossip =")),
        "{}",
        base.to_toml()
    );
}

#[test]
fn switch_names_parse_and_wrong_ones_are_refused() {
    assert_eq!(
        Switch::parse_list("pull, handoff").unwrap(),
        vec![Switch::Pull, Switch::Handoff]
    );
    for s in Switch::ALL {
        assert_eq!(s.name().parse::<Switch>().unwrap(), s);
    }
    let e = Switch::parse_list("pull,population").unwrap_err();
    assert_eq!(e, UnknownSwitch::Unknown("population".into()));
    assert_eq!(
        e.to_string(),
        "no mechanism switch \"population\"; the switches are pull, handoff, delegation, scale-out, gossip"
    );
    assert_eq!(
        Switch::parse_list("gossip,gossip").unwrap_err(),
        UnknownSwitch::Twice("gossip".into())
    );
    assert!(Switch::parse_list("").is_err());
}
