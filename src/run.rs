//! Running stages: all of them (`triage run`) or one (`triage ingest|classify|serve|broker|tail`).

use std::{sync::Arc, time::Duration};

use anyhow::{Context, bail};
use tokio_util::sync::CancellationToken;
use triage_broker::{EmbeddedBroker, EmbeddedBrokerConfig, Storage};
use triage_bus::{
    Bus, Producer,
    transform::{TransformOptions, TransformStats, run_transform},
};
use triage_classify::{Classifier, Deduper};
use triage_gateway::Gateway;
use triage_model::{ClassEvent, ClassifiedRecord};

use crate::{
    cli::{BrokerArgs, ClassifyArgs, RunArgs, ServeArgs, TailArgs, TailFormat},
    config::TriageConfig,
    stages::{
        classify::ClassifyStage,
        gateway::feed_gateway,
        ingest::{KafkaCursorStore, KafkaRawSink},
    },
};

/// Cancelled on SIGINT or SIGTERM.
fn shutdown_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let t = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::error!(error = %e, "cannot listen for SIGTERM");
                        let _ = ctrl_c.await;
                        t.cancel();
                        return;
                    }
                };
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutdown requested: finishing in-flight work");
        t.cancel();
    });
    token
}

/// The bus for configured brokers, or None when the embedded broker should be used.
pub fn external_bus(config: &TriageConfig) -> Option<Bus> {
    let brokers = config.kafka.brokers.trim();
    (!brokers.is_empty()).then(|| Bus::new(config.kafka.clone(), brokers))
}

fn require_bus(config: &TriageConfig, what: &str) -> anyhow::Result<Bus> {
    external_bus(config).with_context(|| {
        format!("`triage {what}` alone needs Kafka: pass --brokers host:port (or run `triage broker`, or `triage run` for everything in one process)")
    })
}

fn start_embedded(
    config: &TriageConfig,
    port: Option<u16>,
    storage: Option<&str>,
) -> anyhow::Result<EmbeddedBroker> {
    let storage = match storage.unwrap_or(&config.broker.storage) {
        "sqlite" => Storage::Sqlite(config.broker.data_dir.clone()),
        "memory" => Storage::Memory,
        other => bail!("unknown broker storage `{other}` (expected sqlite or memory)"),
    };
    let mut port = port.unwrap_or(config.broker.port);
    if port != 0 && std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        tracing::warn!(
            port,
            "port in use: the embedded broker takes a free port instead"
        );
        port = 0;
    }
    EmbeddedBroker::start(EmbeddedBrokerConfig {
        storage,
        port,
        ..Default::default()
    })
    .context("starting the embedded broker")
}

/// The classifier from the config's model and resources, or the built-in one.
pub fn load_classifier(config: &TriageConfig) -> anyhow::Result<Classifier> {
    let c = &config.classify;
    if c.model.is_none()
        && c.lexicons.is_none()
        && c.gazetteers.is_empty()
        && config.classifier == Default::default()
    {
        return Classifier::builtin().context("loading the built-in classifier");
    }
    let model = match &c.model {
        Some(p) => std::fs::read(p).with_context(|| format!("reading model {}", p.display()))?,
        None => triage_classify::builtin::MODEL.to_vec(),
    };
    let lexicons = match &c.lexicons {
        Some(dir) => read_dir_texts(dir)?,
        None => owned(triage_classify::builtin::LEXICONS),
    };
    let gazetteers = if c.gazetteers.is_empty() {
        owned(triage_classify::builtin::GAZETTEERS)
    } else {
        c.gazetteers
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading gazetteer {}", p.display()))?;
                Ok((file_name(p), text))
            })
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    Classifier::from_parts(&model, &lexicons, &gazetteers, config.classifier.clone())
        .context("loading the classifier")
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
        .collect()
}

/// Resources are named by file name (`offer.txt`): the classifier reads the class from it.
fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn read_dir_texts(dir: &std::path::Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_file() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((file_name(&path), text));
        }
    }
    files.sort();
    Ok(files)
}

fn classify_group(config: &TriageConfig, flag: Option<&str>) -> String {
    flag.map(str::to_owned)
        .or_else(|| config.classify.group_id.clone())
        .unwrap_or_else(|| format!("{}.classify", config.kafka.topic_prefix))
}

async fn run_classify_stage(
    bus: Bus,
    classifier: Arc<Classifier>,
    config: &TriageConfig,
    group: String,
    shutdown: CancellationToken,
) -> anyhow::Result<Arc<TransformStats>> {
    let producer = Producer::new(&bus)?;
    let stage = ClassifyStage::new(
        classifier,
        Deduper::new(&config.classifier.dedup),
        bus.topics.clone(),
    );
    let options = TransformOptions {
        group_id: group,
        input_topics: vec![bus.topics.raw()],
        max_in_flight: 20_000,
        drain_timeout: Duration::from_secs(7),
        stage: "classify".into(),
    };
    let stats = Arc::new(TransformStats::default());
    let stats = run_transform(&bus, options, stage, &producer, shutdown, stats).await?;
    Ok(stats)
}

