//! Replication statistics: mean, standard deviation and 95% confidence intervals —
//! Student t for means, Wilson score for proportions.
//!
//! What the interval means: if the experiment were repeated with fresh seeds many times,
//! about 95% of the intervals computed this way would contain the true mean (or
//! probability) of the metric over all seeds. It says how well the seeds pin down the
//! figure, not how much single runs vary (that is the standard deviation).

/// The standard normal quantile for a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// t(0.975, df) for df = 1..=30, from the standard tables (R's `qt(0.975, df)`).
const T_975: [f64; 30] = [
    12.706_204_736,
    4.302_652_730,
    3.182_446_305,
    2.776_445_105,
    2.570_581_836,
    2.446_911_851,
    2.364_624_252,
    2.306_004_135,
    2.262_157_163,
    2.228_138_852,
    2.200_985_160,
    2.178_812_830,
    2.160_368_656,
    2.144_786_688,
    2.131_449_546,
    2.119_905_299,
    2.109_815_578,
    2.100_922_040,
    2.093_024_054,
    2.085_963_447,
    2.079_613_845,
    2.073_873_068,
    2.068_657_610,
    2.063_898_562,
    2.059_538_553,
    2.055_529_439,
    2.051_830_516,
    2.048_407_142,
    2.045_229_642,
    2.042_272_456,
];

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom (df ≥ 1):
/// the table up to 30, then the Cornish–Fisher expansion around the normal quantile
/// (Abramowitz & Stegun 26.7.5), which is within 3e-8 of the exact value from df = 31 on.
pub fn t_975(df: u64) -> f64 {
    assert!(df >= 1, "a t quantile needs at least one degree of freedom");
    if let Some(&t) = T_975.get(df as usize - 1) {
        return t;
    }
    let z = Z_95;
    let v = df as f64;
    let g1 = (z.powi(3) + z) / 4.0;
    let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
    let g3 = (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / 384.0;
    let g4 = (79.0 * z.powi(9) + 776.0 * z.powi(7) + 1482.0 * z.powi(5)
        - 1920.0 * z.powi(3)
        - 945.0 * z)
        / 92160.0;
    z + g1 / v + g2 / v.powi(2) + g3 / v.powi(3) + g4 / v.powi(4)
}

/// A sample mean with its spread and 95% Student t interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanCi {
    /// Number of values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1 in the denominator); `None` below two values.
    pub sd: Option<f64>,
    /// The 95% interval of the mean, `None` below two values.
    pub ci: Option<(f64, f64)>,
}

/// Mean, standard deviation and 95% t interval of `values` (at least one).
pub fn mean_ci(values: &[f64]) -> MeanCi {
    assert!(!values.is_empty(), "statistics of no values");
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi {
            n,
            mean,
            sd: None,
            ci: None,
        };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    let half = t_975(n as u64 - 1) * sd / (n as f64).sqrt();
    MeanCi {
        n,
        mean,
        sd: Some(sd),
        ci: Some((mean - half, mean + half)),
    }
}

/// The 95% Wilson score interval of a proportion of `k` successes in `n` trials (n ≥ 1).
/// Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    assert!(n >= 1, "a proportion of no trials");
    assert!(k <= n, "more successes than trials");
    // At 0 and n the bound is exactly 0 or 1; the formula reaches it only up to rounding.
    let (all, none) = (k == n, k == 0);
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let low = if none { 0.0 } else { (centre - half).max(0.0) };
    let high = if all { 1.0 } else { (centre + half).min(1.0) };
    (low, high)
}

