//! The abuse limits' settings (`[limits]` in the config file, `TESSERA_*` variables), with
//! defaults that protect a small server: see the README's "Limits" section for what each one
//! guards against and how to lift it (behind a load balancer, for a load test).

use serde::Deserialize;

use super::ConfigError;

/// `[limits]`: request rates, slow clients, connections.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Requests per second from one client IP, bursts of twice that (0: no limit).
    /// `TESSERA_RATE_LIMIT_PER_IP`.
    pub per_ip_per_sec: u32,
    /// Requests per second on one chat session (continueChat, clientLogs, streamMessage),
    /// bursts of twice that (0: no limit). `TESSERA_RATE_LIMIT_PER_SESSION`.
    pub per_session_per_sec: u32,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (empty: the
    /// header is ignored and the TCP peer is the client). `TESSERA_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<String>,
    /// Time a client has to send a request's headers, in milliseconds (then 408 and the
    /// connection is closed). `TESSERA_HEADER_TIMEOUT_MS`.
    pub header_timeout_ms: u64,
    /// Time a client has to send a request's body, in milliseconds (then 408
    /// `request_timeout`). `TESSERA_BODY_TIMEOUT_MS`.
    pub body_timeout_ms: u64,
    /// Open connections the server serves at once (shared out among the HTTP workers); more
    /// wait in the kernel's accept queue. `TESSERA_MAX_CONNECTIONS`.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip_per_sec: 50,
            per_session_per_sec: 10,
            trusted_proxies: Vec::new(),
            header_timeout_ms: 5_000,
            body_timeout_ms: 10_000,
            max_connections: 1_024,
        }
    }
}

impl Limits {
    /// No rate limits (the load scripts, the fuzzer, tests of other things).
    pub fn without_rates(self) -> Self {
        Limits {
            per_ip_per_sec: 0,
            per_session_per_sec: 0,
            ..self
        }
    }

    /// The proxies as addresses; a bad one is a configuration error.
    pub fn trusted_proxy_addrs(&self) -> Result<Vec<std::net::IpAddr>, ConfigError> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                p.trim().parse().map_err(|_| {
                    ConfigError::Env(
                        "trusted_proxies".into(),
                        format!("\"{p}\" is not an IP address"),
                    )
                })
            })
            .collect()
    }

    pub(super) fn apply_env(
        &mut self,
        get: &dyn Fn(&str) -> Option<String>,
        num: fn(&str, String) -> Result<u64, ConfigError>,
    ) -> Result<(), ConfigError> {
        let small = |key: &str, v: String| {
            u32::try_from(num(key, v)?)
                .map_err(|_| ConfigError::Env(key.into(), "is too large".into()))
        };
        if let Some(v) = get("TESSERA_RATE_LIMIT_PER_IP") {
            self.per_ip_per_sec = small("TESSERA_RATE_LIMIT_PER_IP", v)?;
        }
        if let Some(v) = get("TESSERA_RATE_LIMIT_PER_SESSION") {
            self.per_session_per_sec = small("TESSERA_RATE_LIMIT_PER_SESSION", v)?;
        }
        if let Some(v) = get("TESSERA_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = get("TESSERA_HEADER_TIMEOUT_MS") {
            self.header_timeout_ms = num("TESSERA_HEADER_TIMEOUT_MS", v)?;
        }
        if let Some(v) = get("TESSERA_BODY_TIMEOUT_MS") {
            self.body_timeout_ms = num("TESSERA_BODY_TIMEOUT_MS", v)?;
        }
        if let Some(v) = get("TESSERA_MAX_CONNECTIONS") {
            self.max_connections = num("TESSERA_MAX_CONNECTIONS", v)? as usize;
        }
        self.trusted_proxy_addrs()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn limits_come_from_the_file_and_the_environment() {
        let file = "[limits]\nper_ip_per_sec = 7\ntrusted_proxies = [\"10.0.0.1\"]\n";
        let Ok(mut c) = toml::from_str::<Config>(file) else {
            panic!("parses")
        };
        assert_eq!(c.limits.per_ip_per_sec, 7);
        assert_eq!(c.limits.per_session_per_sec, 10, "the default");
        let env = |k: &str| match k {
            "TESSERA_RATE_LIMIT_PER_SESSION" => Some("0".to_string()),
            "TESSERA_MAX_CONNECTIONS" => Some("64".to_string()),
            _ => None,
        };
        assert!(c.apply_env(&env).is_ok());
        assert_eq!(c.limits.per_session_per_sec, 0);
        assert_eq!(c.limits.max_connections, 64);
        let bad = |k: &str| (k == "TESSERA_TRUSTED_PROXIES").then(|| "proxy.internal".to_string());
        assert!(c.apply_env(&bad).is_err(), "a proxy is an address");
        assert!(toml::from_str::<Config>("[limits]\nper_ip = 1").is_err());
    }
}
