//! The S3-compatible bucket storage: presigned PUTs for the player's uploads (content type, and
//! content length when the player declared it, are signed: S3 refuses another type or size)
//! and presigned GETs for the files route. Signing is `rusty-s3`'s (SigV4, query string).

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::{DOWNLOAD_URL_TTL, UPLOAD_URL_TTL, UploadError};
use crate::config::S3Config;

pub struct S3Store {
    bucket: Bucket,
    credentials: Credentials,
}

impl S3Store {
    pub fn new(c: &S3Config) -> Result<S3Store, UploadError> {
        let endpoint = c
            .endpoint
            .parse()
            .map_err(|e| UploadError::Storage(format!("S3 endpoint {:?}: {e}", c.endpoint)))?;
        let style = if c.virtual_host {
            UrlStyle::VirtualHost
        } else {
            UrlStyle::Path
        };
        let bucket = Bucket::new(endpoint, style, c.bucket.clone(), c.region.clone())
            .map_err(|e| UploadError::Storage(format!("S3 bucket {:?}: {e}", c.bucket)))?;
        Ok(S3Store {
            bucket,
            credentials: Credentials::new(c.access_key.clone(), c.secret_key.0.clone()),
        })
    }

    pub fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: Option<u64>,
    ) -> Result<String, UploadError> {
        let mut put = self.bucket.put_object(Some(&self.credentials), key);
        put.headers_mut()
            .insert("content-type", content_type.to_string());
        if let Some(n) = size {
            put.headers_mut().insert("content-length", n.to_string());
        }
        Ok(put.sign(UPLOAD_URL_TTL).to_string())
    }

    /// The origin presigned URLs point at (`https://bucket.s3.example.com`): the one host
    /// besides Tessera a page's player sends files to.
    pub fn origin(&self) -> String {
        self.bucket.base_url().origin().ascii_serialization()
    }

    pub fn presign_get(&self, key: &str) -> String {
        self.bucket
            .get_object(Some(&self.credentials), key)
            .sign(DOWNLOAD_URL_TTL)
            .to_string()
    }
}
