//! Replay: a JSONL file (or stdin) of normalized events or of raw platform JSON (Mastodon statuses or timeline
//! pages, Jetstream events, X stream messages or lookup responses), at full speed or real time × N.
//! Everything is passed through (no hashtag filter); duplicates are still dropped.

use std::fmt;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Deserializer};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use triage_model::{PostId, RawEvent};

use crate::config::ReplayConfig;
use crate::emit::{Cancelled, sleep_or_cancel};
use crate::internal_events::ErrorKind;
use crate::source::{Source, SourceContext, SourceError};

/// Replay speed: as fast as the sink takes it, or real time multiplied by a factor.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Speed {
    #[default]
    Max,
    /// `1.0` = the original pace, `10.0` = ten times faster.
    Factor(f64),
}

impl FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let f: f64 = s.trim_end_matches(['x', 'X']).parse().map_err(|_| {
            format!("speed `{s}` is neither `max` nor a positive number (1 = real time, 10 = ten times faster)")
        })?;
        if f.is_finite() && f > 0.0 {
            Ok(Speed::Factor(f))
        } else {
            Err(format!("speed `{s}` must be a positive number"))
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Max => f.write_str("max"),
            Speed::Factor(x) => write!(f, "{x}"),
        }
    }
}

impl<'de> Deserialize<'de> for Speed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(f64),
            Text(String),
        }
        match Repr::deserialize(d)? {
            Repr::Number(n) => n.to_string().parse(),
            Repr::Text(s) => s.parse(),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// Why a line could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("{format}: {error}")]
    Shape { format: &'static str, error: String },
    #[error("not a known format (normalized event, Mastodon status, Jetstream event, X message)")]
    Unknown,
}

/// Turns one line into events (a Mastodon page or an X lookup response yields several; a like or an
/// identity event none).
pub fn parse_line(line: &str) -> Result<Vec<RawEvent>, LineError> {
    let value: serde_json::Value = serde_json::from_str(line).map_err(LineError::NotJson)?;
    parse_value(value)
}

fn shape(format: &'static str) -> impl Fn(serde_json::Error) -> LineError {
    move |e| LineError::Shape {
        format,
        error: e.to_string(),
    }
}

fn parse_value(value: serde_json::Value) -> Result<Vec<RawEvent>, LineError> {
    let serde_json::Value::Object(obj) = &value else {
        if let serde_json::Value::Array(items) = value {
            let mut out = Vec::new();
            for item in items {
                out.extend(parse_value(item)?);
            }
            return Ok(out);
        }
        return Err(LineError::Unknown);
    };
    if obj.contains_key("v") {
        let mut obj = obj.clone();
        obj.entry("kind").or_insert_with(|| "post".into());
        let event: RawEvent = serde_json::from_value(serde_json::Value::Object(obj))
            .map_err(shape("normalized event"))?;
        let (id, source) = match &event {
            RawEvent::Post(p) => (&p.id, p.source),
            RawEvent::Tombstone(t) => (&t.id, t.source),
        };
        if !PostId::matches(id, source) {
            return Err(LineError::Shape {
                format: "normalized event",
                error: format!("id `{id}` is not of the form `{source}:<native id>`"),
            });
        }
        return Ok(vec![event]);
    }
    if obj.contains_key("did") && obj.contains_key("time_us") {
        let event: crate::bluesky::JetstreamEvent =
            serde_json::from_value(value).map_err(shape("jetstream event"))?;
        return Ok(crate::bluesky::normalize_event(&event)
            .map_err(shape("jetstream event"))?
            .into_iter()
            .collect());
    }
    if obj.contains_key("data") || obj.contains_key("errors") {
        let (posts, _) = crate::x::parse_message(value).map_err(shape("X message"))?;
        return Ok(posts.into_iter().map(RawEvent::Post).collect());
    }
    if obj.contains_key("uri") && obj.contains_key("account") {
        return Ok(vec![RawEvent::Post(
            crate::mastodon::parse_status(&value).map_err(shape("mastodon status"))?,
        )]);
    }
    // A Mastodon streaming message (WebSocket form): `{"event": "update", "payload": "<status JSON>"}`.
    if let (Some(event), Some(payload)) = (
        obj.get("event").and_then(|e| e.as_str()),
        obj.get("payload"),
    ) {
        if matches!(event, "update" | "status.update")
            && let Some(p) = payload.as_str()
        {
            let status: serde_json::Value = serde_json::from_str(p).map_err(LineError::NotJson)?;
            let mut post =
                crate::mastodon::parse_status(&status).map_err(shape("mastodon status"))?;
            if event == "status.update" && post.edited_at.is_none() {
                post.edited_at = Some(Utc::now());
            }
            return Ok(vec![RawEvent::Post(post)]);
        }
        return Ok(Vec::new());
    }
    Err(LineError::Unknown)
}

fn event_time(e: &RawEvent) -> DateTime<Utc> {
    match e {
        RawEvent::Post(p) => p.edited_at.unwrap_or(p.created_at),
        RawEvent::Tombstone(t) => t.deleted_at,
    }
}

/// Reads lines of at most `max` bytes; a longer line is skipped (reported as `Err(())`).
async fn next_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<(Result<(), ()>, usize)>> {
    buf.clear();
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if consumed == 0 {
                None
            } else {
                Some((if too_long { Err(()) } else { Ok(()) }, consumed))
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let n = chunk.len();
        if !too_long {
            buf.extend_from_slice(chunk);
            if buf.len() > max {
                too_long = true;
                buf.clear();
            }
        }
        reader.consume(n);
        consumed += n;
        if done {
            return Ok(Some((if too_long { Err(()) } else { Ok(()) }, consumed)));
        }
    }
}

pub struct ReplaySource {
    name: String,
    cfg: ReplayConfig,
}

impl ReplaySource {
    pub fn new(name: String, cfg: ReplayConfig) -> Self {
        ReplaySource { name, cfg }
    }

    fn is_stdin(path: &Path) -> bool {
        path.as_os_str() == "-"
    }

    fn progress(&self, total: Option<u64>) -> ProgressBar {
        let bar = match total {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} {msg} {bytes} read")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        };
        // Hidden unless a person watches: no escape codes in logs or pipes.
        if !self.cfg.progress || !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        bar.set_message(self.name.clone());
        bar
    }

    async fn replay<R: AsyncBufRead + Unpin>(
        &self,
        ctx: &SourceContext,
        mut reader: R,
        bar: &ProgressBar,
    ) -> Result<(), ReplayFailure> {
        let t = ctx.telemetry();
        let key = self.name.clone();
        let skip = if self.cfg.resume {
            ctx.load_cursor(&key)
                .await?
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        } else {
            0
        };
        let mut line_no: u64 = 0;
        let mut buf = Vec::new();
        let mut batch: Vec<RawEvent> = Vec::new();
        let mut prev_time: Option<DateTime<Utc>> = None;
        let batch_max = match self.cfg.speed {
            Speed::Max => 500,
            Speed::Factor(_) => 1,
        };
        loop {
            let read = tokio::select! {
                biased;
                () = ctx.shutdown.cancelled() => return Err(ReplayFailure::Cancelled),
                r = next_line(&mut reader, &mut buf, crate::MAX_LINE) => r,
            };
            let Some((line, consumed)) = read.map_err(ReplayFailure::Io)? else {
                break;
            };
            bar.inc(consumed as u64);
            line_no += 1;
            if line_no <= skip {
                continue;
            }
            if line.is_err() {
                t.received(1);
                t.error(
                    ErrorKind::Malformed,
                    &format_args!("line {line_no}: longer than {} bytes", crate::MAX_LINE),
                );
                continue;
            }
            let Ok(text) = std::str::from_utf8(&buf) else {
                t.received(1);
                t.error(
                    ErrorKind::Malformed,
                    &format_args!("line {line_no}: not UTF-8"),
                );
                continue;
            };
            if text.trim().is_empty() {
                continue;
            }
            t.received(1);
            match parse_line(text.trim()) {
                Ok(events) if events.is_empty() => t.ignored(1),
                Ok(events) => {
                    if let Speed::Factor(f) = self.cfg.speed {
                        let at = events.iter().map(event_time).min().unwrap_or_else(Utc::now);
                        if let Some(prev) = prev_time
                            && let Ok(gap) = (at - prev).to_std()
                        {
                            // try_from: a tiny factor and a huge gap must not overflow (div_f64 would panic).
                            let wait = Duration::try_from_secs_f64(gap.as_secs_f64() / f)
                                .unwrap_or(Duration::MAX);
                            sleep_or_cancel(wait, &ctx.shutdown).await?;
                        }
                        prev_time = Some(prev_time.map_or(at, |p| p.max(at)));
                    }
                    batch.extend(events);
                }
                Err(e) => t.error(ErrorKind::Malformed, &format_args!("line {line_no}: {e}")),
            }
            if batch.len() >= batch_max {
                ctx.emit(std::mem::take(&mut batch)).await?;
                if self.cfg.resume {
                    ctx.save_cursor(&key, &line_no.to_string()).await;
                }
            }
        }
        if !batch.is_empty() {
            ctx.emit(batch).await?;
        }
        if self.cfg.resume {
            ctx.save_cursor(&key, &line_no.to_string()).await;
        }
        Ok(())
    }
}

enum ReplayFailure {
    Cancelled,
    Io(std::io::Error),
}

impl From<Cancelled> for ReplayFailure {
    fn from(_: Cancelled) -> Self {
        ReplayFailure::Cancelled
    }
}

#[async_trait]
impl Source for ReplaySource {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &'static str {
        "replay"
    }

    async fn run(self: Box<Self>, ctx: SourceContext) -> Result<(), SourceError> {
        let path: PathBuf = self.cfg.path.clone();
        tracing::info!(source = %self.name, path = %path.display(), speed = %self.cfg.speed, "replay starting");
        let result = if Self::is_stdin(&path) {
            let bar = self.progress(None);
            let r = self
                .replay(&ctx, BufReader::new(tokio::io::stdin()), &bar)
                .await;
            bar.finish_and_clear();
            r
        } else {
            let file = tokio::fs::File::open(&path).await.map_err(|e| {
                SourceError::Fatal(format!("cannot open replay file {}: {e}", path.display()))
            })?;
            let total = file.metadata().await.ok().map(|m| m.len());
            let bar = self.progress(total);
            let r = self
                .replay(&ctx, BufReader::with_capacity(256 * 1024, file), &bar)
                .await;
            bar.finish_and_clear();
            r
        };
        match result {
            Ok(()) | Err(ReplayFailure::Cancelled) => Ok(()),
            Err(ReplayFailure::Io(e)) => {
                ctx.telemetry()
                    .error(ErrorKind::Io, &format_args!("{}: {e}", path.display()));
                Err(SourceError::Fatal(format!(
                    "reading {}: {e}",
                    path.display()
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_parses() {
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert_eq!("10".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("2.5x".parse::<Speed>(), Ok(Speed::Factor(2.5)));
        assert!("0".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
    }

    #[tokio::test]
    async fn long_lines_are_skipped() {
        let data = b"short\nthis line is far too long\nok\nlast-no-newline";
        let mut r = BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        let mut got = Vec::new();
        while let Some((res, _)) = next_line(&mut r, &mut buf, 10).await.unwrap() {
            got.push(res.map(|()| String::from_utf8_lossy(&buf).trim().to_owned()));
        }
        assert_eq!(got, [Ok("short".into()), Err(()), Ok("ok".into()), Err(())]);
    }
}
