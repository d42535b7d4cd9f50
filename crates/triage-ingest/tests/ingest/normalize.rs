//! What each platform's real sample becomes (snapshots; `UPDATE_EXPECT=1 cargo test` to refresh after review).

use expect_test::{Expect, expect};
use triage_model::RawEvent;

use crate::common::{fixture, json_fixture};

fn check(events: Vec<RawEvent>, want: Expect) {
    let text: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string_pretty(e).unwrap())
        .collect();
    // Every event is a valid raw-topic record.
    for e in &events {
        RawEvent::decode(&e.encode()).unwrap();
    }
    want.assert_eq(&text.join("\n"));
}

fn replay_line(line: &str) -> Vec<RawEvent> {
    triage_ingest::replay::parse_line(line).unwrap()
}

#[test]
fn mastodon_status_entity() {
    check(
        replay_line(&json_fixture("mastodon/status_entity_example.json").to_string()),
        expect![[r#"
            {
              "kind": "post",
              "v": 1,
              "id": "mastodon:https://mastodon.social/users/Gargron/statuses/103270115826048975",
              "source": "mastodon",
              "url": "https://mastodon.social/@Gargron/103270115826048975",
              "author": {
                "id": "https://mastodon.social/@Gargron",
                "handle": "@Gargron@mastodon.social",
                "name": "Eugen"
              },
              "text": "\"I lost my inheritance with one wrong digit on my sort code\"\n\nhttps://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code",
              "lang": "en",
              "hashtags": [],
              "created_at": "2019-12-08T03:48:33.901Z"
            }"#]],
    );
}

#[test]
fn mastodon_status_update_with_hashtags() {
    let events = fixture("mastodon/streaming_hashtag_sse_events.txt");
    let data = events
        .split("\n\n")
        .find(|b| b.starts_with("event: status.update"))
        .unwrap();
    let json = data.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    check(
        replay_line(json),
        expect![[r##"
        {
          "kind": "post",
          "v": 1,
          "id": "mastodon:https://ruby.social/users/chrismo/statuses/109348684454557541",
          "source": "mastodon",
          "url": "https://ruby.social/@chrismo/109348684454557541",
          "author": {
            "id": "https://ruby.social/@chrismo",
            "handle": "@chrismo@ruby.social",
            "name": "chrismo"
          },
          "text": "#musicTuesday\n\nHere's a solo #piano track of mine called Gravity Assist\n\n#neoclassical (#jazz ish)\n\nhttps://cstudios.bandcamp.com/track/celestia-gravity-assist-no-19-var-2",
          "lang": "en",
          "hashtags": [
            "musicTuesday",
            "piano",
            "neoclassical",
            "jazz"
          ],
          "created_at": "2022-11-15T16:08:30Z",
          "edited_at": "2022-11-15T16:10:43Z"
        }"##]],
    );
}

#[test]
fn bluesky_posts_with_tag_facets() {
    let lines = fixture("bluesky/jetstream_v1_post_with_hashtag_facets.jsonl");
    check(
        lines.lines().flat_map(replay_line).collect(),
        expect![[r##"
        {
          "kind": "post",
          "v": 1,
          "id": "bluesky:at://did:plc:tn3hni2jpphsgl6amfbb7ja6/app.bsky.feed.post/3mptbypfywk2v",
          "source": "bluesky",
          "url": "https://bsky.app/profile/did:plc:tn3hni2jpphsgl6amfbb7ja6/post/3mptbypfywk2v",
          "author": {
            "id": "did:plc:tn3hni2jpphsgl6amfbb7ja6",
            "handle": "did:plc:tn3hni2jpphsgl6amfbb7ja6"
          },
          "text": "#HowToTellAiToShutUp!  \n\nThese days I was googling something about a band and weirdly ended up to read Radio TFSC started an #IndieRebellion 😂 As if I would have that power... But hey so lets keep going with the rebellion! \n👇",
          "lang": "de",
          "hashtags": [
            "HowToTellAiToShutUp",
            "IndieRebellion"
          ],
          "created_at": "2026-07-04T14:38:07.323Z"
        }
        {
          "kind": "post",
          "v": 1,
          "id": "bluesky:at://did:plc:ynfp6wddjqpl44gordpsqkuw/app.bsky.feed.post/3mptbyo7tas2u",
          "source": "bluesky",
          "url": "https://bsky.app/profile/did:plc:ynfp6wddjqpl44gordpsqkuw/post/3mptbyo7tas2u",
          "author": {
            "id": "did:plc:ynfp6wddjqpl44gordpsqkuw",
            "handle": "did:plc:ynfp6wddjqpl44gordpsqkuw"
          },
          "text": "\"Behind them, Timmi and Wanky'u follow silently but as fast as possible.\"\n\nwww.tumblr.com/tempo-tales/...\n\n#talesatwonderworld\n#balanwonderworldoc",
          "lang": "es",
          "hashtags": [
            "talesatwonderworld",
            "balanwonderworldoc"
          ],
          "created_at": "2026-07-04T14:38:06.071Z",
          "media": [
            {
              "url": "https://cdn.bsky.app/img/feed_fullsize/plain/did:plc:ynfp6wddjqpl44gordpsqkuw/bafkreidrnwt23f7wy7fyfex5acdkxh62wsgpg245ame4c4rogfwb3upyaa@jpeg",
              "kind": "image"
            }
          ]
        }"##]],
    );
}

#[test]
fn bluesky_reply_and_delete() {
    let golden = fixture("bluesky/jetstream_v1_golden_events.jsonl");
    let reply = golden.lines().nth(1).unwrap();
    let delete = fixture("bluesky/jetstream_v1_identity_account_delete.jsonl");
    let delete = delete
        .lines()
        .find(|l| l.contains("app.bsky.feed.post"))
        .unwrap();
    check(
        [replay_line(reply), replay_line(delete)].concat(),
        expect![[r#"
        {
          "kind": "post",
          "v": 1,
          "id": "bluesky:at://did:plc:q235v55g5unth4zjjdpacfdr/app.bsky.feed.post/3mmoojp4cd223",
          "source": "bluesky",
          "url": "https://bsky.app/profile/did:plc:q235v55g5unth4zjjdpacfdr/post/3mmoojp4cd223",
          "author": {
            "id": "did:plc:q235v55g5unth4zjjdpacfdr",
            "handle": "did:plc:q235v55g5unth4zjjdpacfdr"
          },
          "text": "Try RSV for a good time !!",
          "lang": "en",
          "hashtags": [],
          "created_at": "2026-05-25T14:23:28.757Z",
          "reply_to": "bluesky:at://did:plc:j76trmiofvaxxpvx2vnb2vwf/app.bsky.feed.post/3mmojbrjwbs26"
        }
        {
          "kind": "tombstone",
          "v": 1,
          "id": "bluesky:at://did:plc:4smmjsqf6l5jkzczvw6vsrqc/app.bsky.feed.post/3mpt73z3ejc2p",
          "source": "bluesky",
          "deleted_at": "2026-07-04T14:38:08.377628Z"
        }"#]],
    );
}

#[test]
fn x_stream_message_with_hashtag_entities() {
    let wire = fixture("x/filtered_stream_wire_ASSEMBLED.ndjson");
    check(
        replay_line(wire.split("\r\n").next().unwrap()),
        expect![[r#"
        {
          "kind": "post",
          "v": 1,
          "id": "x:1296121314218897408",
          "source": "x",
          "url": "https://x.com/TwitterDev/status/1296121314218897408",
          "author": {
            "id": "2244994945",
            "handle": "TwitterDev",
            "name": "Twitter Dev"
          },
          "text": "The hide replies endpoint is launching today! \n\nDevelopers can hide replies to Tweets - a crucial way developers can help improve the health of the public conversation using the #TwitterAPI.\n\nhttps://t.co/khXhTurm9x",
          "lang": "en",
          "hashtags": [
            "TwitterAPI"
          ],
          "created_at": "2020-08-19T16:26:16Z"
        }"#]],
    );
}

#[test]
fn x_reply_from_lookup_response() {
    check(
        replay_line(&json_fixture("x/tweet_lookup_response_docs_example.json").to_string()),
        expect![[r#"
        {
          "kind": "post",
          "v": 1,
          "id": "x:1212092628029698048",
          "source": "x",
          "url": "https://x.com/i/web/status/1212092628029698048",
          "author": {
            "id": "2244994945",
            "handle": "2244994945"
          },
          "text": "We believe the best future version of our API will come from building it with YOU. Here’s to another great year with everyone who builds on the Twitter platform. We can’t wait to continue working with you in the new year. https://t.co/yvxdK6aOo2",
          "lang": "en",
          "hashtags": [],
          "created_at": "2019-12-31T19:26:16Z",
          "reply_to": "x:1212092627178287104"
        }"#]],
    );
}