/// The gateway and its tasks (the HTTP server and the feed from the class topics).
struct RunningGateway {
    gateway: Gateway,
    addr: std::net::SocketAddr,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

async fn start_gateway(
    bus: &Bus,
    config: &TriageConfig,
    listen: Option<std::net::SocketAddr>,
    webhook: Option<axum::Router>,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningGateway> {
    let mut gw_config = config.gateway.clone();
    if let Some(listen) = listen {
        gw_config.listen = listen;
    }
    let gateway = Gateway::try_new(gw_config.clone()).context("configuring the gateway")?;
    gateway.set_metrics_renderer(crate::telemetry::init_metrics()?);
    let listener = tokio::net::TcpListener::bind(gw_config.listen)
        .await
        .with_context(|| format!("binding the gateway to {}", gw_config.listen))?;
    let addr = listener.local_addr()?;
    let router = match webhook {
        Some(w) => gateway.router().merge(w),
        None => gateway.router(),
    };
    let (s, g) = (shutdown.clone(), gateway.clone());
    let server = tokio::spawn(async move {
        if let Err(e) = g
            .serve_router(router, listener, async move { s.cancelled().await })
            .await
        {
            tracing::error!(error = %e, "gateway stopped");
        }
    });
    let (b, g, s) = (bus.clone(), gateway.clone(), shutdown.clone());
    let feed = tokio::spawn(async move {
        if let Err(e) = feed_gateway(b, g, s).await {
            tracing::error!(error = %e, "gateway feed stopped");
        }
    });
    Ok(RunningGateway {
        gateway,
        addr,
        tasks: vec![server, feed],
    })
}

/// Waits (briefly) for tasks to finish after shutdown, so that their Kafka clients close before the broker.
async fn join_all(tasks: Vec<tokio::task::JoinHandle<()>>) {
    let all = futures::future::join_all(tasks);
    if tokio::time::timeout(Duration::from_secs(3), all)
        .await
        .is_err()
    {
        tracing::warn!("some tasks did not stop within 3 s");
    }
}

pub async fn run(config: TriageConfig, args: RunArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signals();
    let (bus, broker) = match external_bus(&config) {
        Some(bus) => (bus, None),
        None => {
            let broker = start_embedded(&config, args.broker_port, None)?;
            (
                Bus::new(config.kafka.clone(), broker.bootstrap_servers()),
                Some(broker),
            )
        }
    };
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all())
        .await
        .context("creating topics")?;

    let classifier = Arc::new(load_classifier(&config)?);
    let producer = Producer::new(&bus)?;
    let sink = Arc::new(KafkaRawSink::new(&bus, producer.clone()));
    let cursors = KafkaCursorStore::open(&bus, producer.clone()).await?;

    let mut sources = if args.no_config_sources {
        Vec::new()
    } else {
        config.ingest.sources.clone()
    };
    if let Some(path) = &args.replay {
        sources.push(triage_ingest::SourceConfig::replay(
            path.clone(),
            args.speed.clone(),
        ));
    }
    let webhook = config
        .ingest
        .webhook_router(sink.clone())
        .context("configuring the webhook")?;
    if webhook.is_some() {
        check_webhook_exposure(&config.ingest, args.listen.unwrap_or(config.gateway.listen))?;
    }
    let RunningGateway {
        gateway,
        addr,
        mut tasks,
    } = start_gateway(&bus, &config, args.listen, webhook, shutdown.clone()).await?;

    let group = classify_group(&config, None);
    // The classify group's own lag: what it has committed against what ingest has written.
    tasks.push(crate::telemetry::spawn_lag_gauge(
        bus.clone(),
        "classify",
        group.clone(),
        vec![bus.topics.raw()],
        shutdown.clone(),
        |lags| Some(lags.iter().map(|l| l.lag).sum()),
    ));
    let classify = {
        let (bus, classifier, shutdown) = (bus.clone(), classifier.clone(), shutdown.clone());
        let config_classifier = config.classifier.clone();
        let group = group.clone();
        tokio::spawn(async move {
            let cfg = TriageConfig {
                classifier: config_classifier,
                ..Default::default()
            };
            run_classify_stage(bus, classifier, &cfg, group, shutdown).await
        })
    };

    let ingest = {
        let (sink, cursors, shutdown) = (sink.clone(), cursors.clone(), shutdown.clone());
        let ingest_config = config.ingest.clone();
        tokio::spawn(async move {
            triage_ingest::run_sources(&ingest_config, sources, sink, cursors, shutdown).await
        })
    };

    print_where_to_look(&bus, broker.as_ref(), &config, addr);

    let ingest_result = ingest.await;
    match &ingest_result {
        Ok(Ok(report)) => tracing::info!(
            ?report,
            "sources finished; the pipeline keeps running until Ctrl-C"
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "ingest stopped with an error; the pipeline keeps running")
        }
        Err(e) => tracing::error!(error = %e, "ingest task failed"),
    }
    shutdown.cancelled().await;
    gateway.close_feeds();
    let stats = classify.await.context("classify task")??;
    tracing::info!(?stats, "classify stage stopped");
    if let Err(e) = producer.flush(Duration::from_secs(3)) {
        tracing::warn!(error = %e, "flush at exit");
    }
    join_all(tasks).await;
    // Every Kafka client closes before the embedded broker stops.
    drop((sink, cursors, producer));
    if let Some(broker) = broker {
        tokio::task::spawn_blocking(move || broker.stop()).await?;
    }
    Ok(())
}

