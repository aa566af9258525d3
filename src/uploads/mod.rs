//! Storage of the files visitors upload through file inputs, behind the player's presigned
//! upload protocol (`POST /api/v3/generate-upload-url` answers `{presignedUrl, formData,
//! fileUrl}`; the player then PUTs the file to `presignedUrl`, or POSTs a form when
//! `formData` is not empty). Two backends:
//!
//! - [`local`]: a directory Tessera serves itself. The presigned URL is Tessera's own
//!   `PUT /api/v3/uploads/{token}`, the token an HMAC-signed grant (one key, its content type,
//!   its size limit, its expiry).
//! - [`s3`]: an S3-compatible bucket; the presigned URL is a SigV4 query-signed PUT (content
//!   type and length signed), made with `rusty-s3`.
//!
//! Either way a file is read back only through `GET /api/v1/files/{fileId}/{fileName}`, whose
//! `fileId` is 256 random bits: the URL is unguessable, and nothing lists the files. For S3
//! the route answers a short-lived presigned GET, so the bucket stays private.
//!
//! Must not know sessions, flows or HTTP: the conversation core says what the block allows,
//! the API layer moves the bytes.

pub mod local;
pub mod s3;
mod token;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::UploadsConfig;

/// How long a presigned upload URL stays valid (Typebot: 10 minutes).
pub const UPLOAD_URL_TTL: Duration = Duration::from_secs(600);
/// How long a presigned S3 download URL (the redirect of the files route) stays valid.
pub const DOWNLOAD_URL_TTL: Duration = Duration::from_secs(300);

/// Why an upload or a download was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    /// The upload URL's token is malformed or its signature does not match.
    #[error("invalid upload URL")]
    InvalidToken,
    /// The upload URL has expired.
    #[error("this upload URL has expired: ask for a new one")]
    Expired,
    /// The file is larger than the block allows.
    #[error("the file is larger than the {0} bytes allowed")]
    TooLarge(u64),
    /// The upload URL was already used.
    #[error("this upload URL was already used")]
    AlreadyUploaded,
    /// No such file.
    #[error("file not found")]
    NotFound,
    /// The storage failed (disk, bucket configuration).
    #[error("upload storage: {0}")]
    Storage(String),
}

/// What the player is allowed to upload: one file of this name and type, at most `max_bytes`.
#[derive(Debug, Clone)]
pub struct UploadGrant<'a> {
    /// Base URL of this server as the browser reaches it (`https://bots.example.com`).
    pub base_url: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    /// The size the player declared (`fileSize`).
    pub size: Option<u64>,
    pub max_bytes: u64,
}

/// The answer of generate-upload-url.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub presigned_url: String,
    pub file_url: String,
}

/// Where a file is read back from.
#[derive(Debug)]
pub enum Download {
    /// The bytes, from the local directory.
    Bytes { content_type: String, body: Vec<u8> },
    /// A presigned URL of the bucket to redirect to.
    Redirect(String),
}

enum Backend {
    Local(local::LocalStore),
    S3(s3::S3Store),
}

/// The upload storage, built once from the configuration.
pub struct Uploads {
    backend: Backend,
    signer: token::Signer,
    /// Size limit when the block sets none.
    pub default_max_bytes: u64,
    /// The configured public base URL, if any.
    pub public_url: Option<String>,
}

impl Uploads {
    /// `signing_secret` signs the local upload URLs: the same on every server process that
    /// shares the directory (derived from `TESSERA_SECRET_KEY`), or random for one process.
    pub fn new(config: &UploadsConfig, signing_secret: &[u8]) -> Result<Uploads, UploadError> {
        let backend = match &config.s3 {
            Some(s3) => Backend::S3(s3::S3Store::new(s3)?),
            None => Backend::Local(local::LocalStore::new(config.dir.clone())),
        };
        Ok(Uploads {
            backend,
            signer: token::Signer::new(signing_secret),
            default_max_bytes: megabytes(config.max_file_mb),
            public_url: config
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
        })
    }

