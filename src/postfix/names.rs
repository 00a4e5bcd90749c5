//! The parameter names Postfix knows, for "unknown parameter, did you mean …".
//!
//! `parameter_names.txt` is the name column of `postconf -d` from Postfix 3.7.11 (Debian 12),
//! 1,043 names, which is postconf(5)'s list for that release plus the per-service names of
//! the stock master.cf. Names added in later releases are not in it, so an unknown name is a
//! warning, not an error, and the message says which release the table is from.

/// The release the table comes from, for messages.
pub const TABLE_RELEASE: &str = "3.7";

const NAMES: &str = include_str!("parameter_names.txt");

/// Per-transport parameters (`<transport>_destination_concurrency_limit`, …) exist for any
/// transport named in master.cf, so a name ending in one of these is never "unknown".
const TRANSPORT_SUFFIXES: &[&str] = &[
    "_delivery_slot_cost",
    "_delivery_slot_discount",
    "_delivery_slot_loan",
    "_destination_concurrency_failed_cohort_limit",
    "_destination_concurrency_limit",
    "_destination_concurrency_negative_feedback",
    "_destination_concurrency_positive_feedback",
    "_destination_rate_delay",
    "_destination_recipient_limit",
    "_extra_recipient_limit",
    "_initial_destination_concurrency",
    "_minimum_delivery_slots",
    "_recipient_limit",
    "_recipient_refill_delay",
    "_recipient_refill_limit",
    "_time_limit",
    "_transport_rate_delay",
];

/// Every name in the table, in its order (alphabetical), for the offline reference.
pub fn all() -> impl Iterator<Item = &'static str> {
    NAMES.lines().filter(|name| !name.is_empty())
}

pub fn is_known(name: &str) -> bool {
    NAMES.lines().any(|known| known == name)
        || TRANSPORT_SUFFIXES
            .iter()
            .any(|suffix| name.ends_with(suffix))
}

/// The closest known name, when it is close enough to be the intended one.
pub fn suggest(name: &str) -> Option<&'static str> {
    // Longer names tolerate more typos; the cap keeps "foo" from matching "bar".
    let limit = (name.len() / 5).clamp(1, 3);
    NAMES
        .lines()
        .filter(|known| known.len().abs_diff(name.len()) <= limit)
        .map(|known| (distance(name, known, limit), known))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, known)| (*d, known.len()))
        .map(|(_, known)| known)
}

/// Edit distance with adjacent swaps (a typo is often two letters swapped), giving up past
/// `limit`. Names are ASCII; anything else simply counts as different.
fn distance(a: &str, b: &str, limit: usize) -> usize {
    let a = a.as_bytes();
    let b = b.as_bytes();
    if a.len() > 200 || b.len() > 200 {
        return usize::MAX;
    }
    let width = b.len() + 1;
    let mut rows = vec![vec![0usize; width]; a.len() + 1];
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        rows[i][0] = i;
        let mut best = rows[i][0];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut value = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                value = value.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = value;
            best = best.min(value);
        }
        if best > limit {
            return usize::MAX;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_relay_parameters() {
        for name in [
            "smtpd_relay_restrictions",
            "smtpd_relay_before_recipient_restrictions",
            "smtpd_recipient_restrictions",
            "relay_domains_reject_code",
            "unknown_relay_recipient_reject_code",
            "mynetworks_style",
            "smtpd_tls_auth_only",
            "smtpd_sasl_auth_enable",
            "soft_bounce",
            "compatibility_level",
            "relay_destination_concurrency_limit",
        ] {
            assert!(is_known(name), "{name}");
        }
        assert!(!is_known("smtpd_relay_restriction"));
    }

    #[test]
    fn suggests_the_intended_name() {
        assert_eq!(
            suggest("smtpd_relay_restriction"),
            Some("smtpd_relay_restrictions")
        );
        assert_eq!(
            suggest("smtpd_sasl_auth_enabled"),
            Some("smtpd_sasl_auth_enable")
        );
        assert_eq!(suggest("mynetwork"), Some("mynetworks"));
        assert_eq!(suggest("mydestiantion"), Some("mydestination"));
        assert_eq!(suggest("completely_unrelated_thing"), None);
    }
}
