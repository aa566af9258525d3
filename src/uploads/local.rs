//! The directory storage: `{dir}/{fileId}/{fileName}` with the content type beside it in
//! `{dir}/{fileId}/.type`. A file is written to a temporary name and renamed into place, so a
//! half-written upload is never served; the file id's directory is created exclusively, so an
//! upload URL works once.

use std::path::PathBuf;

use super::{Download, UploadError};

pub struct LocalStore {
    dir: PathBuf,
}

const TYPE_FILE: &str = ".type";

impl LocalStore {
    pub fn new(dir: PathBuf) -> LocalStore {
        LocalStore { dir }
    }

    /// Writes one upload; `key` is `{fileId}/{fileName}` as checked by the caller.
    pub async fn write(
        &self,
        key: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), UploadError> {
        let (id, name) = key.split_once('/').ok_or(UploadError::InvalidToken)?;
        let storage = |e: std::io::Error| UploadError::Storage(e.to_string());
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(storage)?;
        let folder = self.dir.join(id);
        match tokio::fs::create_dir(&folder).await {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(UploadError::AlreadyUploaded);
            }
            Err(e) => return Err(storage(e)),
        }
        let written = async {
            let part = folder.join(".part");
            tokio::fs::write(&part, body).await?;
            tokio::fs::write(folder.join(TYPE_FILE), content_type).await?;
            tokio::fs::rename(&part, folder.join(name)).await
        }
        .await;
        if let Err(e) = written {
            // Nothing half-written stays behind.
            let _ = tokio::fs::remove_dir_all(&folder).await;
            return Err(storage(e));
        }
        Ok(())
    }

    pub async fn read(&self, key: &str) -> Result<Download, UploadError> {
        let (id, _) = key.split_once('/').ok_or(UploadError::NotFound)?;
        let body = match tokio::fs::read(self.dir.join(key)).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(UploadError::NotFound);
            }
            Err(e) => return Err(UploadError::Storage(e.to_string())),
        };
        let content_type = tokio::fs::read_to_string(self.dir.join(id).join(TYPE_FILE))
            .await
            .unwrap_or_else(|_| "application/octet-stream".into());
        Ok(Download::Bytes { content_type, body })
    }
}