    /// The kind of storage, for logs and the docs: `directory` or `s3`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            Backend::Local(_) => "directory",
            Backend::S3(_) => "s3",
        }
    }

    /// The origin of the presigned upload URLs when it is not this server's (an S3 bucket);
    /// `None` for the directory storage, whose uploads go to Tessera itself.
    pub fn upload_origin(&self) -> Option<String> {
        match &self.backend {
            Backend::Local(_) => None,
            Backend::S3(s3) => Some(s3.origin()),
        }
    }

    /// A presigned upload for one file.
    pub fn presign(&self, grant: &UploadGrant<'_>) -> Result<Presigned, UploadError> {
        if grant.size.is_some_and(|s| s > grant.max_bytes) {
            return Err(UploadError::TooLarge(grant.max_bytes));
        }
        let file_id = crate::uploads::token::random_hex(32);
        let name = safe_file_name(grant.file_name);
        let key = format!("{file_id}/{name}");
        let base = grant.base_url.trim_end_matches('/');
        let presigned_url = match &self.backend {
            Backend::Local(_) => {
                let t = self.signer.sign(&token::Grant {
                    k: key.clone(),
                    t: grant.content_type.to_string(),
                    m: grant.max_bytes,
                    e: now_secs() + UPLOAD_URL_TTL.as_secs(),
                });
                format!("{base}/api/v3/uploads/{t}")
            }
            Backend::S3(s3) => s3.presign_put(&key, grant.content_type, grant.size)?,
        };
        Ok(Presigned {
            presigned_url,
            file_url: format!("{base}/api/v1/files/{key}"),
        })
    }

    /// Checks a local upload URL's token: the grant it carries, or why not.
    pub fn check_token(&self, token: &str) -> Result<token::Grant, UploadError> {
        let grant = self.signer.verify(token)?;
        if now_secs() > grant.e {
            return Err(UploadError::Expired);
        }
        Ok(grant)
    }

    /// Stores the body of a local upload (after [`Uploads::check_token`]).
    pub async fn store(&self, grant: &token::Grant, body: &[u8]) -> Result<(), UploadError> {
        if body.len() as u64 > grant.m {
            return Err(UploadError::TooLarge(grant.m));
        }
        match &self.backend {
            Backend::Local(l) => l.write(&grant.k, &grant.t, body).await,
            // S3 uploads go to the bucket; a token of ours never names an S3 key.
            Backend::S3(_) => Err(UploadError::InvalidToken),
        }
    }

    /// A stored file, by its id and name (both checked: nothing outside the storage).
    pub async fn open(&self, file_id: &str, name: &str) -> Result<Download, UploadError> {
        if !is_file_id(file_id) || safe_file_name(name) != name {
            return Err(UploadError::NotFound);
        }
        let key = format!("{file_id}/{name}");
        match &self.backend {
            Backend::Local(l) => l.read(&key).await,
            Backend::S3(s3) => Ok(Download::Redirect(s3.presign_get(&key))),
        }
    }
}

/// A file id: 64 lower-case hex digits (256 random bits).
fn is_file_id(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The file name as stored: letters, digits, `.`, `-` and `_` only (others become `_`), no
/// leading dot, at most 100 characters keeping the extension; `file` when nothing is left.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.starts_with('.') {
        out.remove(0);
    }
    if out.len() > 100 {
        let ext = out
            .rsplit_once('.')
            .map(|(_, e)| e.to_string())
            .filter(|e| e.len() <= 16)
            .unwrap_or_default();
        out.truncate(100 - ext.len() - 1);
        if !ext.is_empty() {
            out.push('.');
            out.push_str(&ext);
        }
    }
    if out.is_empty() || out.bytes().all(|b| b == b'_' || b == b'.') {
        return "file".into();
    }
    out
}

/// Megabytes (as file input blocks state limits) to bytes.
pub fn megabytes(mb: f64) -> u64 {
    if mb.is_finite() && mb > 0.0 {
        (mb * 1024.0 * 1024.0) as u64
    } else {
        0
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_stored_without_paths_or_odd_characters() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(
            safe_file_name("C:\\x\\report final.pdf"),
            "report_final.pdf"
        );
        assert_eq!(safe_file_name(".htaccess"), "htaccess");
        assert_eq!(safe_file_name("..."), "file");
        assert_eq!(safe_file_name("<script>.html"), "_script_.html");
        let long = format!("{}.png", "a".repeat(300));
        let s = safe_file_name(&long);
        assert_eq!(s.len(), 100);
        assert!(s.ends_with(".png"));
    }

    #[test]
    fn uploads_go_to_this_server_unless_a_bucket_is_configured() {
        let mut config = UploadsConfig::default();
        let local = Uploads::new(&config, b"k").expect("directory storage");
        assert_eq!(local.upload_origin(), None);
        for (endpoint, virtual_host, origin) in [
            (
                "https://s3.eu-west-1.amazonaws.com",
                true,
                "https://docs.s3.eu-west-1.amazonaws.com",
            ),
            ("http://127.0.0.1:9000/", false, "http://127.0.0.1:9000"),
        ] {
            config.s3 = Some(crate::config::S3Config {
                endpoint: endpoint.into(),
                bucket: "docs".into(),
                region: "eu-west-1".into(),
                access_key: "ak".into(),
                secret_key: crate::config::SecretString("sk".into()),
                virtual_host,
            });
            let s3 = Uploads::new(&config, b"k").expect("bucket storage");
            assert_eq!(s3.upload_origin().as_deref(), Some(origin), "{endpoint}");
        }
    }

    #[test]
    fn file_ids_are_256_bit_hex() {
        assert!(is_file_id(&"ab".repeat(32)));
        assert!(!is_file_id("abc"));
        assert!(!is_file_id(&"AB".repeat(32)));
        assert!(!is_file_id(&format!("{}/", "a".repeat(63))));
    }
}
