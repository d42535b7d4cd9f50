//! Routes, authentication, errors and layers.

use std::{collections::HashMap, fmt::Write as _, sync::atomic::Ordering};

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use chrono::Utc;
use serde_json::json;
use tower_http::{
    cors::{AllowOrigin, Any, CorsLayer},
    limit::RequestBodyLimitLayer,
    trace::TraceLayer,
};
use triage_model::Class;

use crate::{
    Gateway, Guard, assets, feed, geojson, missing, posts,
    view::{Filters, PostView},
};

/// An API error: a status and a JSON body `{"error": code, "message": text}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "bad_request",
            message: message.into(),
        }
    }
    fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }
    fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "error": self.code, "message": self.message }));
        let mut response = (self.status, body).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"triage\""),
            );
        }
        response
    }
}

/// Whether the request proved it holds the token. `Ok(true)` also when no token is configured (open).
fn authorize(gw: &Gateway, headers: &HeaderMap) -> Result<(), ApiError> {
    match &gw.inner.guard {
        Guard::Open => Ok(()),
        Guard::Broken(why) => Err(ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "token_unavailable",
            message: format!(
                "this endpoint needs a token, and the gateway's token is unavailable: {why}"
            ),
        }),
        Guard::Token(secret) => {
            let presented = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
                .map(str::trim);
            match presented {
                Some(token) if secret.matches(token) => Ok(()),
                Some(_) => Err(ApiError {
                    status: StatusCode::UNAUTHORIZED,
                    code: "unauthorized",
                    message: "the bearer token is not valid".into(),
                }),
                None => Err(ApiError {
                    status: StatusCode::UNAUTHORIZED,
                    code: "unauthorized",
                    message: "this endpoint needs `Authorization: Bearer <token>` (the gateway's configured token)"
                        .into(),
                }),
            }
        }
    }
}

fn parse_bool(name: &str, v: Option<&String>) -> Result<Option<bool>, ApiError> {
    match v.map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if matches!(s.as_str(), "1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some(s) if matches!(s.as_str(), "0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(s) => Err(ApiError::bad_request(format!(
            "{name} `{s}` must be true or false"
        ))),
    }
}

type Params = Query<HashMap<String, String>>;

fn filters(p: &HashMap<String, String>) -> Result<Filters, ApiError> {
    let g = |k: &str| p.get(k).map(String::as_str);
    Filters::parse(g("lang"), g("tag"), g("min_confidence"), g("bbox"), g("q"))
        .map_err(ApiError::bad_request)
}

fn parse_class(s: &str) -> Result<Class, ApiError> {
    s.parse::<Class>()
        .map_err(|e| ApiError::not_found(e.to_string()))
}

