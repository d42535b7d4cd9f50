#!/usr/bin/env python3
"""Checks the bundled sample stream against the wire format of `RawEvent` (crates/triage-model/src/post.rs).

    python3 config/samples/check.py [FILE.jsonl [LABELS.tsv]]

Exits non-zero with the line number and the reason on the first problem. Python 3 standard library only.
"""

import json
import os
import re
import sys
from collections import Counter
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = {"mastodon", "bluesky", "x", "webhook", "file", "sample"}
CLASSES = ("offer", "request", "missing", "support", "info", "noise")
POST_KEYS = {"kind", "v", "id", "source", "url", "author", "text", "lang", "hashtags", "created_at", "edited_at",
             "repost_of", "reply_to", "media"}
POST_REQUIRED = {"v", "id", "source", "author", "text", "created_at"}
AUTHOR_KEYS = {"id", "handle", "name"}
MEDIA_KEYS = {"url", "kind", "description"}
TOMBSTONE_KEYS = {"kind", "v", "id", "source", "deleted_at"}
SEED_OFFERS = ["Rue Castagnary je peux encore héberger du monde", "je peux ouvrir mon appart dans le 20e",
               "si quelqu’un cherche un abri vers Belleville, prévenez-moi"]
# Contact data must be fictional: numbers from ranges reserved for fiction, emails and media on example.org.
PHONE_OK = re.compile(r"06 39 98 \d\d \d\d|01 99 00 \d\d \d\d|\+44 7700 900\d{3}")
PHONE_ANY = re.compile(r"(?<![\w/])(?:\+\d[\d ]{8,}\d|0\d(?:[ .]?\d\d){4})(?!\w)")
EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+\w+")
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def ts(value, what, n):
    if not isinstance(value, str) or not RFC3339.match(value):
        fail(n, f"{what} is not an RFC 3339 timestamp: {value!r}")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def fail(n, msg):
    sys.exit(f"line {n}: {msg}")


def check(path, labels_path):
    posts, order, last = {}, [], None
    langs, tombstones = Counter(), 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                ev = json.loads(line)
            except json.JSONDecodeError as e:
                fail(n, f"not JSON: {e}")
            if not isinstance(ev, dict):
                fail(n, "not a JSON object")
            kind = ev.get("kind", "post")
            if ev.get("v") != 1:
                fail(n, "v must be 1")
            src = ev.get("source")
            if src not in SOURCES:
                fail(n, f"unknown source {src!r}")
            pid = ev.get("id")
            if not isinstance(pid, str) or not pid.startswith(src + ":") or len(pid) == len(src) + 1:
                fail(n, f"id {pid!r} is not `{src}:<native id>`")
            if kind == "tombstone":
                if set(ev) != TOMBSTONE_KEYS:
                    fail(n, f"tombstone fields {sorted(ev)}")
                t = ts(ev["deleted_at"], "deleted_at", n)
                if pid not in posts:
                    fail(n, f"tombstone for {pid} comes before (or without) its post")
                if t < posts[pid]:
                    fail(n, "deleted before it was created")
                tombstones += 1
            elif kind == "post":
                unknown = set(ev) - POST_KEYS
                if unknown:
                    fail(n, f"unknown fields {sorted(unknown)}")
                missing = POST_REQUIRED - set(ev)
                if missing:
                    fail(n, f"missing fields {sorted(missing)}")
                a = ev["author"]
                if not isinstance(a, dict) or set(a) - AUTHOR_KEYS or not isinstance(a.get("handle"), str):
                    fail(n, f"bad author {a!r}")
                if not all(isinstance(a[k], str) for k in a):
                    fail(n, "author fields must be strings")
                text = ev["text"]
                if not isinstance(text, str) or not text.strip():
                    fail(n, "empty text")
                for h in ev.get("hashtags", []):
                    if not isinstance(h, str) or h.startswith("#") or ("#" + h) not in text:
                        fail(n, f"hashtag {h!r} not written in the text")
                for k in ("url", "lang", "repost_of", "reply_to"):
                    if k in ev and not isinstance(ev[k], str):
                        fail(n, f"{k} must be a string")
                for k in ("repost_of", "reply_to"):
                    if k in ev and ev[k] not in posts:
                        fail(n, f"{k} refers to {ev[k]}, not an earlier post")
                for m in ev.get("media", []):
                    if set(m) - MEDIA_KEYS or not m.get("url", "").startswith("https://example.org/"):
                        fail(n, f"bad media {m!r}")
                for num in PHONE_ANY.findall(text):
                    if not PHONE_OK.fullmatch(num.strip()):
                        fail(n, f"phone number {num!r} is not from a fictional range")
                for m in EMAIL.finditer(text):
                    if not m.group(0).endswith("@example.org"):
                        fail(n, f"email {m.group(0)!r} is not on example.org")
                t = ts(ev["created_at"], "created_at", n)
                if pid in posts:
                    fail(n, f"duplicate id {pid}")
                posts[pid] = t
                order.append(pid)
                langs[ev.get("lang")] += 1
            else:
                fail(n, f"unknown kind {kind!r}")
            when = t
            if last is not None and when < last:
                fail(n, "lines are not sorted by time")
            last = when
    texts = open(path, encoding="utf-8").read()
    for s in SEED_OFFERS:
        if s not in texts:
            sys.exit(f"seed offer missing: {s}")
    labels = {}
    with open(labels_path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        if header != "id\texpected_class":
            sys.exit(f"{labels_path}: bad header {header!r}")
        for n, line in enumerate(f, 2):
            pid, _, cls = line.rstrip("\n").partition("\t")
            if cls not in CLASSES:
                sys.exit(f"{labels_path}:{n}: unknown class {cls!r}")
            if pid in labels:
                sys.exit(f"{labels_path}:{n}: duplicate id {pid}")
            if pid not in posts:
                sys.exit(f"{labels_path}:{n}: {pid} is not a post of the stream")
            labels[pid] = cls
    unlabeled = [p for p in order if p not in labels]
    if unlabeled:
        sys.exit(f"{len(unlabeled)} posts without a label, e.g. {unlabeled[0]}")
    by_cls = Counter(labels.values())
    for c in CLASSES:
        if by_cls[c] == 0:
            sys.exit(f"no post of class {c}")
    print(f"ok: {len(posts)} posts, {tombstones} tombstones, classes {dict(by_cls)}")
    print(f"declared lang: {dict(langs.most_common())}")


if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "paris-2015-11-13.jsonl")
    labels = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "labels.tsv")
    check(path, labels)
