//! The player's static files, compiled into the binary: `/embed.js` (the one script a host page
//! loads) and the modules, styles and page styles under `/_tessera/`. Each answers with its
//! content type, a weak `ETag` (a hash of the bytes, computed at compile time) and a short public
//! cache lifetime; a matching `If-None-Match` gets a 304.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// One embedded file: its name (as in `/_tessera/{name}`), content type and bytes.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
    pub etag: u64,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// FNV-1a over the bytes: a stable, dependency-free content hash for the `ETag`.
const fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

macro_rules! assets {
    ($($name:literal => $ct:expr,)*) => {
        /// Every embedded file.
        pub const ASSETS: &[Asset] = &[$(Asset {
            name: $name,
            content_type: $ct,
            body: include_str!(concat!("../../../web/assets/", $name)),
            etag: fnv(include_str!(concat!("../../../web/assets/", $name)).as_bytes()),
        },)*];
    };
}

assets! {
    "embed.js" => JS,
    "widget.js" => JS,
    "chat.js" => JS,
    "client.js" => JS,
    "dom.js" => JS,
    "richtext.js" => JS,
    "bubbles.js" => JS,
    "inputs.js" => JS,
    "inputs-more.js" => JS,
    "file-input.js" => JS,
    "actions.js" => JS,
    "stream.js" => JS,
    "theme.js" => JS,
    "player.css" => CSS,
    "page.css" => CSS,
}

/// The embedded file called `name`.
pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The file's response: 200 with the body, or 304 when the client's copy is current.
pub fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    // Weak: the same file may be sent gzipped or not (the compression middleware), so the
    // validator names the content, not the bytes on the wire.
    let etag = format!("W/\"{:016x}\"", asset.etag);
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == &etag[2..])
        });
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        // Short-lived but revalidated cheaply: an upgraded server is picked up within minutes.
        .insert_header((
            header::CACHE_CONTROL,
            "public, max-age=300, stale-while-revalidate=86400",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Host pages on other origins load the player and its modules (module scripts need CORS).
        .insert_header(("cross-origin-resource-policy", "cross-origin"));
    if fresh {
        return res.finish();
    }
    res.content_type(asset.content_type).body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_by_name_with_its_type() {
        assert!(find("embed.js").is_some_and(|a| a.content_type.starts_with("text/javascript")));
        assert!(find("player.css").is_some_and(|a| a.content_type.starts_with("text/css")));
        assert!(find("../Cargo.toml").is_none());
        assert_ne!(fnv(b"a"), fnv(b"b"));
    }
}
