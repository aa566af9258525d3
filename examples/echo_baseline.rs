//! The memory store's load-test floor: a bare actix-web endpoint that parses the JSON body of
//! each request and answers it serialized again, nothing else (no store, no routing table, no
//! middleware). `scripts/load-rounds.sh` runs it beside Tessera's continueChat on the memory
//! store, in the same rounds, so a turn's CPU can be compared with the cheapest JSON request
//! actix-web can answer.
//!
//! `cargo run --release --example echo_baseline -- 127.0.0.1:PORT` (POST /baseline/{key})

use actix_web::{App, HttpResponse, HttpServer, web};

// The same allocator as the tessera binary, so the comparison is of the request paths only.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

async fn echo(_key: web::Path<String>, body: web::Bytes) -> HttpResponse {
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(v) => match serde_json::to_vec(&v) {
            Ok(out) => HttpResponse::Ok()
                .content_type("application/json")
                .body(out),
            Err(_) => HttpResponse::InternalServerError().finish(),
        },
        Err(_) => HttpResponse::BadRequest().finish(),
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18091".into());
    let workers: usize = std::env::var("TESSERA_WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        // actix's own default, like Tessera's: one worker per core.
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(|| App::new().route("/baseline/{key}", web::post().to(echo)))
            .workers(workers)
            .bind(addr)?
            .run()
            .await
    })
}
