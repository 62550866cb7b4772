//! The statistics every figure uses: mean, sample standard deviation, percentiles.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
}

impl Stats {
    pub fn of(values: &[f64]) -> Option<Stats> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        Some(Stats {
            mean: mean(&v),
            median: percentile(&v, 50.0),
            p95: percentile(&v, 95.0),
        })
    }
}

/// Percentile of sorted values, NumPy's default linear interpolation (one implementation for
/// the whole product: the telemetry crate's); NaN for no values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    mobench_telemetry::percentile(sorted, p).unwrap_or(f64::NAN)
}

/// The arithmetic mean; 0 for no values.
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (n − 1), 0 for fewer than two values, as llama-bench reports it.
pub fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    (ss / (v.len() - 1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(percentile(&v, 50.0), 2.5);
        assert!((percentile(&v, 95.0) - 3.85).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        let s = Stats::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.mean, s.median), (2.0, 2.0));
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn sample_sd_divides_by_n_minus_one() {
        assert_eq!(sample_sd(&[5.0]), 0.0);
        assert_eq!(sample_sd(&[1.0, 3.0]), 2f64.sqrt());
        assert_eq!(mean(&[]), 0.0);
    }
}
