//! The runtime-relevant parts of a flow's `settings` and `theme`, read once at compile time.
//!
//! Typebot defaults are applied here (invalid-reply message, remember-user, progress bar off).
//! Tessera-only settings live under `settings.tessera` so they never collide with Typebot's:
//! `sessionTtlSeconds` (inactivity expiry of this bot's sessions) and `prefillableVariables`
//! (names; when present, only those variables may be prefilled by callers).

use serde_json::{Map, Value};

pub const DEFAULT_INVALID_MESSAGE: &str = "Invalid message. Please, try again.";
pub const DEFAULT_BOT_CLOSED: &str = "This bot is now closed";

/// Where a dynamic theme value comes from (a `{{Var}}` template) and which key it fills.
#[derive(Debug, Clone, Default)]
pub struct DynamicTheme {
    pub host_avatar: Option<String>,
    pub guest_avatar: Option<String>,
    pub background: Option<String>,
}

impl DynamicTheme {
    pub fn is_empty(&self) -> bool {
        self.host_avatar.is_none() && self.guest_avatar.is_none() && self.background.is_none()
    }
}

#[derive(Debug, Clone, Default)]
pub struct FlowSettings {
    pub invalid_message: Option<String>,
    pub bot_closed_message: Option<String>,
    pub progress_enabled: bool,
    pub allowed_origins: Vec<String>,
    pub remember_user: bool,
    pub dynamic_theme: DynamicTheme,
    pub session_ttl_seconds: Option<u64>,
    pub prefillable: Option<Vec<String>>,
    /// `settings` as clients see it: only `general` and `typingEmulation` survive.
    pub wire: Value,
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(k))
}

fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    at(v, path).and_then(Value::as_str).map(str::to_string)
}

/// The strings of the array at `path` (other items skipped); None when there is no array.
fn strings_at(v: &Value, path: &[&str]) -> Option<Vec<String>> {
    at(v, path).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

impl FlowSettings {
    pub fn from_json(settings: &Value, theme: &Value) -> Self {
        let general = at(settings, &["general"]);
        let remember_user = at(settings, &["general", "rememberUser", "isEnabled"])
            .and_then(Value::as_bool)
            == Some(true)
            || general
                .and_then(|g| g.get("isNewResultOnRefreshEnabled"))
                .and_then(Value::as_bool)
                == Some(false);
        let dyn_url = |path: &[&str], enabled: &[&str], default_on: bool| {
            let on = at(theme, enabled)
                .and_then(Value::as_bool)
                .unwrap_or(default_on);
            string_at(theme, path).filter(|u| on && u.starts_with("{{"))
        };
        let dynamic_theme = DynamicTheme {
            host_avatar: dyn_url(
                &["chat", "hostAvatar", "url"],
                &["chat", "hostAvatar", "isEnabled"],
                true,
            ),
            guest_avatar: dyn_url(
                &["chat", "guestAvatar", "url"],
                &["chat", "guestAvatar", "isEnabled"],
                false,
            ),
            background: string_at(theme, &["general", "background", "content"])
                .filter(|u| u.starts_with("{{")),
        };
        let mut wire = Map::new();
        for key in ["general", "typingEmulation"] {
            if let Some(v) = settings.get(key) {
                wire.insert(key.to_string(), v.clone());
            }
        }
        FlowSettings {
            invalid_message: string_at(settings, &["general", "systemMessages", "invalidMessage"]),
            bot_closed_message: string_at(settings, &["general", "systemMessages", "botClosed"]),
            progress_enabled: at(theme, &["general", "progressBar", "isEnabled"])
                .and_then(Value::as_bool)
                == Some(true),
            allowed_origins: strings_at(settings, &["security", "allowedOrigins"])
                .unwrap_or_default(),
            remember_user,
            dynamic_theme,
            // Clamped to a year: a bot setting must not be able to overflow store arithmetic.
            session_ttl_seconds: at(settings, &["tessera", "sessionTtlSeconds"])
                .and_then(Value::as_u64)
                .map(|s| s.clamp(1, 365 * 86_400)),
            prefillable: strings_at(settings, &["tessera", "prefillableVariables"]),
            wire: Value::Object(wire),
        }
    }
}
