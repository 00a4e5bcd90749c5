//! `sessions stats`: what the saved sessions say about the calls — which causes come up most,
//! how long a solution takes, where people give up, which questions are asked most.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{EventKind, Session};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub sessions: usize,
    /// Sessions that reached a conclusion.
    pub finished: usize,
    /// Most frequent first.
    pub causes: Vec<Count>,
    /// From start to the first conclusion, over finished sessions.
    pub median_seconds_to_solution: Option<f64>,
    /// Where unfinished sessions stopped, most frequent first.
    pub ended_without_solution: Vec<Count>,
    /// Nodes by how many sessions passed through them, most visited first.
    pub most_visited: Vec<Count>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub id: String,
    pub count: usize,
}

pub fn compute(sessions: &[Session]) -> Stats {
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stopped_at: BTreeMap<&str, usize> = BTreeMap::new();
    let mut visited: BTreeMap<&str, usize> = BTreeMap::new();
    let mut durations = Vec::new();
    let mut finished = 0;
    for session in sessions {
        if session.status.finished {
            finished += 1;
            let cause = session.status.cause.as_deref().unwrap_or("(hand-off)");
            *causes.entry(cause).or_default() += 1;
        } else {
            *stopped_at.entry(session.status.node.as_str()).or_default() += 1;
        }
        if let Some(at) = session.finished_at() {
            durations.push((at.as_millisecond() - session.started.as_millisecond()) as f64 / 1e3);
        }
        // A node counts once a session, however often Back revisited it; a question asked
        // and then gone back from (or a check since undone) was visited all the same.
        let mut seen: Vec<&str> = session
            .status
            .path
            .iter()
            .map(String::as_str)
            .chain(session.events.iter().filter_map(|event| match &event.what {
                EventKind::Answer { node, .. }
                | EventKind::Back { node }
                | EventKind::Check { node, .. } => Some(node.as_str()),
                _ => None,
            }))
            .filter(|node| !node.is_empty())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        for node in seen {
            *visited.entry(node).or_default() += 1;
        }
    }
    Stats {
        sessions: sessions.len(),
        finished,
        causes: ranked(causes),
        median_seconds_to_solution: median(&mut durations),
        ended_without_solution: ranked(stopped_at),
        most_visited: ranked(visited),
    }
}

fn ranked(counts: BTreeMap<&str, usize>) -> Vec<Count> {
    let mut ranked: Vec<Count> = counts
        .into_iter()
        .map(|(id, count)| Count {
            id: id.to_string(),
            count,
        })
        .collect();
    // Ties stay in id order (the map's), so the output is stable.
    ranked.sort_by_key(|count| std::cmp::Reverse(count.count));
    ranked
}

fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
