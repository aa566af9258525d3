//! The `[uploads]` section: where files uploaded through file inputs are kept (a directory
//! Tessera serves itself, the default, or an S3-compatible bucket) and the size limit applied
//! when a block sets none.

use std::path::PathBuf;

use serde::Deserialize;

use super::{ConfigError, SecretString};

/// Upload storage settings (`[uploads]`, `TESSERA_UPLOADS_*`, `TESSERA_S3_*`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct UploadsConfig {
    /// Directory of the local storage (created on the first upload).
    pub dir: PathBuf,
    /// Size limit in megabytes when the file input sets none (`sizeLimit`).
    pub max_file_mb: f64,
    /// The public base URL of this server (`https://bots.example.com`), used in upload and
    /// file URLs; unset, the request's own scheme and host.
    pub public_url: Option<String>,
    /// Store the files in this S3-compatible bucket instead of the directory.
    pub s3: Option<S3Config>,
}

impl Default for UploadsConfig {
    fn default() -> Self {
        UploadsConfig {
            dir: PathBuf::from("data/uploads"),
            max_file_mb: 10.0,
            public_url: None,
            s3: None,
        }
    }
}

/// An S3-compatible bucket (`[uploads.s3]`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`...
    pub endpoint: String,
    pub bucket: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key: String,
    pub secret_key: SecretString,
    /// Bucket in the host name (`bucket.endpoint`) instead of the path.
    #[serde(default)]
    pub virtual_host: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

impl UploadsConfig {
    /// The environment's overrides: `TESSERA_UPLOADS_DIR`, `TESSERA_UPLOADS_MAX_FILE_MB`,
    /// `TESSERA_UPLOADS_PUBLIC_URL`; `TESSERA_S3_ENDPOINT`, `_BUCKET`, `_REGION`,
    /// `_ACCESS_KEY`, `_SECRET_KEY` (the endpoint turns the bucket on).
    pub fn apply_env(&mut self, get: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("TESSERA_UPLOADS_DIR") {
            self.dir = PathBuf::from(v);
        }
        if let Some(v) = get("TESSERA_UPLOADS_MAX_FILE_MB") {
            self.max_file_mb = v.trim().parse().map_err(|_| {
                ConfigError::Env(
                    "TESSERA_UPLOADS_MAX_FILE_MB".into(),
                    format!("{v:?} is not a number"),
                )
            })?;
        }
        if let Some(v) = get("TESSERA_UPLOADS_PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(endpoint) = get("TESSERA_S3_ENDPOINT") {
            let need = |k: &str| {
                get(k).ok_or_else(|| {
                    ConfigError::Env(k.into(), "is required with TESSERA_S3_ENDPOINT".into())
                })
            };
            self.s3 = Some(S3Config {
                endpoint,
                bucket: need("TESSERA_S3_BUCKET")?,
                region: get("TESSERA_S3_REGION").unwrap_or_else(default_region),
                access_key: need("TESSERA_S3_ACCESS_KEY")?,
                secret_key: SecretString(need("TESSERA_S3_SECRET_KEY")?),
                virtual_host: false,
            });
        }
        Ok(())
    }
}