/// `redact=false` asks for unredacted data: only with the token.
fn wants_unredacted(
    gw: &Gateway,
    headers: &HeaderMap,
    p: &HashMap<String, String>,
) -> Result<bool, ApiError> {
    if parse_bool("redact", p.get("redact"))? == Some(false) {
        authorize(gw, headers)?;
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Where a feed starts: after `Last-Event-ID` (header, else `last_event_id` parameter), else the `backlog`.
fn feed_start(
    gw: &Gateway,
    p: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Result<feed::Start, ApiError> {
    let last_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(p.get("last_event_id").map(String::as_str))
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Ok(match last_id {
        Some(id) => feed::Start::After(id.parse().map_err(|_| {
            ApiError::bad_request(format!("Last-Event-ID `{id}` is not an event id"))
        })?),
        None => {
            let backlog = match p.get("backlog") {
                Some(b) => b
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| ApiError::bad_request("backlog must be a count"))?,
                None => gw.inner.config.feed_backlog,
            };
            feed::Start::Backlog(backlog.min(gw.inner.config.feed_buffer))
        }
    })
}

fn feed_response(
    gw: Gateway,
    classes: Vec<Class>,
    filters: Filters,
    start: feed::Start,
) -> Response {
    let mut response = feed::sse(gw, classes, filters, start).into_response();
    // Proxies (nginx) buffer responses by default, which would hold SSE events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

async fn feed_handler(
    State(gw): State<Gateway>,
    Path(class): Path<String>,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let class = parse_class(&class)?;
    let filters = filters(&p)?;
    let start = feed_start(&gw, &p, &headers)?;
    Ok(feed_response(gw, vec![class], filters, start))
}

/// `GET /api/feed?classes=offer,request`: several classes on one stream (all six, noise included, when
/// `classes` is absent or empty).
async fn multi_feed_handler(
    State(gw): State<Gateway>,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let mut classes = match p.get("classes") {
        Some(list) => posts::parse_classes(list)
            .map_err(|e| ApiError::bad_request(format!("classes: {e}")))?,
        None => Vec::new(),
    };
    if classes.is_empty() {
        classes = Class::ALL.to_vec();
    }
    classes.sort_unstable_by_key(|c| c.index());
    classes.dedup();
    let filters = filters(&p)?;
    let start = feed_start(&gw, &p, &headers)?;
    Ok(feed_response(gw, classes, filters, start))
}

async fn offers_handler(State(gw): State<Gateway>) -> Response {
    let cfg = &gw.inner.config;
    let body = geojson::offers(&gw.read(), Utc::now(), cfg.offer_ttl, cfg.offer_ttl_from);
    (
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    )
        .into_response()
}

async fn missing_json(State(gw): State<Gateway>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&gw, &headers)?;
    let unredacted = matches!(gw.inner.guard, Guard::Token(_));
    let export = missing::export(&gw.read(), &gw.inner.config.pfif_domain, unredacted);
    Ok(Json(export).into_response())
}

async fn missing_pfif(State(gw): State<Gateway>, headers: HeaderMap) -> Result<Response, ApiError> {
    authorize(&gw, &headers)?;
    // Unredacted only behind a real token: with no token configured the data is public, so redact it.
    let unredacted = matches!(gw.inner.guard, Guard::Token(_));
    let export = missing::export(&gw.read(), &gw.inner.config.pfif_domain, unredacted);
    let xml =
        missing::to_pfif(&export).map_err(|e| ApiError::internal(format!("writing PFIF: {e}")))?;
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

async fn posts_handler(
    State(gw): State<Gateway>,
    Query(p): Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cfg = &gw.inner.config;
    let unredacted = wants_unredacted(&gw, &headers, &p)?;
    let limit = match p.get("limit").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => cfg.posts_limit_max.min(1000),
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("limit `{s}` must be a count")))?
            .min(cfg.posts_limit_max),
    };
    let query = posts::Query {
        classes: p
            .get("class")
            .map(|s| posts::parse_classes(s))
            .transpose()
            .map_err(ApiError::bad_request)?
            .unwrap_or_default(),
        include_noise: parse_bool("include_noise", p.get("include_noise"))?.unwrap_or(false),
        filters: filters(&p)?,
        since: p
            .get("since")
            .filter(|s| !s.is_empty())
            .map(|s| posts::parse_time("since", s))
            .transpose()
            .map_err(ApiError::bad_request)?,
        until: p
            .get("until")
            .filter(|s| !s.is_empty())
            .map(|s| posts::parse_time("until", s))
            .transpose()
            .map_err(ApiError::bad_request)?,
        limit,
    };
    let format = p
        .get("format")
        .map(|s| s.trim().to_ascii_lowercase())
        .unwrap_or_else(|| "json".into());
    let store = gw.read();
    let (hits, truncated) = posts::search(&store, &query);
    match format.as_str() {
        "json" => {
            let posts: Vec<PostView<'_>> = hits
                .iter()
                .map(|e| PostView::new(e, store.handled(&e.record.id), !unredacted))
                .collect();
            let body = json!({ "count": posts.len(), "truncated": truncated, "posts": posts });
            Ok(Json(body).into_response())
        }
        "csv" => {
            let csv = posts::to_csv(&store, &hits, !unredacted)
                .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"triage-posts.csv\"",
                    ),
                ],
                csv,
            )
                .into_response())
        }
        other => Err(ApiError::bad_request(format!(
            "format `{other}` must be json or csv"
        ))),
    }
}

