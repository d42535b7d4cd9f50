//! The gateway's in-memory state, rebuilt from the class topics at start: current records by id, per-class
//! ring buffers of feed events (for `Last-Event-ID` resume), tombstoned ids, and "handled" marks.
//!
//! All of it sits behind one `RwLock` held only for short, non-async sections. Feed events are assigned their
//! id, pushed to the ring and broadcast under the write lock, and a subscriber snapshots the ring and
//! subscribes under the read lock: so "what was missed" and "what comes live" never overlap nor leave a gap.
//!
//! Event ids come from ONE sequence for all classes, and every event goes out on ONE broadcast channel, in id
//! order: a feed of several classes (`/api/feed?classes=…`) then sees a single increasing id sequence, and a
//! single "last id sent" is a sound resume point. The rings stay per class so that a flood in one class (noise)
//! cannot push another class's events out of the resume buffer; a resume merges the rings by id.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Arc,
};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::broadcast;
use triage_model::{Class, ClassifiedRecord, Tombstone};

use crate::{fold, redact, view};

/// A record as the gateway keeps it, with what the filters need precomputed once.
#[derive(Debug)]
pub(crate) struct Entry {
    pub record: ClassifiedRecord,
    /// The topic the record came from (normally equal to `record.class`).
    pub class: Class,
    /// When this gateway received it.
    pub seen_at: DateTime<Utc>,
    /// Text with phone numbers and emails redacted: what public endpoints show.
    pub redacted_text: String,
    /// `fold(redacted_text)`: the `q` filter searches this (never the unredacted text, so that `q` cannot be
    /// used to probe for a phone number).
    pub folded_text: String,
    pub folded_tags: Vec<String>,
    pub lang_primary: String,
}

impl Entry {
    /// Redacts and folds once, outside the store's lock.
    pub fn new(record: ClassifiedRecord, class: Class) -> Entry {
        let redacted_text = redact::redact(&record.text, &record.extracted.contacts);
        let folded_text = fold::fold(&redacted_text);
        let folded_tags = record.hashtags.iter().map(|t| fold::fold_tag(t)).collect();
        let lang_primary = primary_lang(&record.lang);
        Entry {
            record,
            class,
            seen_at: Utc::now(),
            redacted_text,
            folded_text,
            folded_tags,
            lang_primary,
        }
    }

    /// When the post was last written by its author.
    pub fn posted_at(&self) -> DateTime<Utc> {
        self.record.edited_at.unwrap_or(self.record.created_at)
    }

    /// Orders versions of one post: a later edit wins, then a later classification.
    fn version_key(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.posted_at(), self.record.classified_at)
    }
}

/// `fr-FR` → `fr`.
pub(crate) fn primary_lang(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// What a feed event says.
#[derive(Debug)]
pub(crate) enum FeedKind {
    /// A new record, or a new version of one.
    Record(Arc<Entry>),
    /// The post was deleted (or moved to another class): clients remove it.
    Retract,
    /// Someone marked the post as handled (or not).
    Handled,
}

#[derive(Debug)]
pub(crate) struct FeedEvent {
    /// Monotonic across all classes of this gateway process.
    pub id: u64,
    /// The feed (class) the event belongs to; also in `data` as `"class"`.
    pub class: Class,
    pub kind: FeedKind,
    /// The SSE `event:` name.
    pub name: &'static str,
    /// The SSE `data:` payload, rendered once for every client.
    pub data: Arc<str>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Handled {
    pub at: DateTime<Utc>,
    pub handled: bool,
}

/// Outcome of applying one message, for metrics and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    New,
    Updated,
    Duplicate,
    Stale,
    AfterDelete,
    Retracted,
    TombstoneUnknown,
}

impl Applied {
    pub fn as_str(self) -> &'static str {
        match self {
            Applied::New => "new",
            Applied::Updated => "updated",
            Applied::Duplicate => "duplicate",
            Applied::Stale => "stale",
            Applied::AfterDelete => "after_delete",
            Applied::Retracted => "retracted",
            Applied::TombstoneUnknown => "tombstone_unknown",
        }
    }
}

