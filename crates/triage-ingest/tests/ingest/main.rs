//! Integration tests of the sources against local fake platform servers (127.0.0.1:0), built from the real
//! samples in `tests/fixtures/` (see PROVENANCE.md there). One test binary to keep builds lean.

mod common;

mod bluesky;
mod config;
mod cursor;
mod mastodon;
mod normalize;
mod replay;
mod webhook;
mod x;
