//! Builds the application from a [`Config`]: stores (measured), registry (with the bundled
//! bots), engine, conversation core, HTTP server, and the metrics listener when `/metrics` is
//! `open`. `Application::build` binds its own listeners, so tests run it on port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing::Instrument;

use crate::api::metrics::MetricsAccess;
use crate::api::{self, AppState};
use crate::config::Config;
use crate::conversation::triggers::{DeclaredTrigger, TriggerSettings, Triggers};
use crate::conversation::{ConversationConfig, Conversations, UsageDocs};
use crate::credentials::{Credentials, Declared, SecretKey};
use crate::engine::{AiServices, Engine, EngineConfig, ModelPrice};
use crate::eval::js::JsLimits;
use crate::net::{OutboundPolicy, SafeClient};
use crate::registry::Registry;
use crate::startup;
use crate::store::redis::{RedisOptions, RedisStore};
use crate::store::{SessionStore, Stores};
use crate::telemetry::access::Access;
use crate::telemetry::metrics::probes::{self, ProbeFuture, SessionsProbe};

/// Upper bound of configured TTLs (seconds): no arithmetic on them can overflow.
const YEAR: u64 = 365 * 86_400;

pub struct Application {
    port: u16,
    server: Server,
    /// The separate `/metrics` listener (`metrics = "open"`) and its port.
    metrics: Option<(u16, Server)>,
}

/// Opens the configured store (memory, or Redis / Redis Cluster from a URL).
pub async fn open_store(config: &Config) -> anyhow::Result<Stores> {
    if config.store == "memory" || config.store.is_empty() {
        return Ok(Stores::memory_with(config.memory_max_results));
    }
    open_redis(&config.store).await
}

async fn open_redis(url: &str) -> anyhow::Result<Stores> {
    let store = RedisStore::connect(url, RedisOptions::default()).await.map_err(|e| {
        let url = crate::config::redact_url(url);
        anyhow::anyhow!("store {url}: {e} (use \"memory\", redis://host:port or redis+cluster://host:port,host:port)")
    })?;
    Ok(Stores::of(Arc::new(store)))
}

