//! Line framing for streamed HTTP bodies (Mastodon's server-sent events, X's newline-delimited JSON).

/// Accumulates chunks and yields complete lines (without `\n` or `\r\n`). A line longer than `max_line`
/// is dropped whole and reported once as [`Line::TooLong`], so a hostile server cannot exhaust memory.
pub(crate) struct LineBuffer {
    buf: Vec<u8>,
    max_line: usize,
    discarding: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    Text(String),
    /// Not UTF-8.
    Invalid,
    TooLong,
}

impl LineBuffer {
    pub fn new(max_line: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            max_line,
            discarding: false,
        }
    }

    pub fn push(&mut self, chunk: &[u8]) -> Vec<Line> {
        let mut out = Vec::new();
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            let (head, tail) = rest.split_at(pos);
            rest = &tail[1..];
            if self.discarding {
                self.discarding = false;
                self.buf.clear();
                continue;
            }
            self.buf.extend_from_slice(head);
            let mut line = std::mem::take(&mut self.buf);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if line.len() > self.max_line {
                out.push(Line::TooLong);
                continue;
            }
            out.push(match String::from_utf8(line) {
                Ok(s) => Line::Text(s),
                Err(_) => Line::Invalid,
            });
        }
        if !self.discarding {
            self.buf.extend_from_slice(rest);
            if self.buf.len() > self.max_line {
                self.buf.clear();
                self.discarding = true;
                out.push(Line::TooLong);
            }
        }
        out
    }

    /// Bytes of an unfinished line (a connection cut mid-message leaves some).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}

/// One server-sent event.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: String,
    pub data: String,
}

/// Server-sent events parser (the WHATWG rules that Mastodon's streaming server relies on): `:` lines are
/// comments (`:)` opener, `:thump` heartbeat), `field: value` with one optional space, `data` lines joined by
/// `\n`, a blank line dispatches; an event without `event:` is `message`.
#[derive(Default)]
pub(crate) struct SseParser {
    event: Option<String>,
    data: Option<String>,
}

pub(crate) enum SseItem {
    Comment,
    Event(SseEvent),
}

impl SseParser {
    pub fn line(&mut self, line: &str) -> Option<SseItem> {
        if line.is_empty() {
            let data = self.data.take();
            let event = self.event.take();
            return data.map(|data| {
                SseItem::Event(SseEvent {
                    event: event.unwrap_or_else(|| "message".to_owned()),
                    data,
                })
            });
        }
        if line.starts_with(':') {
            return Some(SseItem::Comment);
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_across_chunks() {
        let mut b = LineBuffer::new(10);
        assert_eq!(b.push(b"ab"), []);
        assert_eq!(
            b.push(b"c\r\n\r\nde"),
            [Line::Text("abc".into()), Line::Text(String::new())]
        );
        assert_eq!(b.pending(), 2);
        assert_eq!(b.push(b"fghijklmnop"), [Line::TooLong]);
        assert_eq!(
            b.push(b"qq\nok\n\xff\n"),
            [Line::Text("ok".into()), Line::Invalid]
        );
    }

    #[test]
    fn sse_events() {
        let mut p = SseParser::default();
        let mut events = Vec::new();
        let mut comments = 0;
        for line in ":)\nevent: update\ndata: {\"a\":1}\n\n:thump\nevent: delete\ndata: 42\n\ndata:x\ndata: y\n\n".lines() {
            match p.line(line) {
                Some(SseItem::Event(e)) => events.push(e),
                Some(SseItem::Comment) => comments += 1,
                None => {}
            }
        }
        assert_eq!(comments, 2);
        assert_eq!(
            events,
            [
                SseEvent {
                    event: "update".into(),
                    data: "{\"a\":1}".into()
                },
                SseEvent {
                    event: "delete".into(),
                    data: "42".into()
                },
                SseEvent {
                    event: "message".into(),
                    data: "x\ny".into()
                },
            ]
        );
    }
}