pub(crate) struct Store {
    max_records: usize,
    feed_buffer: usize,
    records: HashMap<String, Arc<Entry>>,
    /// Insertion sequence → id, to forget the oldest records first.
    order: BTreeMap<u64, String>,
    seq_of: HashMap<String, u64>,
    next_seq: u64,
    /// Deleted ids (with when), so that a version read later from another class topic does not come back.
    deleted: HashMap<String, DateTime<Utc>>,
    deleted_order: VecDeque<String>,
    handled: HashMap<String, Handled>,
    next_event_id: u64,
    rings: [VecDeque<Arc<FeedEvent>>; 6],
    /// Every class's events, in id order (subscribers filter by class).
    sender: broadcast::Sender<Arc<FeedEvent>>,
    counts: [usize; 6],
    /// Last offset applied per (topic class, partition): shown on /healthz.
    pub offsets: BTreeMap<(Class, i32), i64>,
}

impl Store {
    pub fn new(max_records: usize, feed_buffer: usize) -> Store {
        // Event ids start at the current time in microseconds: a browser that reconnects to a restarted
        // gateway with an old Last-Event-ID then gets the whole (new) buffer rather than nothing.
        let first_id = u64::try_from(Utc::now().timestamp_micros())
            .unwrap_or(1)
            .max(1);
        Store {
            max_records,
            feed_buffer,
            records: HashMap::new(),
            order: BTreeMap::new(),
            seq_of: HashMap::new(),
            next_seq: 0,
            deleted: HashMap::new(),
            deleted_order: VecDeque::new(),
            handled: HashMap::new(),
            next_event_id: first_id,
            rings: Default::default(),
            // Room for a full ring of every class: a subscriber that falls further behind catches up from
            // the rings (see feed.rs), so this only bounds how often that happens.
            sender: broadcast::channel(
                feed_buffer
                    .saturating_mul(Class::ALL.len())
                    .clamp(16, 1 << 16),
            )
            .0,
            counts: [0; 6],
            offsets: BTreeMap::new(),
        }
    }

    pub fn apply_record(&mut self, entry: Entry, partition: i32, offset: i64) -> Applied {
        self.note_offset(entry.class, partition, offset);
        if self.deleted.contains_key(&entry.record.id) {
            return Applied::AfterDelete;
        }
        let entry = Arc::new(entry);
        let id = entry.record.id.clone();
        let outcome = match self.records.get(&id) {
            // Redelivery after a rebalance or a restart: same record, no new event.
            Some(old) if old.record == entry.record && old.class == entry.class => {
                return Applied::Duplicate;
            }
            // A version older than the one we have (read late from another class topic).
            Some(old) if old.version_key() > entry.version_key() => return Applied::Stale,
            Some(old) => {
                let old_class = old.class;
                if old_class != entry.class {
                    // Reclassified (e.g. after an edit): it leaves the old class's feed.
                    self.push_event(
                        old_class,
                        FeedKind::Retract,
                        "retract",
                        retract_json(&id, "moved", old_class),
                    );
                }
                self.counts[old_class.index()] -= 1;
                Applied::Updated
            }
            None => Applied::New,
        };
        if let Some(seq) = self.seq_of.remove(&id) {
            self.order.remove(&seq);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id.clone());
        self.seq_of.insert(id.clone(), seq);
        self.counts[entry.class.index()] += 1;
        self.records.insert(id.clone(), entry.clone());

        let handled = self.handled.get(&id).cloned();
        let data = view::feed_record_json(&entry, handled.as_ref());
        self.push_event(entry.class, FeedKind::Record(entry.clone()), "record", data);
        self.evict();
        outcome
    }

    pub fn apply_tombstone(
        &mut self,
        tombstone: &Tombstone,
        topic_class: Class,
        partition: i32,
        offset: i64,
    ) -> Applied {
        self.note_offset(topic_class, partition, offset);
        if !self.deleted.contains_key(&tombstone.id) {
            self.deleted
                .insert(tombstone.id.clone(), tombstone.deleted_at);
            self.deleted_order.push_back(tombstone.id.clone());
            while self.deleted_order.len() > self.max_records {
                if let Some(old) = self.deleted_order.pop_front() {
                    self.deleted.remove(&old);
                }
            }
        }
        match self.remove(&tombstone.id) {
            Some(entry) => {
                self.push_event(
                    entry.class,
                    FeedKind::Retract,
                    "retract",
                    retract_json(&tombstone.id, "deleted", entry.class),
                );
                Applied::Retracted
            }
            None => Applied::TombstoneUnknown,
        }
    }