/// Builds the service layer (shared by the HTTP server and tests).
pub async fn build_state(config: &Config) -> anyhow::Result<AppState> {
    let metrics = MetricsAccess::parse(
        &config.metrics,
        config.metrics_token.as_ref().map(|t| t.0.as_str()),
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    init_metrics();
    let stores = open_store(config).await?;
    // A process that stopped recording (`tessera serve` with metrics off) keeps its stores
    // unwrapped: no timing, no boxed future per store call.
    let stores = if crate::telemetry::metrics::recording() {
        stores.metered()
    } else {
        stores
    };
    probes::register_sessions(Arc::new(ActiveSessions(stores.sessions.clone())));
    let registry = Arc::new(Registry::new(stores.flows.clone()));
    let startup = if let Some(dir) = &config.flows {
        let (bots, bad) = startup::read_dir(dir)?;
        let source = format!("{}/", dir.display().to_string().trim_end_matches('/'));
        startup::publish(registry.clone(), bots, bad, config.strict, &source).await?
    } else if config.bundled_flows {
        let bots = startup::bundled()?;
        let source = "the bundled examples (no flows/ directory here)";
        startup::publish(registry.clone(), bots, Vec::new(), config.strict, source).await?
    } else {
        Arc::new(startup::Startup::default())
    };
    let http = SafeClient::new(OutboundPolicy {
        allowed_hosts: config.http_allowed_hosts.clone(),
        default_timeout: Duration::from_secs(config.http_timeout_secs.max(1)),
        ..OutboundPolicy::default()
    })
    .map_err(|e| anyhow::anyhow!("outbound HTTP client: {e}"))?;
    let credentials = Arc::new(build_credentials(config, &stores)?);
    let ai = AiServices {
        credentials: Some(credentials.clone()),
        prices: config
            .model_prices
            .iter()
            .map(|(m, p)| {
                let price = ModelPrice {
                    input_per_mtok: p.input_per_mtok,
                    output_per_mtok: p.output_per_mtok,
                };
                (m.clone(), price)
            })
            .collect(),
        streamed: Some(Arc::new(UsageDocs(stores.executions.clone()))),
    };
    let engine = Arc::new(
        Engine::new(
            registry.clone(),
            Some(http),
            EngineConfig {
                step_budget: config.step_budget.max(1),
                js: JsLimits {
                    timeout: Duration::from_millis(config.js_timeout_ms.max(1)),
                    memory_bytes: config.js_memory_mib.max(1) * 1024 * 1024,
                },
            },
        )
        .with_ai(ai),
    );
    let conversations = Arc::new(Conversations {
        engine,
        registry: registry.clone(),
        stores: stores.clone(),
        config: ConversationConfig {
            session_ttl_secs: config.session_ttl_secs.clamp(1, YEAR),
            idempotency_ttl_secs: config.idempotency_ttl_secs.clamp(1, YEAR),
            results_retention_secs: config.results_retention_days.clamp(1, 36_500) * 86_400,
            turn_lease_ms: config.turn_lease_ms.max(100),
            viewer_urls: config.viewer_urls.clone(),
        },
        claims: Default::default(),
    });
    let triggers = Arc::new(Triggers::new(
        conversations.clone(),
        TriggerSettings {
            workers: config.trigger_workers.min(1024),
            visibility_timeout_ms: config.trigger_visibility_timeout_ms.clamp(100, 86_400_000),
            queue_max: config.trigger_queue_max.max(1),
        },
        config
            .triggers
            .iter()
            .map(|t| DeclaredTrigger {
                id: t.id.clone(),
                flow: t.flow.clone(),
                name: t.name.clone(),
                default_text: t.default_text.clone(),
                session_ttl_secs: t.session_ttl_secs.map(|s| s.clamp(1, YEAR)),
                secret: t.secret.0.clone(),
            })
            .collect(),
    ));
    Ok(AppState {
        conversations,
        registry,
        stores,
        api_token: config.api_token.clone(),
        engine_api_token: config.engine_api_token.clone(),
        max_body_bytes: config.max_body_bytes.max(1024),
        startup,
        web: api::web::WebOptions {
            custom_head_code: config.web_custom_head_code,
        },
        identity_secret: config.identity_secret.clone().filter(|s| !s.is_empty()),
        credentials,
        metrics,
        limits: api::limits::RequestLimits::new(
            config.limits.per_ip_per_sec,
            config.limits.per_session_per_sec,
            config.limits.trusted_proxy_addrs()?,
            Duration::from_millis(config.limits.body_timeout_ms.max(1)),
        ),
        triggers,
        uploads: Arc::new(build_uploads(config)?),
        rooms: Arc::new(open_rooms(config)?),
    })
}

/// Registers every layer's metrics, so that each series is there from the first scrape.
fn init_metrics() {
    api::metrics::init();
    crate::conversation::metrics::init();
    crate::eval::js::metrics::init();
    probes::init();
}

/// `tessera_sessions_active`, from the session store.
struct ActiveSessions(Arc<dyn SessionStore>);

impl SessionsProbe for ActiveSessions {
    fn active(&self) -> ProbeFuture<'_, Option<f64>> {
        Box::pin(async move {
            self.0
                .active_sessions()
                .await
                .ok()
                .flatten()
                .map(|n| n as f64)
        })
    }
    fn store(&self) -> &'static str {
        self.0.kind()
    }
}

/// The listener of `/metrics` alone, without a token (`metrics = "open"`): anything else is 404.
fn metrics_listener(bind: &str) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(bind)
        .with_context(|| format!("cannot listen for /metrics on {bind} (metrics_bind)"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(|| {
        App::new().default_service(web::to(|req: actix_web::HttpRequest| async move {
            if req.method() == actix_web::http::Method::GET && req.path() == "/metrics" {
                api::metrics::exposition().await
            } else {
                actix_web::ResponseError::error_response(&api::error::ApiError::route_not_found())
            }
        }))
    })
    .workers(1)
    .listen(listener)?
    .shutdown_timeout(1)
    .run();
    Ok((port, server))
}

/// The webhook rooms: in memory, or on the configured Redis (listeners on any process).
fn open_rooms(config: &Config) -> anyhow::Result<crate::store::rooms::Rooms> {
    use crate::store::rooms::{Rooms, Wakers};
    if config.store == "memory" || config.store.is_empty() {
        return Ok(Rooms::memory());
    }
    let wakers = Arc::new(Wakers::default());
    let bus = crate::store::redis::rooms::RedisRoomBus::open(
        &config.store,
        &RedisOptions::default(),
        wakers.clone(),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "webhook rooms on {}: {e}",
            crate::config::redact_url(&config.store)
        )
    })?;
    Ok(Rooms::new(Arc::new(bus), wakers))
}

