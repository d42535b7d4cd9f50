//! The `[ingest]` section of `config/triage.toml`.
//!
//! ```toml
//! [ingest]
//! dedup_window = 100000
//!
//! [ingest.hashtags]
//! porteouverte = ["PorteOuverte", "PortesOuvertes", "OpenDoor", "OffeneTüren"]
//!
//! [[ingest.sources]]
//! kind = "mastodon"
//! instance = "https://mastodon.social"
//! tags = ["PorteOuverte"]
//! token_env = "MASTODON_TOKEN"
//! ```

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::replay::Speed;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "environment variable `{var}` (credentials of source `{source_name}`) is not set or empty"
    )]
    MissingEnv { var: String, source_name: String },
    #[error("cannot read credentials file {path} of source `{source_name}`: {error}")]
    SecretFile {
        path: PathBuf,
        source_name: String,
        error: std::io::Error,
    },
    #[error("source `{source_name}`: {problem}")]
    Invalid {
        source_name: String,
        problem: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(source_name: &str, problem: impl Into<String>) -> Self {
        ConfigError::Invalid {
            source_name: source_name.to_owned(),
            problem: problem.into(),
        }
    }
}

/// A credential. Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that must send it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Reads a secret from an environment variable or a file (trimmed). `None` when neither is configured.
    pub fn resolve(
        env: Option<&str>,
        file: Option<&Path>,
        source_name: &str,
    ) -> Result<Option<Secret>, ConfigError> {
        match (env, file) {
            (Some(_), Some(_)) => Err(ConfigError::invalid(
                source_name,
                "set either the `_env` or the `_file` credential setting, not both",
            )),
            (Some(var), None) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(Secret(v.trim().to_owned()))),
                _ => Err(ConfigError::MissingEnv {
                    var: var.to_owned(),
                    source_name: source_name.to_owned(),
                }),
            },
            (None, Some(path)) => match std::fs::read_to_string(path) {
                Ok(v) if !v.trim().is_empty() => Ok(Some(Secret(v.trim().to_owned()))),
                Ok(_) => Err(ConfigError::invalid(
                    source_name,
                    format!("credentials file {} is empty", path.display()),
                )),
                Err(error) => Err(ConfigError::SecretFile {
                    path: path.to_path_buf(),
                    source_name: source_name.to_owned(),
                    error,
                }),
            },
            (None, None) => Ok(None),
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Hashtag groups: a name and its variants (`porteouverte = ["PorteOuverte", "PortesOuvertes", ...]`).
/// Configuring any variant (or the group name) as a source tag brings in the whole group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HashtagGroups(pub BTreeMap<String, Vec<String>>);

impl Default for HashtagGroups {
    fn default() -> Self {
        let group = |name: &str, tags: &[&str]| {
            (
                name.to_owned(),
                tags.iter().map(|t| (*t).to_owned()).collect(),
            )
        };
        HashtagGroups(BTreeMap::from([
            group(
                "porteouverte",
                &[
                    "PorteOuverte",
                    "PortesOuvertes",
                    "OpenDoor",
                    "OffeneTüren",
                    "PuertasAbiertas",
                ],
            ),
            group(
                "rechercheparis",
                &["RechercheParis", "RecherchesParis", "ParisMissing"],
            ),
            group(
                "prayforparis",
                &["PrayForParis", "PrayersForParis", "PriezPourParis"],
            ),
        ]))
    }
}

/// `[ingest]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Hashtag groups; defaults to porteouverte, rechercheparis, prayforparis.
    #[serde(default)]
    pub hashtags: HashtagGroups,
    /// How many recent event ids (per version) are remembered to drop duplicates, shared by all sources.
    #[serde(default = "default_dedup_window")]
    pub dedup_window: usize,
    #[serde(default)]
    pub sources: Vec<SourceConfig>,
}

const fn default_dedup_window() -> usize {
    100_000
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            hashtags: HashtagGroups::default(),
            dedup_window: default_dedup_window(),
            sources: Vec::new(),
        }
    }
}

impl IngestConfig {
    /// The same settings with other sources (e.g. the ad-hoc ones from [`crate::sources_from_args`]).
    pub fn with_sources(mut self, sources: Vec<SourceConfig>) -> Self {
        self.sources = sources;
        self
    }

    /// Cross-field checks that serde cannot express. Does not read credentials.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.dedup_window == 0 {
            return Err(ConfigError::invalid(
                "ingest",
                "dedup_window must be at least 1",
            ));
        }
        let mut names = HashSet::new();
        for (i, source) in self.sources.iter().enumerate() {
            let name = source.name(i);
            if !names.insert(name.clone()) {
                return Err(ConfigError::invalid(
                    &name,
                    "two sources have this name; set `name` to tell them apart",
                ));
            }
            source.validate(&name)?;
        }
        Ok(())
    }
}

