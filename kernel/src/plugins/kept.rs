//! Which compiled versions the host keeps in memory: every version a
//! county's schedule uses, and a few others used last (a shadow run, a
//! reproduction, an assessment over old contracts), so that a candidate
//! tried again is not compiled again while superseded and refused versions
//! do not pile up (a JavaScript component is tens of megabytes of code).
//!
//! Owns only the bookkeeping: the host lets go of what it returns. It must
//! not compile, load or delete anything.

use std::collections::{HashMap, HashSet};

pub(super) struct Kept<T> {
    entries: HashMap<String, Entry<T>>,
    /// Counts uses, so that "used longest ago" needs no clock.
    uses: u64,
    /// How many unscheduled versions stay.
    spare: usize,
}

struct Entry<T> {
    value: T,
    last_use: u64,
}

impl<T> Kept<T> {
    pub(super) fn new(spare: usize) -> Self {
        Kept { entries: HashMap::new(), uses: 0, spare }
    }

    /// The version `hash`, counted as used now.
    pub(super) fn get(&mut self, hash: &str) -> Option<&T> {
        self.uses += 1;
        let entry = self.entries.get_mut(hash)?;
        entry.last_use = self.uses;
        Some(&entry.value)
    }

    /// Keeps `value` as `hash`, used now, and returns what no longer fits.
    pub(super) fn insert(&mut self, hash: String, value: T, scheduled: &HashSet<String>) -> Vec<T> {
        self.uses += 1;
        self.entries.insert(hash, Entry { value, last_use: self.uses });
        self.trim(scheduled)
    }

    /// Returns (and forgets) the unscheduled versions beyond the spare ones,
    /// those used longest ago first.
    pub(super) fn trim(&mut self, scheduled: &HashSet<String>) -> Vec<T> {
        let mut unscheduled: Vec<(u64, String)> = self
            .entries
            .iter()
            .filter(|(hash, _)| !scheduled.contains(*hash))
            .map(|(hash, entry)| (entry.last_use, hash.clone()))
            .collect();
        let over = unscheduled.len().saturating_sub(self.spare);
        unscheduled.sort_unstable();
        unscheduled.into_iter().take(over).filter_map(|(_, hash)| self.remove(&hash)).collect()
    }

    pub(super) fn remove(&mut self, hash: &str) -> Option<T> {
        self.entries.remove(hash).map(|entry| entry.value)
    }

    pub(super) fn contains(&self, hash: &str) -> bool {
        self.entries.contains_key(hash)
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.values().map(|entry| &entry.value)
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheduled(hashes: &[&str]) -> HashSet<String> {
        hashes.iter().map(|h| (*h).to_owned()).collect()
    }

    #[test]
    fn scheduled_versions_stay_and_the_spare_ones_used_last() {
        let mut kept = Kept::new(2);
        let base = scheduled(&["base"]);
        assert!(kept.insert("base".into(), 0, &base).is_empty());
        assert!(kept.insert("a".into(), 1, &base).is_empty());
        assert!(kept.insert("b".into(), 2, &base).is_empty());
        assert_eq!(kept.get("a"), Some(&1), "`a` is now used after `b`");
        assert_eq!(kept.insert("c".into(), 3, &base), vec![2], "`b` was used longest ago");
        assert_eq!(kept.insert("d".into(), 4, &base), vec![1]);
        assert!(kept.contains("base"), "however long ago it was used");
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn a_version_no_longer_scheduled_becomes_spare() {
        let mut kept = Kept::new(1);
        let both = scheduled(&["old", "new"]);
        kept.insert("old".into(), "old", &both);
        kept.insert("new".into(), "new", &both);
        kept.insert("candidate".into(), "candidate", &both);
        assert_eq!(
            kept.trim(&scheduled(&["new"])),
            vec!["old"],
            "rolled forward: `old` goes, the candidate was used since"
        );
        assert_eq!(kept.len(), 2);
    }
}
