//! Builds the application from a [`Config`]: stores, registry (with the bundled bots), engine,
//! conversation core, HTTP server. `Application::build` binds its own listener, so tests run it on port 0.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::api::{self, AppState};
use crate::config::Config;
use crate::conversation::{ConversationConfig, Conversations};
use crate::engine::{Engine, EngineConfig};
use crate::eval::js::JsLimits;
use crate::net::{OutboundPolicy, SafeClient};
use crate::registry::Registry;
use crate::store::Stores;
use crate::store::redis::{RedisOptions, RedisStore};

/// Upper bound of configured TTLs (seconds): no arithmetic on them can overflow.
const YEAR: u64 = 365 * 86_400;

pub struct Application {
    port: u16,
    server: Server,
}

/// Opens the configured store (memory, or Redis / Redis Cluster from a URL).
pub async fn open_store(config: &Config) -> anyhow::Result<Stores> {
    if config.store == "memory" || config.store.is_empty() {
        return Ok(Stores::memory());
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
    let stores = open_store(config).await?;
    let registry = Arc::new(Registry::new(stores.flows.clone()));
    if let Some(dir) = &config.flows {
        load_flows_dir(&registry, dir).await?;
    } else if config.bundled_flows {
        for (name, text) in crate::bundled::BUNDLED {
            let json: serde_json::Value = serde_json::from_str(text)?;
            registry
                .publish(&json, None, Some(name))
                .await
                .map_err(|e| anyhow::anyhow!("bundled bot {name}: {e}"))?;
        }
        tracing::info!(
            bots = crate::bundled::BUNDLED.len(),
            "published the bundled example bots"
        );
    }
    let http = SafeClient::new(OutboundPolicy {
        allowed_hosts: config.http_allowed_hosts.clone(),
        default_timeout: Duration::from_secs(config.http_timeout_secs.max(1)),
        ..OutboundPolicy::default()
    })
    .map_err(|e| anyhow::anyhow!("outbound HTTP client: {e}"))?;
    let engine = Arc::new(Engine::new(
        registry.clone(),
        Some(http),
        EngineConfig {
            step_budget: config.step_budget.max(1),
            js: JsLimits {
                timeout: Duration::from_millis(config.js_timeout_ms.max(1)),
                memory_bytes: config.js_memory_mib.max(1) * 1024 * 1024,
            },
        },
    ));
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
    });
    Ok(AppState {
        conversations,
        registry,
        stores,
        api_token: config.api_token.clone(),
        engine_api_token: config.engine_api_token.clone(),
        max_body_bytes: config.max_body_bytes.max(1024),
    })
}

/// Publishes every `*.json` of a directory; the file stem is the public id fallback.
pub async fn load_flows_dir(registry: &Registry, dir: &Path) -> anyhow::Result<usize> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read flows directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    let mut n = 0;
    for p in paths {
        let text =
            std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not valid JSON", p.display()))?;
        let stem = p
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        match registry.publish(&json, None, Some(&stem)).await {
            Ok(o) => {
                tracing::info!(flow = %o.id, public_id = %o.public_id, warnings = o.warnings.len(), "published {}", p.display());
                n += 1;
            }
            Err(crate::registry::PublishError::Invalid(issues)) => {
                for i in &issues {
                    tracing::error!("{}: {i}", p.display());
                }
                anyhow::bail!("{} has errors; fix them or remove the file", p.display());
            }
            Err(e) => anyhow::bail!("{}: {e}", p.display()),
        }
    }
    Ok(n)
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let state = web::Data::new(build_state(&config).await?);
        // Executions paused on a Wait block resume when their time is up.
        crate::conversation::executions::timers::spawn(state.conversations.clone());
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .with_context(|| format!("cannot listen on {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(Compress::default())
                .wrap(from_fn(cors))
                .wrap(from_fn(crate::telemetry::access::log))
                .default_service(web::to(api::router::dispatch))
        })
        // Responses leave at once (no Nagle delay): the usual setting for request/response APIs.
        .tcp_nodelay(true)
        .listen(listener)?
        .shutdown_timeout(10);
        if let Some(w) = config.workers {
            server = server.workers(w.max(1));
        }
        Ok(Application {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn cors(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    api::add_cors(res.headers_mut());
    Ok(res)
}
