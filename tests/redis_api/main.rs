//! The Redis store over HTTP, against real `tessera serve` processes (the binary, spawned with
//! `--port 0`; the port is read from its JSON "tessera listening on" log line). This is the
//! issue's "How we will know":
//!
//! 1. scale-out: two processes on one Redis, one conversation alternating between them every
//!    turn, and a bot published (republished, unpublished) on one and served by the other;
//! 2. race: 16 concurrent continueChat calls on one session, spread over both processes: one
//!    applies, the rest get `409 session_busy`, three rounds;
//! 3. idempotency: a replay is byte-identical (from either process), the turn ran once, another
//!    body gets `409 idempotency_conflict`;
//! 4. faults: a private redis-server (append-only, fsync always) is shut down or hung
//!    (SIGSTOP): `503 store_unavailable` in < 1.5 s, `/readyz` 503; once Redis is back the
//!    conversation continues exactly where it was;
//! 5. expiry: `TESSERA_SESSION_TTL_SECS=1`: key TTLs while active, `404 session_expired` after;
//! 6. results: `GET /api/v1/flows/{id}/results` (bearer) returns a finished conversation.
//! 7. chaos (`chaos/`): Redis SIGKILLed and restarted, a server `kill -9`ed, a slow Redis behind
//!    a latency proxy, under a load of 16 conversations retried with their idempotency keys:
//!    every acknowledged answer checked, no turn lost or applied twice, none waiting for a lease.
//!
//! Two tests guard fixed bugs: a hung Redis must not leave the session leased for the whole
//! turn lease once it resumes, and the store URL's password must not be logged at start-up.
//!
//! Redis. Tests 1-3, 5 and 6 use `TESSERA_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`). The
//! server's key prefix (`tessera`) is not configurable, so they run in logical database
//! [`TEST_DB`](shared_redis::TEST_DB) (appended to the URL unless it names a database): that keeps
//! the server's keys out of database 0, where a developer's own `tessera serve --store redis://...`
//! and the store contract tests live, works on any plain Redis (CI's included) without starting
//! anything, and needs no free port. Inside that database every test uses its own random flow ids,
//! public ids, sessions and idempotency keys, so parallel tests (and parallel runs) never share
//! state, and each test deletes what it created when it ends, even on panic
//! ([`SharedRedis`](shared_redis::SharedRedis)). The bundled bots (`--flows flows`, test 1) stay
//! published there: their revision is a content hash, so republishing them is idempotent. The fault
//! tests need to stop Redis, so they start their own `redis-server` on a free loopback port in
//! 7200-7999, in a temp dir removed at the end.
//!
//! When `CI` or `TESSERA_TEST_REDIS_URL` is set, an unreachable Redis (or a missing
//! `redis-server`) FAILS the tests; on a developer machine without them they skip, saying so on
//! stderr. Every child process (tessera, redis-server) is killed by a drop guard, panics included.

#[path = "../common/mod.rs"]
mod common;

mod chaos;
mod credentials;
mod expiry;
mod faults;
mod idempotency;
mod race;
mod results;
mod scale_out;
mod server;
mod shared_redis;
mod support;
mod webhooks;