/// One `[[ingest.sources]]` entry.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SourceConfig {
    Mastodon(MastodonConfig),
    Bluesky(BlueskyConfig),
    X(XConfig),
    Replay(ReplayConfig),
    Webhook(WebhookConfig),
}

impl SourceConfig {
    /// A replay of `path` (`-` for stdin) at `speed` (`max`, or a real-time factor; `None` is `max`). An
    /// unreadable speed is reported and replaced by `max` (parse it with [`Speed`]'s `FromStr` to refuse it).
    pub fn replay(path: impl Into<PathBuf>, speed: Option<impl ToString>) -> SourceConfig {
        let mut c = ReplayConfig::new(path);
        if let Some(s) = speed {
            let s = s.to_string();
            match s.parse::<Speed>() {
                Ok(speed) => c.speed = speed,
                Err(e) => {
                    tracing::warn!(error = %e, "replay speed not understood; replaying at max speed")
                }
            }
        }
        SourceConfig::Replay(c)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            SourceConfig::Mastodon(_) => "mastodon",
            SourceConfig::Bluesky(_) => "bluesky",
            SourceConfig::X(_) => "x",
            SourceConfig::Replay(_) => "replay",
            SourceConfig::Webhook(_) => "webhook",
        }
    }

    /// The source's name: its `name` setting, or `<kind>:<host or file>`; `index` breaks ties for webhooks.
    pub fn name(&self, index: usize) -> String {
        let explicit = match self {
            SourceConfig::Mastodon(c) => &c.name,
            SourceConfig::Bluesky(c) => &c.name,
            SourceConfig::X(c) => &c.name,
            SourceConfig::Replay(c) => &c.name,
            SourceConfig::Webhook(c) => &c.name,
        };
        if let Some(name) = explicit {
            return name.clone();
        }
        match self {
            SourceConfig::Mastodon(c) => {
                format!("mastodon:{}", c.instance.host_str().unwrap_or("?"))
            }
            SourceConfig::Bluesky(c) => format!("bluesky:{}", c.endpoint.host_str().unwrap_or("?")),
            SourceConfig::X(c) => format!("x:{}", c.endpoint.host_str().unwrap_or("?")),
            SourceConfig::Replay(c) => format!("replay:{}", c.path.display()),
            SourceConfig::Webhook(_) => format!("webhook:{index}"),
        }
    }

    fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let http = |u: &Url, what: &str| {
            if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() {
                Ok(())
            } else {
                Err(ConfigError::invalid(
                    name,
                    format!("{what} `{u}` must be an http(s) URL"),
                ))
            }
        };
        match self {
            SourceConfig::Mastodon(c) => {
                http(&c.instance, "instance")?;
                if let Some(s) = &c.streaming_url {
                    http(s, "streaming_url")?;
                }
                if c.limit == 0 || c.limit > 40 {
                    return Err(ConfigError::invalid(
                        name,
                        "limit must be within 1..=40 (Mastodon's maximum)",
                    ));
                }
                if c.streaming == Some(true) && c.token_env.is_none() && c.token_file.is_none() {
                    return Err(ConfigError::invalid(
                        name,
                        "streaming needs a token (token_env or token_file)",
                    ));
                }
            }
            SourceConfig::Bluesky(c) => {
                if !matches!(c.endpoint.scheme(), "ws" | "wss") {
                    return Err(ConfigError::invalid(
                        name,
                        format!("endpoint `{}` must be a ws(s) URL", c.endpoint),
                    ));
                }
            }
            SourceConfig::X(c) => {
                http(&c.endpoint, "endpoint")?;
                if c.bearer_env.is_none() && c.bearer_file.is_none() {
                    return Err(ConfigError::invalid(
                        name,
                        "X needs a bearer token (bearer_env or bearer_file)",
                    ));
                }
                if c.backfill_minutes > 5 {
                    return Err(ConfigError::invalid(
                        name,
                        "backfill_minutes must be within 0..=5",
                    ));
                }
            }
            SourceConfig::Replay(_) => {}
            SourceConfig::Webhook(c) => {
                if c.token_env.is_none() && c.token_file.is_none() && !c.allow_anonymous {
                    return Err(ConfigError::invalid(
                        name,
                        "a webhook needs a bearer token (token_env or token_file), or allow_anonymous = true",
                    ));
                }
                if c.max_body_bytes == 0 || c.max_posts == 0 {
                    return Err(ConfigError::invalid(
                        name,
                        "max_body_bytes and max_posts must be at least 1",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `kind = "mastodon"`: the hashtag timelines of one instance.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MastodonConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// `https://mastodon.social`.
    pub instance: Url,
    /// Tags to follow (with or without `#`); each brings in its hashtag group. Empty: every group.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Use the streaming API (needs a token). Default: on when a token is configured.
    #[serde(default)]
    pub streaming: Option<bool>,
    /// Base URL of the streaming API when it is not the instance (see `/api/v1/instance` `urls.streaming_api`).
    #[serde(default)]
    pub streaming_url: Option<Url>,
    /// Statuses per page, at most 40.
    #[serde(default = "default_mastodon_limit")]
    pub limit: u32,
    /// Pause between two polls of a caught-up tag timeline (REST mode).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// No byte for this long on the stream (Mastodon sends `:thump` every 15 s) means it is dead: reconnect.
    #[serde(default = "default_heartbeat_timeout_ms")]
    pub heartbeat_timeout_ms: u64,
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Longest wait for `X-RateLimit-Reset` (guards against a clock far off or a hostile header).
    #[serde(default = "default_rate_limit_max_wait_ms")]
    pub rate_limit_max_wait_ms: u64,
}

const fn default_mastodon_limit() -> u32 {
    40
}
const fn default_poll_interval_ms() -> u64 {
    5_000
}
const fn default_heartbeat_timeout_ms() -> u64 {
    45_000
}
const fn default_backoff_base_ms() -> u64 {
    1_000
}
const fn default_backoff_max_ms() -> u64 {
    60_000
}
const fn default_rate_limit_max_wait_ms() -> u64 {
    15 * 60 * 1_000
}

impl MastodonConfig {
    pub fn new(instance: Url) -> Self {
        MastodonConfig {
            name: None,
            instance,
            tags: Vec::new(),
            token_env: None,
            token_file: None,
            streaming: None,
            streaming_url: None,
            limit: default_mastodon_limit(),
            poll_interval_ms: default_poll_interval_ms(),
            heartbeat_timeout_ms: default_heartbeat_timeout_ms(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
            rate_limit_max_wait_ms: default_rate_limit_max_wait_ms(),
        }
    }
}

/// `kind = "bluesky"`: a Jetstream instance.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueskyConfig {
    #[serde(default)]
    pub name: Option<String>,
    /// `wss://jetstream2.us-east.bsky.network` (the `/subscribe` path is added).
    #[serde(default = "default_jetstream")]
    pub endpoint: Url,
    /// Tags to keep; empty: every group.
    #[serde(default)]
    pub tags: Vec<String>,
    /// How far before the highest `time_us` seen to resume (Jetstream events are not strictly ordered).
    #[serde(default = "default_rewind_ms")]
    pub rewind_ms: u64,
    /// No message for this long means the connection is dead: reconnect.
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// Save the cursor at most this often (and always on shutdown).
    #[serde(default = "default_cursor_interval_ms")]
    pub cursor_interval_ms: u64,
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
}

fn default_jetstream() -> Url {
    Url::parse("wss://jetstream2.us-east.bsky.network").expect("constant URL parses")
}
const fn default_rewind_ms() -> u64 {
    5_000
}
const fn default_idle_timeout_ms() -> u64 {
    30_000
}
const fn default_cursor_interval_ms() -> u64 {
    1_000
}

impl BlueskyConfig {
    pub fn new(endpoint: Url) -> Self {
        BlueskyConfig {
            name: None,
            endpoint,
            tags: Vec::new(),
            rewind_ms: default_rewind_ms(),
            idle_timeout_ms: default_idle_timeout_ms(),
            cursor_interval_ms: default_cursor_interval_ms(),
            backoff_base_ms: default_backoff_base_ms(),
            backoff_max_ms: default_backoff_max_ms(),
        }
    }
}

/// One filtered-stream rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XRule {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// `kind = "x"`: the X API v2 filtered stream.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XConfig {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default = "default_x_endpoint")]
    pub endpoint: Url,
    /// Tags to follow; each brings in its group. Empty: every group. Ignored when `rules` is set.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub bearer_env: Option<String>,
    #[serde(default)]
    pub bearer_file: Option<PathBuf>,
    /// Explicit rules; by default one rule per hashtag group, `#A OR #B ...` (split to fit `max_rule_len`).
    #[serde(default)]
    pub rules: Option<Vec<XRule>>,
    /// Appended to generated rules, e.g. `-is:retweet`.
    #[serde(default)]
    pub rule_suffix: Option<String>,
    /// Longest rule value (512 on the self-serve tiers, 1024 on Pro).
    #[serde(default = "default_max_rule_len")]
    pub max_rule_len: usize,
    /// Minutes of missed posts to ask for on reconnect (`backfill_minutes`, Pro/Enterprise only); 0 = off.
    #[serde(default)]
    pub backfill_minutes: u8,
    /// X sends a `\r\n` keep-alive every 20 s; this much silence means the stream stalled.
    #[serde(default = "default_silence_timeout_ms")]
    pub silence_timeout_ms: u64,
    /// Network errors: linear backoff, +250 ms per attempt up to 16 s (X's documented schedule).
    #[serde(default = "default_net_step_ms")]
    pub network_backoff_step_ms: u64,
    #[serde(default = "default_net_max_ms")]
    pub network_backoff_max_ms: u64,
    /// HTTP errors: exponential from 5 s up to 320 s.
    #[serde(default = "default_http_base_ms")]
    pub http_backoff_base_ms: u64,
    #[serde(default = "default_http_max_ms")]
    pub http_backoff_max_ms: u64,
    /// HTTP 429: exponential from 60 s. X documents no ceiling; ours is 960 s (60 s × 2⁴).
    #[serde(default = "default_rate_base_ms")]
    pub rate_limit_backoff_base_ms: u64,
    #[serde(default = "default_rate_max_ms")]
    pub rate_limit_backoff_max_ms: u64,
}

fn default_x_endpoint() -> Url {
    Url::parse("https://api.x.com").expect("constant URL parses")
}
const fn default_max_rule_len() -> usize {
    512
}
const fn default_silence_timeout_ms() -> u64 {
    20_000
}
const fn default_net_step_ms() -> u64 {
    250
}
const fn default_net_max_ms() -> u64 {
    16_000
}
const fn default_http_base_ms() -> u64 {
    5_000
}
const fn default_http_max_ms() -> u64 {
    320_000
}
const fn default_rate_base_ms() -> u64 {
    60_000
}
const fn default_rate_max_ms() -> u64 {
    960_000
}

impl XConfig {
    pub fn new(endpoint: Url) -> Self {
        XConfig {
            name: None,
            endpoint,
            tags: Vec::new(),
            bearer_env: None,
            bearer_file: None,
            rules: None,
            rule_suffix: None,
            max_rule_len: default_max_rule_len(),
            backfill_minutes: 0,
            silence_timeout_ms: default_silence_timeout_ms(),
            network_backoff_step_ms: default_net_step_ms(),
            network_backoff_max_ms: default_net_max_ms(),
            http_backoff_base_ms: default_http_base_ms(),
            http_backoff_max_ms: default_http_max_ms(),
            rate_limit_backoff_base_ms: default_rate_base_ms(),
            rate_limit_backoff_max_ms: default_rate_max_ms(),
        }
    }
}

/// `kind = "replay"`: a JSONL file (or `-` for stdin) of normalized events or raw platform JSON.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayConfig {
    #[serde(default)]
    pub name: Option<String>,
    pub path: PathBuf,
    /// `"max"` or a real-time factor (`1` = as posted, `10` = ten times faster).
    #[serde(default)]
    pub speed: Speed,
    /// Show a progress bar on stderr (only when it is a terminal).
    #[serde(default = "default_true")]
    pub progress: bool,
    /// Resume from the last acknowledged line on restart (cursor `replay:<path>`). Off: replay the whole file.
    #[serde(default)]
    pub resume: bool,
}

const fn default_true() -> bool {
    true
}

impl ReplayConfig {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ReplayConfig {
            name: None,
            path: path.into(),
            speed: Speed::Max,
            progress: true,
            resume: false,
        }
    }
}

/// `kind = "webhook"`: `POST /ingest`, mounted by the gateway (or served by `triage ingest --listen`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Accept requests without a bearer token (only on a trusted network).
    #[serde(default)]
    pub allow_anonymous: bool,
    #[serde(default = "default_max_body_bytes")]
    pub max_body_bytes: usize,
    #[serde(default = "default_max_posts")]
    pub max_posts: usize,
    /// Where `triage ingest --source webhook` listens when it serves the router itself.
    #[serde(default)]
    pub listen: Option<String>,
}

const fn default_max_body_bytes() -> usize {
    1024 * 1024
}
const fn default_max_posts() -> usize {
    1_000
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            name: None,
            token_env: None,
            token_file: None,
            allow_anonymous: false,
            max_body_bytes: default_max_body_bytes(),
            max_posts: default_max_posts(),
            listen: None,
        }
    }
}