/// `value` with `digits` decimals, without the sign of a value that rounds to zero.
pub fn fixed(value: f64, digits: usize) -> String {
    let text = format!("{value:.digits$}");
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// `value` with `digits` decimals, or `n/a`.
pub fn opt(value: Option<f64>, digits: usize) -> String {
    value.map_or("n/a".into(), |v| fixed(v, digits))
}

impl MeanCi {
    /// `mean [low, high]` with `digits` decimals (just the mean for one value).
    pub fn text(&self, digits: usize) -> String {
        match self.ci {
            Some((lo, hi)) => format!(
                "{} [{}, {}]",
                fixed(self.mean, digits),
                fixed(lo, digits),
                fixed(hi, digits)
            ),
            None => fixed(self.mean, digits),
        }
    }

    /// The CSV fields `n,mean,sd,ci95_low,ci95_high`.
    pub fn csv(&self, digits: usize) -> String {
        format!(
            "{},{},{},{},{}",
            self.n,
            fixed(self.mean, digits),
            opt(self.sd, digits),
            opt(self.ci.map(|c| c.0), digits),
            opt(self.ci.map(|c| c.1), digits)
        )
    }
}

/// The CSV header matching [`MeanCi::csv`].
pub const MEAN_CI_COLUMNS: &str = "n,mean,sd,ci95_low,ci95_high";

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Known values of qt(0.975, df).
        for (df, t) in [
            (1, 12.7062),
            (2, 4.3027),
            (5, 2.5706),
            (10, 2.2281),
            (30, 2.0423),
            (31, 2.0395),
            (40, 2.0211),
            (60, 2.0003),
            (120, 1.9799),
            (1000, 1.9623),
        ] {
            assert!(close(t_975(df), t, 1e-4), "df {df}: {} vs {t}", t_975(df));
        }
        // The expansion joins the table without a step.
        let expansion_at_30 = {
            let z = Z_95;
            let g1 = (z.powi(3) + z) / 4.0;
            let g2 = (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / 96.0;
            z + g1 / 30.0 + g2 / 900.0
        };
        assert!(close(expansion_at_30, T_975[29], 1e-4));
        assert!(t_975(1_000_000) > Z_95 && close(t_975(1_000_000), Z_95, 1e-5));
        for df in 1..200 {
            assert!(t_975(df + 1) < t_975(df), "decreasing at {df}");
        }
    }

    #[test]
    fn mean_ci_known_answer() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sd sqrt(32/7), t(7) = 2.3646.
        let s = mean_ci(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(s.n, 8);
        assert!(close(s.mean, 5.0, 1e-12));
        let sd = (32.0_f64 / 7.0).sqrt();
        assert!(close(s.sd.unwrap(), sd, 1e-12));
        let half = 2.364_624_252 * sd / 8.0_f64.sqrt();
        let (lo, hi) = s.ci.unwrap();
        assert!(close(lo, 5.0 - half, 1e-9) && close(hi, 5.0 + half, 1e-9));
        assert!(close(lo, 3.2125, 1e-3), "{lo}");
        // One value: a mean, no spread, no interval.
        let one = mean_ci(&[3.0]);
        assert_eq!((one.sd, one.ci), (None, None));
        assert_eq!(one.text(1), "3.0");
        assert_eq!(one.csv(1), "1,3.0,n/a,n/a,n/a");
        // Identical values: a zero-width interval.
        assert_eq!(mean_ci(&[2.0, 2.0]).ci, Some((2.0, 2.0)));
        assert_eq!(mean_ci(&[1.0, 3.0]).text(2), "2.00 [-10.71, 14.71]");
        assert_eq!(fixed(-0.004, 2), "0.00");
        assert_eq!(fixed(-0.006, 2), "-0.01");
    }

    #[test]
    fn wilson_known_answers() {
        let (lo, hi) = wilson(4, 12);
        assert!(
            close(lo, 0.1381, 1e-3) && close(hi, 0.6094, 1e-3),
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.2775, 1e-3), "{hi}");
        let (lo, hi) = wilson(10, 10);
        assert!(close(lo, 0.7225, 1e-3), "{lo}");
        assert_eq!(hi, 1.0);
        let (lo, hi) = wilson(50, 100);
        assert!(
            close(lo, 0.4038, 1e-3) && close(hi, 0.5962, 1e-3),
            "{lo} {hi}"
        );
    }
}