async fn handled_set(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    set_handled(gw, id, headers, true)
}

async fn handled_unset(
    State(gw): State<Gateway>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    set_handled(gw, id, headers, false)
}

fn set_handled(
    gw: Gateway,
    id: String,
    headers: HeaderMap,
    handled: bool,
) -> Result<Response, ApiError> {
    authorize(&gw, &headers)?;
    let mark = gw
        .write()
        .set_handled(&id, handled)
        .ok_or_else(|| ApiError::not_found(format!("no post `{id}`")))?;
    metrics::counter!("triage_gateway_handled_total", "handled" => if handled { "true" } else { "false" }).increment(1);
    Ok(Json(json!({ "id": id, "handled": mark.handled, "at": mark.at })).into_response())
}

async fn config_handler(State(gw): State<Gateway>) -> Response {
    let c = &gw.inner.config;
    Json(json!({
        "tiles": c.tiles,
        "tiles_attribution": c.tiles_attribution,
        "map_center": c.map_center,
        "map_zoom": c.map_zoom,
        "classes": Class::ALL,
        "token_required": !matches!(gw.inner.guard, Guard::Open),
    }))
    .into_response()
}

async fn healthz(State(gw): State<Gateway>) -> Response {
    let store = gw.read();
    let offsets: serde_json::Map<String, serde_json::Value> = store
        .offsets
        .iter()
        .map(|((c, p), o)| (format!("{c}/{p}"), json!(o)))
        .collect();
    Json(json!({ "status": "ok", "records": store.len(), "offsets": offsets })).into_response()
}

async fn metrics_handler(State(gw): State<Gateway>) -> Response {
    let mut out = gw
        .inner
        .metrics_renderer
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|f| f())
        .unwrap_or_default();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    // The gateway's own gauges, computed from its state at scrape time.
    let store = gw.read();
    let _ = writeln!(
        out,
        "# HELP triage_gateway_records Records held by the gateway, by class."
    );
    let _ = writeln!(out, "# TYPE triage_gateway_records gauge");
    for class in Class::ALL {
        let _ = writeln!(
            out,
            "triage_gateway_records{{class=\"{class}\"}} {}",
            store.count(class)
        );
    }
    let _ = writeln!(
        out,
        "# HELP triage_gateway_handled Posts marked as handled."
    );
    let _ = writeln!(out, "# TYPE triage_gateway_handled gauge");
    let _ = writeln!(out, "triage_gateway_handled {}", store.handled_count());
    let _ = writeln!(
        out,
        "# HELP triage_gateway_sse_clients Connected live-feed clients."
    );
    let _ = writeln!(out, "# TYPE triage_gateway_sse_clients gauge");
    let _ = writeln!(
        out,
        "triage_gateway_sse_clients {}",
        gw.inner.sse_clients.load(Ordering::Relaxed)
    );
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

async fn not_found_api() -> ApiError {
    ApiError::not_found("no such endpoint")
}

fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            "last-event-id".parse().expect("valid header name"),
        ]);
    Some(if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        // Invalid origins were reported by GatewayConfig::validate; skip them here.
        let list: Vec<HeaderValue> = origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(AllowOrigin::list(list))
    })
}

pub(crate) fn router(gw: Gateway) -> Router {
    let api = Router::new()
        .route("/api/feed", get(multi_feed_handler))
        .route("/api/feed/{class}", get(feed_handler))
        .route("/api/offers.geojson", get(offers_handler))
        .route("/api/missing", get(missing_json))
        .route("/api/missing.pfif", get(missing_pfif))
        .route("/api/posts", get(posts_handler))
        // `{*id}`: post ids may hold `/` (Mastodon URLs); clients should still percent-encode them.
        .route(
            "/api/handled/{*id}",
            post(handled_set).delete(handled_unset),
        )
        .route("/api/config", get(config_handler))
        .route("/api/{*rest}", get(not_found_api))
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(healthz))
        .merge(assets::router())
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(TraceLayer::new_for_http());
    let api = match cors(&gw.inner.config.cors_origins) {
        Some(layer) => api.layer(layer),
        None => api,
    };
    api.with_state(gw)
}
