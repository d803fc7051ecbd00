//! Exponential backoff for retrying transient failures.

use std::time::Duration;

/// Waits 100 ms, 200 ms, 400 ms, … up to 5 s between attempts.
#[derive(Debug, Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// How long to wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let wait = Duration::from_millis(100) * 2u32.saturating_pow(self.failures.min(6));
        self.failures = self.failures.saturating_add(1);
        wait.min(Duration::from_secs(5))
    }

    /// After a success: start from the shortest wait again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_cap_and_reset() {
        let mut backoff = Backoff::default();
        let waits: Vec<_> = (0..8).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_wait().as_millis(), 100);
    }
}
