use swarmlb_engine::{agent_rng, keyed_rng};

fn draws(seed: u64, agent: u64) -> Vec<u64> {
    let mut r = agent_rng(seed, agent);
    (0..8).map(|_| r.below(1 << 40)).collect()
}

#[test]
fn streams_are_reproducible_and_distinct() {
    assert_eq!(draws(1, 5), draws(1, 5));
    assert_ne!(draws(1, 5), draws(1, 6));
    assert_ne!(draws(1, 5), draws(2, 5));
}

#[test]
fn keyed_draws_do_not_depend_on_other_draws() {
    let mut a = keyed_rng(3, 7, &[42, 1]);
    let _ = keyed_rng(3, 7, &[41, 1]).below(10); // an unrelated decision
    let mut b = keyed_rng(3, 7, &[42, 1]);
    assert_eq!(a.below(1 << 40), b.below(1 << 40));
    assert_ne!(
        keyed_rng(3, 7, &[1]).below(1 << 40),
        keyed_rng(3, 8, &[1]).below(1 << 40)
    );
}

#[test]
fn exponential_mean_is_close() {
    let mut r = agent_rng(9, 0);
    let n = 100_000u64;
    let sum: u64 = (0..n).map(|_| r.exponential(1_000)).sum();
    let mean = sum as f64 / n as f64;
    assert!((mean - 1_000.0).abs() < 15.0, "mean {mean}");
}

#[test]
fn chance_ppm_is_exact_at_the_ends() {
    let mut r = agent_rng(9, 1);
    assert!((0..1000).all(|_| !r.chance_ppm(0)));
    assert!((0..1000).all(|_| r.chance_ppm(1_000_000)));
}
