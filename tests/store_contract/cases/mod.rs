//! The contract cases. Each takes a backend and must hold for every store; the suites in
//! `main.rs` run each of them on every backend.

mod credentials;
mod events;
mod events_worker;
mod executions;
mod flows;
mod idempotency;
mod records;
mod results;
mod sessions;

pub use credentials::*;
pub use events::*;
pub use events_worker::*;
pub use executions::*;
pub use flows::*;
pub use idempotency::*;
pub use records::*;
pub use results::*;
pub use sessions::*;
