//! `allowedOrigins`: calls with an origin must come from an allowed origin (or from this
//! server's own pages, embedded by an allowed origin). No origin: server to server.

use super::{Caller, Conversations, ServiceError};
use crate::flow::CompiledFlow;

fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl Conversations {
    pub(super) fn check_origin(
        &self,
        flow: &CompiledFlow,
        caller: &Caller,
    ) -> Result<(), ServiceError> {
        let allowed = &flow.settings.allowed_origins;
        let Some(origin) = &caller.origin else {
            return Ok(());
        };
        if allowed.is_empty() || allowed.iter().any(|a| same(a, origin)) {
            return Ok(());
        }
        let own = self.config.viewer_urls.iter().any(|v| same(v, origin));
        let via_iframe = caller
            .iframe_referrer_origin
            .as_ref()
            .is_some_and(|r| allowed.iter().any(|a| same(a, r)));
        if own && via_iframe {
            Ok(())
        } else {
            Err(ServiceError::OriginNotAllowed)
        }
    }
}
