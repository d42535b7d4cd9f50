//! `[gateway]` in `config/triage.toml`. Every option is declared once here, with its doc and its default.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

use serde::{Deserialize, Deserializer};

/// Configuration of the HTTP gateway (`[gateway]` in `config/triage.toml`).
///
/// ```toml
/// [gateway]
/// listen = "127.0.0.1:8080"
/// offer_ttl = "6h"                 # or a number of seconds
/// tiles = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"   # "" = no tiles (points still show)
/// cors_origins = ["https://umap.example.org"]                # ["*"] = any origin
/// token_env = "TRIAGE_GATEWAY_TOKEN"
/// ```
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Address `triage serve` / `triage run` listens on.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// How long an offer stays on the map after it was posted (or edited): shelter offers go stale fast.
    /// A humantime string (`"6h"`, `"90m"`) or a number of seconds.
    #[serde(default = "default_offer_ttl", deserialize_with = "de_duration")]
    pub offer_ttl: Duration,
    /// What the offer TTL counts from: `"posted"` (the post's `edited_at`/`created_at`; right for live
    /// platforms and restarts) or `"seen"` (when the gateway received it; for replaying an old archive
    /// such as the 2015 sample stream, whose posts would all be expired otherwise).
    #[serde(default)]
    pub offer_ttl_from: TtlBasis,
    /// Map tile URL template for the dashboard (Leaflet syntax: `{z}`, `{x}`, `{y}`, optional `{s}`).
    /// Empty string: no tile layer; offers still show as circle markers on a blank map.
    #[serde(default = "default_tiles")]
    pub tiles: String,
    /// Attribution shown under the map for the tiles (tile providers require one).
    #[serde(default = "default_tiles_attribution")]
    pub tiles_attribution: String,
    /// Where the dashboard map opens: `[lat, lon]`.
    #[serde(default = "default_map_center")]
    pub map_center: [f64; 2],
    #[serde(default = "default_map_zoom")]
    pub map_zoom: u8,
    /// Origins allowed to call the API from a browser (mapping sites). Empty: no CORS headers (same-origin
    /// only). `["*"]`: any origin (credentials are never allowed cross-origin).
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// Name of the environment variable holding the API token. The token protects `/api/missing`,
    /// `/api/missing.pfif`, unredacted data (`redact=false`) and `POST /api/handled/...`.
    #[serde(default)]
    pub token_env: Option<String>,
    /// File holding the API token (first line, trimmed). Used when `token_env` is unset or empty.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// A token given directly by code (tests, the root binary). Never read from the config file: secrets
    /// do not belong in `triage.toml`.
    #[serde(skip)]
    pub token: Option<Secret>,
    /// Records kept in memory (all classes together); the oldest are forgotten first. Bounds memory.
    #[serde(default = "default_max_records")]
    pub max_records: usize,
    /// Feed events kept per class so that a client reconnecting with `Last-Event-ID` gets what it missed.
    #[serde(default = "default_feed_buffer")]
    pub feed_buffer: usize,
    /// Interval of the SSE keep-alive comments (proxies close idle connections).
    #[serde(default = "default_keep_alive", deserialize_with = "de_duration")]
    pub keep_alive: Duration,
    /// Records sent by default to a new feed client with no `Last-Event-ID` (the `backlog` parameter).
    #[serde(default)]
    pub feed_backlog: usize,
    /// Largest `limit` accepted by `/api/posts`.
    #[serde(default = "default_posts_limit_max")]
    pub posts_limit_max: usize,
    /// Domain part of PFIF record ids (`<domain>/<post id>`): the home repository of the records.
    #[serde(default = "default_pfif_domain")]
    pub pfif_domain: String,
}