fn print_where_to_look(
    bus: &Bus,
    broker: Option<&EmbeddedBroker>,
    config: &TriageConfig,
    addr: std::net::SocketAddr,
) {
    let kafka = match broker {
        Some(b) => format!(
            "{} (embedded broker, data in {})",
            b.bootstrap_servers(),
            config.broker.data_dir.display()
        ),
        None => bus.bootstrap.clone(),
    };
    let base = format!("http://{addr}");
    eprintln!(
        "\ntriage is running.\n  dashboard       {base}/\n  offers (GeoJSON) {base}/api/offers.geojson\n  live feed (SSE) {base}/api/feed/offer\n  search / export {base}/api/posts?format=csv\n  metrics         {base}/metrics\n  kafka           {kafka}, topics {}.*\n  in a terminal   triage tail offer --follow --brokers {}\nCtrl-C stops it cleanly.\n",
        bus.topics.prefix(),
        bus.bootstrap,
    );
}

pub async fn classify_only(config: TriageConfig, args: ClassifyArgs) -> anyhow::Result<()> {
    let bus = require_bus(&config, "classify")?;
    let shutdown = shutdown_on_signals();
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all()).await?;
    let classifier = Arc::new(load_classifier(&config)?);
    let group = classify_group(&config, args.group.as_deref());
    let stats = run_classify_stage(bus, classifier, &config, group, shutdown).await?;
    tracing::info!(?stats, "classify stage stopped");
    Ok(())
}

pub async fn ingest_only(
    config: TriageConfig,
    args: triage_ingest::IngestArgs,
) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signals();
    let mut sources = triage_ingest::sources_from_args(&args)?;
    if sources.is_empty() {
        sources = config.ingest.sources.clone();
    }
    let ingest_config = config.ingest.clone().with_sources(sources.clone());
    if args.stdout {
        let sink = Arc::new(triage_ingest::StdoutSink::default());
        // Cursors in a file so that a restarted `--stdout` run resumes too.
        let cursor_file = args
            .cursor_file
            .clone()
            .unwrap_or_else(|| config.broker.data_dir.join("ingest-cursors.json"));
        if let Some(dir) = cursor_file.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let cursors = Arc::new(triage_ingest::FileCursorStore::open(&cursor_file)?);
        let report =
            triage_ingest::run_sources(&ingest_config, sources, sink, cursors, shutdown).await?;
        tracing::info!(?report, "ingest finished");
        return Ok(());
    }
    let bus = require_bus(&config, "ingest")?;
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all()).await?;
    let producer = Producer::new(&bus)?;
    let sink = Arc::new(KafkaRawSink::new(&bus, producer.clone()));
    // A webhook source is served here when asked (`--source webhook --listen ADDR`), through the gateway crate.
    if let Some(router) = ingest_config
        .webhook_router(sink.clone())
        .context("configuring the webhook")?
    {
        let listen = args
            .listen
            .or_else(|| webhook_listen(&sources))
            .unwrap_or(config.gateway.listen);
        check_webhook_exposure(&ingest_config, listen)?;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding the webhook to {listen}"))?;
        eprintln!(
            "webhook listening on http://{}/ingest",
            listener.local_addr()?
        );
        let gateway = Gateway::try_new(config.gateway.clone())?;
        let s = shutdown.clone();
        tokio::spawn(async move {
            if let Err(e) = gateway
                .serve_router(router, listener, async move { s.cancelled().await })
                .await
            {
                tracing::error!(error = %e, "webhook server stopped");
            }
        });
    }
    let cursors = KafkaCursorStore::open(&bus, producer.clone()).await?;
    let only_webhooks = sources
        .iter()
        .all(|s| matches!(s, triage_ingest::SourceConfig::Webhook(_)));
    let report =
        triage_ingest::run_sources(&ingest_config, sources, sink, cursors, shutdown.clone())
            .await?;
    if only_webhooks {
        shutdown.cancelled().await;
    }
    producer.flush(Duration::from_secs(10))?;
    tracing::info!(?report, "ingest finished");
    Ok(())
}

