//! A bounded window of recently produced event keys.

use std::collections::{HashSet, VecDeque};

use triage_model::RawEvent;

/// Remembers the last `capacity` keys; older ones are forgotten (so memory stays bounded).
#[derive(Debug)]
pub(crate) struct DedupWindow {
    capacity: usize,
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl DedupWindow {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        DedupWindow {
            capacity,
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }

    /// Inserts `key`; false if it was already in the window.
    pub fn insert(&mut self, key: String) -> bool {
        if self.set.contains(&key) {
            return false;
        }
        if self.order.len() >= self.capacity
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(key.clone());
        self.order.push_back(key);
        true
    }

    pub fn contains(&self, key: &str) -> bool {
        self.set.contains(key)
    }

    /// Forgets `key` (a batch that was never acknowledged may be sent again).
    pub fn remove(&mut self, key: &str) {
        if self.set.remove(key)
            && let Some(pos) = self.order.iter().rposition(|k| k == key)
        {
            self.order.remove(pos);
        }
    }
}

/// The key an event is deduplicated on: its id, and for a post its version (an edit is a new version).
pub(crate) fn event_key(event: &RawEvent) -> String {
    match event {
        RawEvent::Post(p) => match p.edited_at {
            Some(t) => format!("p|{}|{}", p.id, t.timestamp_micros()),
            None => format!("p|{}|", p.id),
        },
        RawEvent::Tombstone(t) => format!("t|{}", t.id),
    }
}

/// The key that says "a post with this id was produced" (what a tombstone for it needs to be worth sending).
pub(crate) fn seen_key(id: &str) -> String {
    format!("s|{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_bounded() {
        let mut w = DedupWindow::new(2);
        assert!(w.insert("a".into()));
        assert!(!w.insert("a".into()));
        assert!(w.insert("b".into()));
        assert!(w.insert("c".into()));
        assert!(!w.contains("a"));
        assert!(w.insert("a".into()));
        w.remove("a");
        assert!(w.insert("a".into()));
    }
}
