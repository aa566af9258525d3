//! The Redis load-test baseline: a minimal actix-web endpoint doing one Redis GET and one SET
//! of a 1 KB value per request, nothing else. `scripts/load-test.sh` runs it beside Tessera on
//! the same Redis, so Tessera's continueChat throughput can be compared with this floor.
//!
//! `cargo run --release --example redis_baseline -- 127.0.0.1:PORT redis://127.0.0.1:6379`

use actix_web::{App, HttpResponse, HttpServer, web};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

// The same allocator as the tessera binary, so the comparison is of the request paths only.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

const VALUE: [u8; 1024] = [b'x'; 1024];

async fn turn(path: web::Path<String>, con: web::Data<ConnectionManager>) -> HttpResponse {
    let key = format!("baseline:{{{}}}", path.into_inner());
    let mut con = con.get_ref().clone();
    let got: redis::RedisResult<Option<Vec<u8>>> = con.get(&key).await;
    if got.is_err() {
        return HttpResponse::ServiceUnavailable().finish();
    }
    let set: redis::RedisResult<()> = con.set_ex(&key, &VALUE[..], 3600).await;
    match set {
        Ok(()) => HttpResponse::Ok()
            .content_type("application/json")
            .body(r#"{"ok":true}"#),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let url = args
        .next()
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let workers: usize = std::env::var("TESSERA_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        // actix's own default, like Tessera's: one worker per core.
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    actix_web::rt::System::new().block_on(async move {
        let client = redis::Client::open(url).map_err(std::io::Error::other)?;
        let con = ConnectionManager::new(client)
            .await
            .map_err(std::io::Error::other)?;
        let data = web::Data::new(con);
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/baseline/{key}", web::post().to(turn))
        })
        .workers(workers)
        .bind(addr)?
        .run()
        .await
    })
}