    fn note_offset(&mut self, class: Class, partition: i32, offset: i64) {
        let slot = self.offsets.entry((class, partition)).or_insert(offset);
        *slot = (*slot).max(offset);
    }

    fn remove(&mut self, id: &str) -> Option<Arc<Entry>> {
        let entry = self.records.remove(id)?;
        if let Some(seq) = self.seq_of.remove(id) {
            self.order.remove(&seq);
        }
        self.counts[entry.class.index()] -= 1;
        self.handled.remove(id);
        Some(entry)
    }

    /// Forgets the oldest records beyond `max_records` (bounded memory). They silently leave the
    /// search/map/PFIF outputs; feed clients already have them.
    fn evict(&mut self) {
        while self.records.len() > self.max_records {
            let Some((_, id)) = self.order.pop_first() else {
                break;
            };
            self.seq_of.remove(&id);
            if let Some(entry) = self.records.remove(&id) {
                self.counts[entry.class.index()] -= 1;
            }
            self.handled.remove(&id);
            metrics::counter!("triage_gateway_evicted_total").increment(1);
        }
    }

    fn push_event(&mut self, class: Class, kind: FeedKind, name: &'static str, data: String) {
        let event = Arc::new(FeedEvent {
            id: self.next_event_id,
            class,
            kind,
            name,
            data: data.into(),
        });
        self.next_event_id += 1;
        let ring = &mut self.rings[class.index()];
        ring.push_back(event.clone());
        while ring.len() > self.feed_buffer {
            ring.pop_front();
        }
        // No receiver is fine: nobody is watching right now.
        let _ = self.sender.send(event);
    }

    /// Marks (or unmarks) a post as handled. `None` when the post is unknown.
    pub fn set_handled(&mut self, id: &str, handled: bool) -> Option<Handled> {
        let class = self.records.get(id)?.class;
        let mark = Handled {
            at: Utc::now(),
            handled,
        };
        if handled {
            self.handled.insert(id.to_owned(), mark.clone());
        } else {
            self.handled.remove(id);
        }
        let data =
            serde_json::json!({ "id": id, "class": class, "handled": handled, "at": mark.at })
                .to_string();
        self.push_event(class, FeedKind::Handled, "handled", data);
        Some(mark)
    }

    pub fn handled(&self, id: &str) -> Option<&Handled> {
        self.handled.get(id)
    }

    pub fn handled_count(&self) -> usize {
        self.handled.len()
    }

    pub fn entries(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.records.values()
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn count(&self, class: Class) -> usize {
        self.counts[class.index()]
    }

    /// The id of the newest event so far (every later event has a greater id).
    pub fn last_event_id(&self) -> u64 {
        self.next_event_id.saturating_sub(1)
    }

    /// Subscribes to the live events and returns, atomically with it, the buffered events of `classes` after
    /// `after`, merged in id order (all of them when `after` is older than the buffers), and the id of the
    /// newest event at that instant: everything the receiver yields is newer than it.
    pub fn subscribe(
        &self,
        classes: &[Class],
        after: Option<u64>,
    ) -> (
        broadcast::Receiver<Arc<FeedEvent>>,
        Vec<Arc<FeedEvent>>,
        u64,
    ) {
        let rx = self.sender.subscribe();
        let missed = match after {
            Some(after) => self.buffered_after(classes, after),
            None => Vec::new(),
        };
        (rx, missed, self.last_event_id())
    }

    /// Buffered events of `classes` after `after`, in id order.
    pub fn buffered_after(&self, classes: &[Class], after: u64) -> Vec<Arc<FeedEvent>> {
        let mut out: Vec<Arc<FeedEvent>> = classes
            .iter()
            .flat_map(|c| {
                let ring = &self.rings[c.index()];
                // Each ring is sorted by id: skip what the client has without scanning it.
                let from = ring.partition_point(|e| e.id <= after);
                ring.range(from..).cloned()
            })
            .collect();
        out.sort_unstable_by_key(|e| e.id);
        out
    }

    /// The whole ring of a class (newest last), for the `backlog` of a fresh client.
    pub fn ring(&self, class: Class) -> impl DoubleEndedIterator<Item = &Arc<FeedEvent>> {
        self.rings[class.index()].iter()
    }
}

fn retract_json(id: &str, reason: &str, class: Class) -> String {
    serde_json::json!({ "id": id, "class": class, "reason": reason }).to_string()
}
