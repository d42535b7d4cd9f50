//! Reconnection delays.

use std::time::Duration;

/// A reconnection schedule. `next_delay` gives the wait before attempt 1, 2, ...; `reset` after a success.
#[derive(Clone, Debug, PartialEq)]
pub struct Backoff {
    kind: Kind,
    attempt: u32,
    current: Duration,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    /// `step`, `2 × step`, `3 × step`, ... up to `max`.
    Linear { step: Duration, max: Duration },
    /// `base`, `2 × base`, `4 × base`, ... up to `max`.
    Exponential { base: Duration, max: Duration },
}

impl Backoff {
    pub fn linear(step: Duration, max: Duration) -> Self {
        Backoff {
            kind: Kind::Linear { step, max },
            attempt: 0,
            current: Duration::ZERO,
        }
    }

    pub fn exponential(base: Duration, max: Duration) -> Self {
        Backoff {
            kind: Kind::Exponential { base, max },
            attempt: 0,
            current: Duration::ZERO,
        }
    }

    /// The delay before the next attempt (and counts the attempt).
    pub fn next_delay(&mut self) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        self.current = match self.kind {
            Kind::Linear { step, max } => step.saturating_mul(self.attempt).min(max),
            Kind::Exponential { base, max } => {
                // 2^31 × base overflows any useful ceiling; stop doubling long before.
                let factor = 1u32 << (self.attempt - 1).min(30);
                base.saturating_mul(factor).min(max)
            }
        };
        self.current
    }

    /// The last delay given (zero after a reset).
    pub fn current(&self) -> Duration {
        self.current
    }

    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
        self.current = Duration::ZERO;
    }
}

/// X's documented reconnection schedules for the filtered stream
/// (docs: x-api/fundamentals/handling-disconnections, "Reconnecting"):
/// network errors back off linearly by 250 ms up to 16 s; HTTP errors exponentially from 5 s up to 320 s;
/// HTTP 429 exponentially from 1 minute.
#[derive(Clone, Debug, PartialEq)]
pub struct XBackoff {
    pub network: Backoff,
    pub http: Backoff,
    pub rate_limit: Backoff,
}

impl XBackoff {
    pub fn documented() -> Self {
        XBackoff {
            network: Backoff::linear(Duration::from_millis(250), Duration::from_secs(16)),
            http: Backoff::exponential(Duration::from_secs(5), Duration::from_secs(320)),
            rate_limit: Backoff::exponential(Duration::from_secs(60), Duration::from_secs(960)),
        }
    }

    pub fn reset(&mut self) {
        self.network.reset();
        self.http.reset();
        self.rate_limit.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(b: &mut Backoff, n: usize) -> Vec<f64> {
        (0..n).map(|_| b.next_delay().as_secs_f64()).collect()
    }

    #[test]
    fn x_network_schedule_is_linear_250ms_to_16s() {
        let mut b = XBackoff::documented().network;
        let got = schedule(&mut b, 66);
        assert_eq!(got[..4], [0.25, 0.5, 0.75, 1.0]);
        assert_eq!(got[63], 16.0);
        assert_eq!(got[64], 16.0);
        assert_eq!(got[62], 15.75);
    }

    #[test]
    fn x_http_schedule_is_exponential_5s_to_320s() {
        let mut b = XBackoff::documented().http;
        assert_eq!(
            schedule(&mut b, 9),
            [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 320.0, 320.0]
        );
        b.reset();
        assert_eq!(b.next_delay(), Duration::from_secs(5));
    }

    #[test]
    fn x_rate_limit_schedule_doubles_from_60s() {
        let mut b = XBackoff::documented().rate_limit;
        assert_eq!(
            schedule(&mut b, 6),
            [60.0, 120.0, 240.0, 480.0, 960.0, 960.0]
        );
    }

    #[test]
    fn no_overflow_after_many_attempts() {
        let mut b = Backoff::exponential(Duration::from_secs(5), Duration::from_secs(320));
        for _ in 0..1000 {
            b.next_delay();
        }
        assert_eq!(b.current(), Duration::from_secs(320));
    }
}