/// The upload storage; its URLs are signed with a key derived from `TESSERA_SECRET_KEY` (the
/// same on every process sharing the storage), else with a random key of this process.
fn build_uploads(config: &Config) -> anyhow::Result<crate::uploads::Uploads> {
    let secret = match config.secret_key.as_ref().filter(|k| !k.0.is_empty()) {
        Some(k) => k.0.as_bytes().to_vec(),
        None => {
            let mut b = vec![0u8; 32];
            rand::fill(&mut b[..]);
            b
        }
    };
    let uploads = crate::uploads::Uploads::new(&config.uploads, &secret)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::debug!(storage = uploads.kind(), "upload storage");
    Ok(uploads)
}

/// The credentials registry: the sealing key (if any) and the declared credentials.
fn build_credentials(config: &Config, stores: &Stores) -> anyhow::Result<Credentials> {
    let key = match config
        .secret_key
        .as_ref()
        .map(|k| k.0.as_str())
        .filter(|k| !k.is_empty())
    {
        Some(hex) => Some(SecretKey::from_hex(hex).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let declared = config
        .credentials
        .iter()
        .map(|c| Declared {
            id: c.id.clone(),
            kind: c.kind.clone(),
            name: c.name.clone().unwrap_or_else(|| c.id.clone()),
            data: c.data.clone(),
        })
        .collect();
    Credentials::new(key, stores.credentials.clone(), declared).map_err(|e| anyhow::anyhow!("{e}"))
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = web::Data::new(build_state(&config).await?);
        // Executions paused on a Wait block resume when their time is up.
        crate::conversation::executions::timers::spawn(
            state.conversations.clone(),
            config.timer_concurrency,
        );
        crate::conversation::claims::spawn(state.conversations.clone());
        // Trigger events run in the background (none in an API-only process).
        crate::conversation::triggers::worker::spawn(state.triggers.clone());
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        // actix's default: one worker per CPU.
        let workers = config
            .workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(Compress::default())
                .wrap(from_fn(edge))
                .default_service(web::to(api::router::dispatch))
        })
        // Responses leave at once (no Nagle delay): the usual setting for request/response APIs.
        .tcp_nodelay(true)
        // Slow clients: the headers must arrive in time (else 408 and the connection closes).
        .client_request_timeout(Duration::from_millis(
            config.limits.header_timeout_ms.max(1),
        ))
        // A client that closes its side has gone (browsers and HTTP clients never half-close a
        // request): stop serving it at once, so a streamed AI answer's upstream request is
        // dropped when the player goes, not at the second chunk written after (two chunk
        // gaps: measured in docs/PERFORMANCE.md, scripts/load-streams.sh).
        .h1_allow_half_closed(false)
        // actix counts connections per worker: the configured total is shared out.
        .max_connections(config.limits.max_connections.div_ceil(workers).max(1))
        .workers(workers)
        .listen(listener)?
        .shutdown_timeout(10);
        let metrics = match MetricsAccess::parse(&config.metrics, None) {
            Ok(MetricsAccess::Open) => Some(metrics_listener(&config.metrics_bind)?),
            _ => None,
        };
        Ok(Application {
            port,
            server: server.run(),
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate `/metrics` listener (`metrics = "open"` only).
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub async fn run(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => {
                // Both stop on the same signal; the main server's outcome is the one returned.
                let (mut main, mut metrics) = (Box::pin(self.server), Box::pin(metrics));
                tokio::select! {
                    r = &mut main => r,
                    _ = &mut metrics => main.await,
                }
            }
            None => self.server.await,
        }
    }
}

/// Every response: CORS headers, the request id, the access log line (one middleware, not
/// two: each layer costs a boxed future per request).
async fn edge(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let access = Access::begin(req.headers(), req.method(), req.path());
    let mut res = match access.span() {
        Some(span) => next.call(req).instrument(span).await?,
        None => next.call(req).await?,
    };
    api::add_cors(res.headers_mut());
    access.finish(res.status().as_u16(), res.headers_mut());
    Ok(res)
}
