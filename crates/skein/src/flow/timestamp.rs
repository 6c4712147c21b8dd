//! Wall-clock times kept with a flow's requests for people and for the
//! runtime that enforces deadlines: when an answer was recorded, when a
//! pending request's deadline passes. Replay never reads them, so they
//! cannot make a flow's code depend on the clock.

use std::num::NonZeroU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A moment in UTC, to the millisecond. Written as RFC 3339
/// (`2026-12-05T20:30:00.125Z`) in store documents and reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Milliseconds since the epoch, plus one: never zero, so an
    /// `Option<Timestamp>` (kept in every log entry) is one word.
    after_epoch: NonZeroU64,
}

impl Timestamp {
    /// The moment `millis` milliseconds after the Unix epoch.
    pub fn from_millis(millis: u64) -> Timestamp {
        Timestamp {
            after_epoch: NonZeroU64::MIN.saturating_add(millis),
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> u64 {
        self.after_epoch.get() - 1
    }

    /// Now, by the system clock (the Unix epoch if the clock is before it).
    pub fn now() -> Timestamp {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp::from_millis(u64::try_from(since.as_millis()).unwrap_or(u64::MAX))
    }

    /// `seconds` later (saturating; a negative or non-finite span adds nothing).
    pub fn after(self, seconds: f64) -> Timestamp {
        let ms = if seconds.is_finite() && seconds > 0.0 {
            (seconds * 1000.0).min(u64::MAX as f64) as u64
        } else {
            0
        };
        Timestamp::from_millis(self.millis().saturating_add(ms))
    }

    fn system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.millis())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            humantime::format_rfc3339_millis(self.system_time())
        )
    }
}

impl std::str::FromStr for Timestamp {
    type Err = String;

    /// An RFC 3339 time in UTC (`Z`), as [`Timestamp`]'s `Display` writes it.
    fn from_str(text: &str) -> Result<Timestamp, String> {
        let time = humantime::parse_rfc3339_weak(text)
            .map_err(|e| format!("`{text}` is not an RFC 3339 time in UTC: {e}"))?;
        let since = time
            .duration_since(UNIX_EPOCH)
            .map_err(|_| format!("`{text}` is before 1970"))?;
        Ok(Timestamp::from_millis(
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX),
        ))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn a_timestamp_reads_back_what_it_writes() {
        let t = Timestamp::from_millis(1_796_502_600_125);
        assert_eq!(t.to_string(), "2026-12-05T20:30:00.125Z");
        assert_eq!("2026-12-05T20:30:00.125Z".parse::<Timestamp>(), Ok(t));
        assert_eq!(t.after(1.5).millis(), 1_796_502_601_625);
        assert_eq!(t.after(-3.0), t);
        assert!("yesterday".parse::<Timestamp>().is_err());
        assert_eq!(Timestamp::from_millis(0).millis(), 0);
        assert_eq!(std::mem::size_of::<Option<Timestamp>>(), 8);
    }
}