fn webhook_listen(sources: &[triage_ingest::SourceConfig]) -> Option<std::net::SocketAddr> {
    sources.iter().find_map(|s| match s {
        triage_ingest::SourceConfig::Webhook(w) => w.listen.as_deref().and_then(|l| l.parse().ok()),
        _ => None,
    })
}

/// An anonymous webhook is only acceptable on loopback: refuse to expose it.
fn check_webhook_exposure(
    ingest: &triage_ingest::IngestConfig,
    listen: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let anonymous = ingest.sources.iter().any(|s| {
        matches!(s, triage_ingest::SourceConfig::Webhook(w) if w.allow_anonymous && w.token_env.is_none() && w.token_file.is_none())
    });
    if anonymous && !listen.ip().is_loopback() {
        bail!(
            "the webhook accepts anonymous posts (allow_anonymous = true) and would listen on {listen}: set token_env or token_file in its [[ingest.sources]] entry, or listen on 127.0.0.1"
        );
    }
    Ok(())
}

pub async fn serve_only(config: TriageConfig, args: ServeArgs) -> anyhow::Result<()> {
    let bus = require_bus(&config, "serve")?;
    let shutdown = shutdown_on_signals();
    triage_bus::admin::ensure_topics(&bus, &bus.topics.all()).await?;
    let producer = Producer::new(&bus)?;
    let sink = Arc::new(KafkaRawSink::new(&bus, producer.clone()));
    let webhook = config
        .ingest
        .webhook_router(sink)
        .context("configuring the webhook")?;
    if webhook.is_some() {
        check_webhook_exposure(&config.ingest, args.listen.unwrap_or(config.gateway.listen))?;
    }
    let running = start_gateway(&bus, &config, args.listen, webhook, shutdown.clone()).await?;
    eprintln!("gateway listening on http://{}/", running.addr);
    shutdown.cancelled().await;
    running.gateway.close_feeds();
    join_all(running.tasks).await;
    producer.flush(Duration::from_secs(5))?;
    Ok(())
}

pub async fn broker_only(config: TriageConfig, args: BrokerArgs) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signals();
    let broker = start_embedded(&config, args.port, args.storage.as_deref())?;
    // Tests and scripts read this line to find the broker.
    println!("broker listening on {}", broker.bootstrap_servers());
    shutdown.cancelled().await;
    tokio::task::spawn_blocking(move || broker.stop()).await?;
    Ok(())
}

pub async fn tail(config: TriageConfig, args: TailArgs) -> anyhow::Result<()> {
    let bus = require_bus(&config, "tail")?;
    let shutdown = shutdown_on_signals();
    let topic = bus.topics.class(args.class);
    let mut reader =
        triage_bus::reader::Reader::from_beginning(&bus, std::slice::from_ref(&topic), "tail")?;
    let print = |payload: &[u8]| match args.format {
        TailFormat::Json => println!("{}", String::from_utf8_lossy(payload)),
        TailFormat::Text => match ClassEvent::decode(payload) {
            Ok(ClassEvent::Record(r)) => println!("{}", text_line(&r)),
            Ok(ClassEvent::Tombstone(t)) => {
                println!("{}  [deleted] {}", t.deleted_at.format("%H:%M:%S"), t.id)
            }
            Err(e) => println!("[undecodable: {e}]"),
        },
    };
    if !args.follow {
        for msg in reader.read_to_end(Duration::from_secs(30)).await? {
            print(msg.payload.as_deref().unwrap_or_default());
        }
        return Ok(());
    }
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            msg = reader.next() => print(msg?.payload.as_deref().unwrap_or_default()),
        }
    }
}

fn text_line(r: &ClassifiedRecord) -> String {
    let places: Vec<&str> = r.extracted.places.iter().map(|p| p.name.as_str()).collect();
    format!(
        "{}  {:<7} {:.2}{}  [{}] {}{}",
        r.created_at.format("%H:%M:%S"),
        r.class.as_str(),
        r.confidence,
        if r.needs_review { "?" } else { " " },
        r.lang,
        r.text.replace('\n', " "),
        if places.is_empty() {
            String::new()
        } else {
            format!("  @ {}", places.join(", "))
        },
    )
}
