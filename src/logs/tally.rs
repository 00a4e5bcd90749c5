//! A counter of strings (clients, senders, domains) whose memory stays bounded however many
//! distinct values a log holds.
//!
//! Counts are exact while fewer than [`Tally::CAP`] distinct values have been seen. Past that,
//! the rarer half is dropped each time the map fills (a value seen again later starts from
//! zero), and the tally says it is approximate: a value that was dropped may be undercounted,
//! by at most the count it had when dropped, so the leaders of a skewed distribution (the
//! clients that matter in a flood) are still right while a long tail of one-off values cannot
//! grow the map.

use std::collections::HashMap;

use serde::Serialize;

/// A value and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub value: String,
    pub count: u64,
}

#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// foldhash: several times faster than SipHash on short keys, and seeded per process, so
    /// a log's author cannot choose values that collide (relaydoc's own maps are bounded too).
    counts: HashMap<Box<[u8]>, u64, foldhash::fast::RandomState>,
    /// Set once values were dropped: the counts are then lower bounds.
    approximate: bool,
}

impl Tally {
    /// The most distinct values kept at once.
    pub const CAP: usize = 4096;
    /// Values longer than this are cut (a hostile log could hold megabyte-long "addresses").
    const MAX_VALUE_BYTES: usize = 256;

    pub fn add(&mut self, value: &[u8]) {
        let value = &value[..value.len().min(Self::MAX_VALUE_BYTES)];
        // Look up before inserting, so a value already counted costs no allocation.
        if let Some(count) = self.counts.get_mut(value) {
            *count += 1;
            return;
        }
        if self.counts.len() >= Self::CAP {
            self.prune();
        }
        self.counts.insert(value.into(), 1);
    }

    /// Keeps the more frequent half.
    fn prune(&mut self) {
        let mut counts: Vec<u64> = self.counts.values().copied().collect();
        let middle = counts.len() / 2;
        let (_, threshold, _) = counts.select_nth_unstable_by(middle, |a, b| b.cmp(a));
        let threshold = *threshold;
        let mut kept = 0usize;
        // Ties at the threshold are kept only while there is room for them.
        self.counts.retain(|_, count| {
            let keep = *count > threshold || (*count == threshold && kept < middle);
            kept += usize::from(keep);
            keep
        });
        self.approximate = true;
    }

    pub fn is_approximate(&self) -> bool {
        self.approximate
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// The `n` most frequent values, most frequent first (ties by value, so output is stable).
    pub fn top(&self, n: usize) -> Vec<Count> {
        let mut all: Vec<(&[u8], u64)> = self.counts.iter().map(|(k, v)| (&**k, *v)).collect();
        all.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        all.into_iter()
            .take(n)
            .map(|(value, count)| Count {
                value: crate::sanitize::single_line(&String::from_utf8_lossy(value)),
                count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_exact_below_the_cap() {
        let mut tally = Tally::default();
        for _ in 0..3 {
            tally.add(b"a");
        }
        tally.add(b"b");
        let top = tally.top(5);
        assert_eq!(
            top[0],
            Count {
                value: "a".into(),
                count: 3
            }
        );
        assert_eq!(
            top[1],
            Count {
                value: "b".into(),
                count: 1
            }
        );
        assert!(!tally.is_approximate());
    }

    #[test]
    fn a_long_tail_keeps_the_map_bounded_and_the_leader_right() {
        let mut tally = Tally::default();
        for i in 0..100_000u32 {
            tally.add(format!("tail-{i}").as_bytes());
            if i % 10 == 0 {
                tally.add(b"flood");
            }
        }
        assert!(tally.counts.len() <= Tally::CAP);
        assert!(tally.is_approximate());
        let top = tally.top(1);
        assert_eq!(top[0].value, "flood");
        assert_eq!(top[0].count, 10_000);
    }

    #[test]
    fn values_are_cut_and_cleaned_for_display() {
        let mut tally = Tally::default();
        tally.add(&[b'x'; 1000]);
        tally.add(b"evil\x1b[31m");
        let top = tally.top(2);
        assert!(
            top.iter()
                .all(|c| c.value.len() <= 256 && !c.value.contains('\u{1b}'))
        );
    }
}
