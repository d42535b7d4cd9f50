//! A fake Jetstream speaking the WebSocket protocol by hand over TCP (so that a connection can be cut in the
//! middle of a frame), replaying its log from the requested `cursor` and then following it live, built from
//! `fixtures/bluesky/`.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use url::Url;

use super::fixture;

/// The fake's state; tests append to `log` while the source runs.
#[derive(Default)]
pub struct Jetstream {
    /// (time_us, line) in the order Jetstream would send them.
    pub log: Mutex<Vec<(i64, String)>>,
    /// For each connection, after how many events to cut it in the middle of the next frame.
    pub cuts: Mutex<Vec<Option<usize>>>,
    /// The request target of each connection.
    pub requests: Mutex<Vec<String>>,
}

/// A server-to-client WebSocket text frame.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    // Server frames are not masked: FIN + text opcode, then the length in 7, 7+16 or 7+64 bits.
    let mut f = vec![0x81u8];
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n if n <= u16::MAX as usize => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

async fn connection(js: Arc<Jetstream>, mut sock: TcpStream) {
    let mut req = Vec::new();
    let mut buf = [0u8; 4096];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let req = String::from_utf8_lossy(&req).into_owned();
    let target = req.split_whitespace().nth(1).unwrap_or("").to_owned();
    let key = req
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-key"))
        })
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let cut = {
        let mut requests = js.requests.lock().unwrap();
        requests.push(target.clone());
        js.cuts
            .lock()
            .unwrap()
            .get(requests.len() - 1)
            .copied()
            .flatten()
    };
    let Ok(url) = Url::parse(&format!("ws://x{target}")) else {
        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    // Jetstream answers 400 to a subscription that asks for other collections; the sources must ask for posts.
    let collections = url
        .query_pairs()
        .find(|(k, _)| k == "wantedCollections")
        .map(|(_, v)| v.into_owned());
    if collections.as_deref() != Some("app.bsky.feed.post") {
        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    }
    let accept = derive_accept_key(key.as_bytes());
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    );
    if sock.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let cursor: Option<i64> = url
        .query_pairs()
        .find(|(k, _)| k == "cursor")
        .and_then(|(_, v)| v.parse().ok());
    let mut sent = 0usize;
    let mut next = 0usize;
    loop {
        let pending: Vec<(i64, String)> = js.log.lock().unwrap()[next..].to_vec();
        next += pending.len();
        for (time_us, line) in pending {
            if cursor.is_some_and(|c| time_us < c) {
                continue;
            }
            let f = frame(line.as_bytes());
            if cut == Some(sent) {
                // Half a frame, then the connection drops.
                let _ = sock.write_all(&f[..f.len() / 2]).await;
                return;
            }
            if sock.write_all(&f).await.is_err() {
                return;
            }
            sent += 1;
        }
        // Idle: wait for more log lines or for the client to go away.
        tokio::select! {
            r = sock.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return },
            () = tokio::time::sleep(std::time::Duration::from_millis(30)) => {}
        }
    }
}

/// Starts a fake Jetstream on a free local port; returns its base URL (`ws://127.0.0.1:<port>`).
pub async fn jetstream(js: Arc<Jetstream>) -> Url {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            tokio::spawn(connection(js.clone(), sock));
        }
    });
    Url::parse(&format!("ws://{addr}")).expect("a local URL parses")
}

/// The `time_us` of a Jetstream line.
pub fn time_of(line: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v["time_us"].as_i64())
        .unwrap_or_else(|| panic!("not a Jetstream event: {line}"))
}

/// A crisis post derived from the first real facet line: new rkey, time, text and tag facet. Returns the line
/// and the `kind:id` it normalizes to (`post:bluesky:at://...`).
pub fn derived_post(i: usize, time_us: i64, tag: &str) -> (String, String) {
    let real = fixture("bluesky/jetstream_v1_post_with_hashtag_facets.jsonl");
    let first = real.lines().next().expect("the facet fixture has a line");
    let mut v: serde_json::Value = serde_json::from_str(first).expect("the facet fixture is JSON");
    let rkey = format!("3crisis{i:05}");
    v["time_us"] = time_us.into();
    v["commit"]["rkey"] = rkey.clone().into();
    let text = format!("#{tag} chambre libre Paris 11e, message {i}");
    v["commit"]["record"]["text"] = text.into();
    v["commit"]["record"]["facets"] = serde_json::json!([{
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
        "index": {"byteStart": 0, "byteEnd": tag.len() + 1}
    }]);
    let id = format!("post:{}", post_id(&rkey));
    (v.to_string(), id)
}

/// The post id of [`derived_post`]'s record `rkey` (`bluesky:at://...`).
pub fn post_id(rkey: &str) -> String {
    format!("bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/{rkey}")
}

/// The rkey [`derived_post`] gives post `i`.
pub fn rkey(i: usize) -> String {
    format!("3crisis{i:05}")
}

/// A delete commit of the [`derived_post`] with this `rkey`.
pub fn delete_of(rkey: &str, time_us: i64) -> String {
    serde_json::json!({
        "did": "did:plc:tn3hni2jpphsgl6amfbb7ja6", "time_us": time_us, "kind": "commit",
        "commit": {"rev": "3mptbypuw3t2q", "operation": "delete", "collection": "app.bsky.feed.post", "rkey": rkey}
    })
    .to_string()
}
