//! `seed-classic` measured against the original model's published behaviour (issue 25):
//! the figures README's seed-classic table and the scenario file's comments quote, over
//! many seeds, each a mean with its 95% t interval and the range. The fidelity test
//! (`tests/it/fidelity.rs`) checks bounds on the same seeds; this prints the figures:
//!
//! ```sh
//! cargo run --release -p swarmlb-model --example fidelity -- 40 [--per-seed]
//! ```

use std::ops::ControlFlow;

use swarmlb_model::Kind;
use swarmlb_model::Scenario;
use swarmlb_model::metrics::Sample;
use swarmlb_model::run::Runner;

/// One seed of `seed-classic` (30 simulated minutes), reduced to the figures compared.
#[derive(Debug, Default)]
struct Steady {
    /// First sample with at most 2 servers, in seconds.
    two_after_s: Option<f64>,
    /// Changes of the server count between consecutive samples after 100 s, per 1,000 s.
    changes_per_1000: f64,
    /// Some sample after 100 s has 1 server.
    dips_to_one: bool,
    /// Every sample after 10 min has 2 servers.
    two_throughout: bool,
    /// Users alive, mean over the samples after 10 min.
    users_alive: f64,
    /// Users held over capacity, mean over the samples after 100 s.
    utilization: f64,
    /// Users granted by pulls, per 1,000 s.
    pulled_per_1000: f64,
    /// Refused connections.
    refusals: u64,
    /// Hand-offs completed, and those in the first 5 s.
    handoffs: u64,
    handoffs_early: u64,
    /// First sample with fewer than 4 servers, in seconds.
    below_four_s: Option<f64>,
    /// After 100 s, the share of running servers holding no user, mean over samples: how
    /// often the original's button (any running server, then one of its users) would
    /// pick an empty server and do nothing.
    empty_host: f64,
    /// After 100 s, the share of running servers holding 9 users (capacity 10), mean over
    /// samples: where a removed user still counted in the load (the original's counter)
    /// would turn away the next request.
    nine_users: f64,
}

fn secs(s: &Sample) -> f64 {
    s.time.as_micros() as f64 / 1e6
}

fn steady(seed: u64) -> Steady {
    let sc = Scenario::builtin("seed-classic").expect("built-in");
    let mut runner = Runner::new(&sc.with_seed(seed));
    let (mut pulled, mut handoffs, mut early) = (0u64, 0u64, 0u64);
    let mut observer = |key: &swarmlb_engine::EventKey, record: &(Kind, u32), _: &_| {
        match record.0 {
            Kind::PullGrant => pulled += u64::from(record.1),
            Kind::HandoffDone => {
                handoffs += 1;
                early += u64::from(key.time.as_micros() < 5_000_000);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    };
    let mut samples = Vec::new();
    let (mut empty, mut nine) = (Vec::new(), Vec::new());
    while let Some(s) = runner.step(&mut observer) {
        if secs(&s) >= 100.0 {
            let world = &runner.sim.model;
            let running: Vec<u32> = world
                .servers
                .iter()
                .filter(|v| v.status.is_running())
                .map(|v| v.load())
                .collect();
            let share = |f: &dyn Fn(u32) -> bool| {
                running.iter().filter(|&&l| f(l)).count() as f64 / running.len().max(1) as f64
            };
            empty.push(share(&|l| l == 0));
            nine.push(share(&|l| l == 9));
        }
        samples.push(s);
    }
    let end = secs(samples.last().expect("samples"));
    let after = |t: f64| samples.iter().filter(move |s| secs(s) >= t);
    let late: Vec<&Sample> = after(100.0).collect();
    let changes = late
        .windows(2)
        .filter(|w| w[0].servers_alive != w[1].servers_alive)
        .count();
    let steady: Vec<&Sample> = after(600.0).collect();
    Steady {
        two_after_s: samples.iter().find(|s| s.servers_alive <= 2).map(secs),
        changes_per_1000: changes as f64 * 1000.0 / (end - 100.0),
        dips_to_one: late.iter().any(|s| s.servers_alive == 1),
        two_throughout: steady.iter().all(|s| s.servers_alive == 2),
        users_alive: mean(
            steady
                .iter()
                .map(|s| f64::from(s.users_connected + s.users_searching)),
        ),
        utilization: mean(late.iter().map(|s| s.utilization)),
        pulled_per_1000: pulled as f64 * 1000.0 / end,
        refusals: samples.last().expect("samples").rejections,
        handoffs,
        handoffs_early: early,
        below_four_s: samples.iter().find(|s| s.servers_alive < 4).map(secs),
        empty_host: mean(empty.into_iter()),
        nine_users: mean(nine.into_iter()),
    }
}

/// A crowd of 60 at 10 min: the most servers within 30 s, and how long after the crowd
/// arrived the system is back to 2 servers.
fn crowd(seed: u64) -> (u32, Option<f64>) {
    let overrides = [
        r#"users.flash={at="10m", extra=60, duration="1s"}"#.to_string(),
        "duration=15m".to_string(),
    ];
    let text = swarmlb_model::scenario::BUILTINS
        .iter()
        .find(|(n, _)| *n == "seed-classic")
        .expect("built-in")
        .1;
    let sc = Scenario::parse(text, "seed-classic", &overrides).expect("valid");
    let mut runner = Runner::new(&sc.with_seed(seed));
    let mut samples = Vec::new();
    runner.run_to_end(&mut (), |s| {
        samples.push(s.clone());
        ControlFlow::Continue(())
    });
    let window = samples.iter().filter(|s| (600.0..630.0).contains(&secs(s)));
    let peak = window.map(|s| s.servers_alive).max().unwrap_or(0);
    let back = samples
        .iter()
        .filter(|s| secs(s) > 600.0)
        .skip_while(|s| s.servers_alive <= 2)
        .find(|s| s.servers_alive <= 2)
        .map(|s| secs(s) - 600.0);
    (peak, back)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0u32), |(s, n), v| (s + v, n + 1));
    sum / f64::from(n)
}

