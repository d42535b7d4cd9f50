//! The classify stage: `<prefix>.raw` → `<prefix>.<class>` (or `<prefix>.dlq`), at least once.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use triage_bus::{OutRecord, Topics, transform::InMessage};
use triage_classify::{Classifier, Deduper};
use triage_model::{Class, ClassEvent, RawEvent, Tombstone};

use crate::telemetry::events;

/// Header names on dead-letter messages.
pub mod dlq_headers {
    pub const REASON: &str = "triage.dlq.reason";
    pub const DETAIL: &str = "triage.dlq.detail";
    pub const TOPIC: &str = "triage.dlq.topic";
    pub const PARTITION: &str = "triage.dlq.partition";
    pub const OFFSET: &str = "triage.dlq.offset";
    pub const STAGE: &str = "triage.dlq.stage";
}

/// How many recent posts the stage remembers to route a deletion to the topic its post went to.
const RECENT_CAPACITY: usize = 200_000;

pub struct ClassifyStage {
    classifier: Arc<Classifier>,
    deduper: Deduper,
    topics: Topics,
    /// id → (class, cluster) of recent posts, for tombstones. Posts and their deletions share a raw partition
    /// (keyed by id), so the copy of the stage that saw the post sees its deletion.
    recent: HashMap<String, (Class, String)>,
    recent_order: VecDeque<String>,
}

impl ClassifyStage {
    pub fn new(classifier: Arc<Classifier>, deduper: Deduper, topics: Topics) -> ClassifyStage {
        ClassifyStage {
            classifier,
            deduper,
            topics,
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
        }
    }

    fn remember(&mut self, id: &str, class: Class, cluster: &str) {
        if self
            .recent
            .insert(id.to_owned(), (class, cluster.to_owned()))
            .is_none()
        {
            self.recent_order.push_back(id.to_owned());
            if self.recent_order.len() > RECENT_CAPACITY
                && let Some(old) = self.recent_order.pop_front()
            {
                self.recent.remove(&old);
            }
        }
    }

    fn dead_letter(
        &self,
        msg: &InMessage<'_>,
        reason: &str,
        detail: &str,
        out: &mut Vec<OutRecord>,
    ) {
        events::DeadLettered {
            stage: "classify",
            reason,
        }
        .emit(detail);
        out.push(OutRecord {
            topic: self.topics.dlq(),
            key: msg.key.unwrap_or_default().to_vec(),
            payload: msg.payload.unwrap_or_default().to_vec(),
            headers: vec![
                (dlq_headers::REASON.into(), reason.as_bytes().to_vec()),
                (dlq_headers::DETAIL.into(), detail.as_bytes().to_vec()),
                (dlq_headers::TOPIC.into(), msg.topic.as_bytes().to_vec()),
                (
                    dlq_headers::PARTITION.into(),
                    msg.partition.to_string().into_bytes(),
                ),
                (
                    dlq_headers::OFFSET.into(),
                    msg.offset.to_string().into_bytes(),
                ),
                (dlq_headers::STAGE.into(), b"classify".to_vec()),
            ],
        });
    }

    fn tombstone(&mut self, tombstone: Tombstone, out: &mut Vec<OutRecord>) {
        let payload = ClassEvent::Tombstone(tombstone.clone()).encode();
        match self.recent.get(&tombstone.id) {
            Some((class, cluster)) => out.push(OutRecord {
                topic: self.topics.class(*class),
                key: cluster.clone().into_bytes(),
                payload,
                headers: Vec::new(),
            }),
            // Not seen recently (another copy of the stage, or long ago): every class topic gets it, so that
            // whichever consumer holds the post can retract it.
            None => out.extend(Class::ALL.iter().map(|class| OutRecord {
                topic: self.topics.class(*class),
                key: tombstone.id.clone().into_bytes(),
                payload: payload.clone(),
                headers: Vec::new(),
            })),
        }
        events::Retracted.emit();
    }
}

impl triage_bus::transform::Transform for ClassifyStage {
    fn apply(&mut self, msg: &InMessage<'_>, out: &mut Vec<OutRecord>) {
        let Some(payload) = msg.payload else {
            self.dead_letter(msg, "empty", "message has no payload", out);
            return;
        };
        match RawEvent::decode(payload) {
            Err(e) => self.dead_letter(msg, e.code(), &e.to_string(), out),
            Ok(RawEvent::Tombstone(t)) => self.tombstone(t, out),
            Ok(RawEvent::Post(post)) => {
                let cluster = self.deduper.observe(&post);
                let classification = self.classifier.classify(&post);
                let record = classification.into_record(post, &cluster);
                events::Classified {
                    class: record.class,
                    needs_review: record.needs_review,
                }
                .emit();
                self.remember(&record.id, record.class, &record.cluster);
                out.push(OutRecord {
                    topic: self.topics.class(record.class),
                    key: record.cluster.clone().into_bytes(),
                    payload: ClassEvent::Record(record).encode(),
                    headers: Vec::new(),
                });
            }
        }
    }
}