/// What an offer's time to live counts from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TtlBasis {
    #[default]
    Posted,
    Seen,
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
const fn default_offer_ttl() -> Duration {
    Duration::from_secs(6 * 3600)
}
fn default_tiles() -> String {
    "https://tile.openstreetmap.org/{z}/{x}/{y}.png".to_owned()
}
fn default_tiles_attribution() -> String {
    "© OpenStreetMap contributors".to_owned()
}
const fn default_map_center() -> [f64; 2] {
    [48.8566, 2.3522]
}
const fn default_map_zoom() -> u8 {
    12
}
const fn default_max_records() -> usize {
    200_000
}
const fn default_feed_buffer() -> usize {
    1_000
}
const fn default_keep_alive() -> Duration {
    Duration::from_secs(15)
}
const fn default_posts_limit_max() -> usize {
    10_000
}
fn default_pfif_domain() -> String {
    "triage.invalid".to_owned()
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: default_listen(),
            offer_ttl: default_offer_ttl(),
            offer_ttl_from: TtlBasis::default(),
            tiles: default_tiles(),
            tiles_attribution: default_tiles_attribution(),
            map_center: default_map_center(),
            map_zoom: default_map_zoom(),
            cors_origins: Vec::new(),
            token_env: None,
            token_file: None,
            token: None,
            max_records: default_max_records(),
            feed_buffer: default_feed_buffer(),
            keep_alive: default_keep_alive(),
            feed_backlog: 0,
            posts_limit_max: default_posts_limit_max(),
            pfif_domain: default_pfif_domain(),
        }
    }
}

/// Why the gateway's configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "gateway.token_env names `{0}` but that environment variable is unset or empty: set it, or remove token_env"
    )]
    TokenEnvMissing(String),
    #[error("cannot read gateway.token_file `{path}`: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("gateway.token_file `{0}` is empty")]
    TokenFileEmpty(PathBuf),
    #[error("gateway.{field} is invalid: {reason}")]
    Invalid { field: &'static str, reason: String },
}

impl GatewayConfig {
    /// Reads the token (from `token`, else `token_env`, else `token_file`) and checks cross-field rules.
    /// Returns `None` when no token is configured: the protected endpoints are then open.
    pub fn resolve_token(&self) -> Result<Option<Secret>, ConfigError> {
        if let Some(token) = &self.token {
            return Ok(Some(token.clone()));
        }
        if let Some(var) = self.token_env.as_deref().filter(|v| !v.is_empty()) {
            match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => return Ok(Some(Secret::new(v.trim()))),
                // Fall back to the file if there is one: the env var may be meant for another deployment.
                _ if self.token_file.is_some() => {}
                _ => return Err(ConfigError::TokenEnvMissing(var.to_owned())),
            }
        }
        if let Some(path) = &self.token_file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::TokenFile {
                path: path.clone(),
                source,
            })?;
            let first = text.lines().next().unwrap_or("").trim();
            if first.is_empty() {
                return Err(ConfigError::TokenFileEmpty(path.clone()));
            }
            return Ok(Some(Secret::new(first)));
        }
        Ok(None)
    }

    /// Cross-field checks (values serde cannot check alone).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |field, reason: &str| ConfigError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if self.max_records == 0 {
            return Err(invalid("max_records", "must be at least 1"));
        }
        if self.feed_buffer == 0 {
            return Err(invalid(
                "feed_buffer",
                "must be at least 1 (Last-Event-ID resume needs it)",
            ));
        }
        if self.keep_alive.is_zero() {
            return Err(invalid("keep_alive", "must be more than 0s"));
        }
        let [lat, lon] = self.map_center;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(invalid(
                "map_center",
                "must be [lat, lon] within [-90..90, -180..180]",
            ));
        }
        if self.pfif_domain.is_empty() || self.pfif_domain.contains('/') {
            return Err(invalid("pfif_domain", "must be a domain name without `/`"));
        }
        let http = self.tiles.starts_with("https://") || self.tiles.starts_with("http://");
        if !self.tiles.is_empty() && !http {
            return Err(invalid("tiles", "must be an http(s) URL template or empty"));
        }
        for origin in &self.cors_origins {
            if origin != "*" && axum::http::HeaderValue::from_str(origin).is_err() {
                return Err(ConfigError::Invalid {
                    field: "cors_origins",
                    reason: format!("`{origin}` is not a valid origin"),
                });
            }
        }
        Ok(())
    }
}

/// A secret string: never printed, compared in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison (for equal lengths), so that response timing does not leak the token.
    pub fn matches(&self, candidate: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), candidate.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Accepts `"6h"`, `"90m"`, `"1h 30m"` (humantime) or a number of seconds.
fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }
    match Raw::deserialize(d)? {
        Raw::Secs(s) => Ok(Duration::from_secs(s)),
        Raw::Text(t) => humantime::parse_duration(t.trim()).map_err(|e| {
            serde::de::Error::custom(format!(
                "`{t}` is not a duration (e.g. \"6h\", \"90m\", 3600): {e}"
            ))
        }),
    }
}