/// Student's t quantile for a two-sided 95% interval, `df` degrees of freedom (the table's
/// values to 3 decimals; 40 seeds have 39).
fn t95(df: usize) -> f64 {
    const TABLE: [(usize, f64); 9] = [
        (1, 12.706),
        (2, 4.303),
        (4, 2.776),
        (9, 2.262),
        (19, 2.093),
        (29, 2.045),
        (39, 2.023),
        (59, 2.001),
        (usize::MAX, 1.960),
    ];
    TABLE
        .iter()
        .find(|&&(d, _)| df <= d)
        .map_or(1.960, |&(_, t)| t)
}

/// `name: mean [low, high]; min to max (n = ..)`.
fn summary(name: &str, values: &[f64], digits: usize) -> String {
    let n = values.len();
    let m = mean(values.iter().copied());
    let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n as f64 - 1.0).max(1.0);
    let half = t95(n.saturating_sub(1)) * (var / n as f64).sqrt();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!(
        "{name}: {m:.digits$} [{:.digits$}, {:.digits$}]; {lo:.digits$} to {hi:.digits$} (n = {n})",
        m - half,
        m + half
    )
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let runs: Vec<Steady> = (1..=n).map(steady).collect();
    if std::env::args().nth(2).as_deref() == Some("--per-seed") {
        for (seed, r) in (1..=n).zip(&runs) {
            println!("seed {seed}: {r:?}");
        }
    }
    let crowds: Vec<(u32, Option<f64>)> = (1..=n).map(crowd).collect();
    let col = |f: &dyn Fn(&Steady) -> f64| runs.iter().map(f).collect::<Vec<f64>>();
    let two: Vec<f64> = runs.iter().filter_map(|r| r.two_after_s).collect();
    println!("seed-classic, seeds 1-{n}, 30 simulated minutes each");
    println!(
        "{} (seeds reaching 2: {})",
        summary("4 servers consolidate to 2 after (s)", &two, 1),
        two.len()
    );
    println!(
        "{}",
        summary(
            "server-count changes per 1,000 s after 100 s",
            &col(&|r| r.changes_per_1000),
            2
        )
    );
    println!(
        "seeds dipping to 1 server after 100 s: {} of {n}",
        runs.iter().filter(|r| r.dips_to_one).count()
    );
    println!(
        "seeds with 2 servers in every sample after 10 min: {} of {n}",
        runs.iter().filter(|r| r.two_throughout).count()
    );
    println!(
        "{}",
        summary(
            "users alive after 10 min, mean per seed",
            &col(&|r| r.users_alive),
            2
        )
    );
    println!(
        "{}",
        summary(
            "utilization after 100 s, mean per seed",
            &col(&|r| r.utilization),
            3
        )
    );
    println!(
        "{}",
        summary("pulled users per 1,000 s", &col(&|r| r.pulled_per_1000), 1)
    );
    println!(
        "refusals: {} in all",
        runs.iter().map(|r| r.refusals).sum::<u64>()
    );
    println!(
        "hand-offs: {} in all, {} in the first 5 s",
        runs.iter().map(|r| r.handoffs).sum::<u64>(),
        runs.iter().map(|r| r.handoffs_early).sum::<u64>()
    );
    let below: Vec<f64> = runs.iter().filter_map(|r| r.below_four_s).collect();
    println!(
        "{}; seeds below 4 servers before 5 s: {}",
        summary("first below 4 servers (s)", &below, 1),
        below.iter().filter(|&&t| t < 5.0).count()
    );
    println!(
        "{}",
        summary(
            "share of running servers empty after 100 s (the original's button does nothing)",
            &col(&|r| r.empty_host),
            4
        )
    );
    println!(
        "{}",
        summary(
            "share of running servers at 9 of 10 users after 100 s",
            &col(&|r| r.nine_users),
            4
        )
    );
    let peaks: Vec<f64> = crowds.iter().map(|c| f64::from(c.0)).collect();
    println!(
        "{}",
        summary("a crowd of 60 at 10 min: servers at the peak", &peaks, 1)
    );
    let back: Vec<f64> = crowds.iter().filter_map(|c| c.1).collect();
    println!(
        "{} (seeds back: {})",
        summary("back to 2 servers after the crowd arrived (s)", &back, 1),
        back.len()
    );
}
