//! Random fault moments that a failing run can repeat: the seed is printed,
//! and `ORDERFLOW_FAULT_SEED` sets it.

use std::time::Duration;

/// A small pseudo-random source (splitmix64).
pub struct Dice(u64);

impl Dice {
    /// Seeded by `ORDERFLOW_FAULT_SEED`, else by the clock; prints the seed.
    pub fn from_env_or_clock() -> Self {
        let seed = std::env::var("ORDERFLOW_FAULT_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |since| since.as_nanos() as u64)
            });
        eprintln!("fault moments from seed {seed} (ORDERFLOW_FAULT_SEED={seed} repeats them)");
        Self(seed)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        low + z % (high - low + 1)
    }

    /// A duration in `low..=high` milliseconds.
    pub fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(self.between(low, high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_stay_in_range_and_a_seed_repeats_them() {
        let (mut one, mut two) = (Dice(7), Dice(7));
        for _ in 0..1000 {
            let number = one.between(3, 9);
            assert!((3..=9).contains(&number));
            assert_eq!(number, two.between(3, 9));
        }
    }
}
