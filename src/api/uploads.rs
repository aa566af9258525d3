//! File uploads as the published player does them: `POST /api/v3/generate-upload-url`
//! (`{sessionId, blockId, fileName, fileType?, fileSize?}` -> `{presignedUrl, formData,
//! fileUrl, fileType, maxFileSize}`), the local storage's presigned `PUT /api/v3/uploads/{token}`,
//! and `GET /api/v1/files/{fileId}/{fileName}` serving a file back (or redirecting to the
//! bucket). The session's block decides the type and size limits (conversation core); the
//! storage is [`crate::uploads`].

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use validator::Validate;

use super::AppState;
use super::body::{parse_body, read_body};
use super::error::{ApiError, ErrorCode};
use crate::conversation::Caller;
use crate::uploads::{Download, UploadError, UploadGrant, megabytes, safe_file_name};

#[derive(Debug, Deserialize, Validate)]
#[serde(rename_all = "camelCase")]
struct UploadUrlRequest {
    #[validate(length(min = 1, max = 255))]
    session_id: String,
    #[validate(length(min = 1, max = 255))]
    block_id: String,
    #[validate(length(min = 1, max = 1000))]
    file_name: String,
    #[serde(default)]
    #[validate(length(max = 255))]
    file_type: Option<String>,
    #[serde(default)]
    file_size: Option<u64>,
}

/// `POST /api/v3/generate-upload-url`.
pub async fn generate_upload_url(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload, req, state.max_body_bytes).await?;
    let r: UploadUrlRequest = parse_body(&body)?;
    let caller = Caller {
        origin: header(req, "origin"),
        iframe_referrer_origin: header(req, "x-typebot-iframe-referrer-origin"),
        ..Caller::default()
    };
    let slot = state
        .conversations
        .upload_slot(&r.session_id, &caller)
        .await?;
    if slot.block_id != r.block_id {
        return Err(ApiError::new(
            ErrorCode::UploadNotExpected,
            "The session does not wait on this block: blockId is not the current block.",
        ));
    }
    let name = safe_file_name(&r.file_name);
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let file_type = r
        .file_type
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .unwrap_or("application/octet-stream")
        .to_ascii_lowercase();
    if !is_mime(&file_type) {
        return Err(ApiError::bad_request("fileType: not a media type"));
    }
    if let Some(allowed) = &slot.allowed_extensions
        && !allowed.iter().any(|a| a == "*" || *a == ext)
    {
        return Err(ApiError::new(
            ErrorCode::FileTypeNotAllowed,
            format!(
                "File type .{ext} not allowed (allowed: {})",
                allowed.join(", ")
            ),
        ));
    }
    let max_mb = slot
        .size_limit_mb
        .unwrap_or(state.uploads.default_max_bytes as f64 / (1024.0 * 1024.0));
    let max_bytes = megabytes(max_mb);
    let base = base_url(req, state);
    let presigned = state
        .uploads
        .presign(&UploadGrant {
            base_url: &base,
            file_name: &name,
            content_type: &file_type,
            size: r.file_size,
            max_bytes,
        })
        .map_err(|e| match e {
            UploadError::TooLarge(_) => ApiError::new(
                ErrorCode::FileTooLarge,
                format!("File size exceeds the {max_mb}MB limit"),
            ),
            e => upload_error(e),
        })?;
    Ok(HttpResponse::Ok().json(json!({
        "presignedUrl": presigned.presigned_url,
        // Empty: the player PUTs the file itself to presignedUrl.
        "formData": {},
        "fileUrl": presigned.file_url,
        "fileType": file_type,
        "maxFileSize": max_mb,
    })))
}

/// `PUT /api/v3/uploads/{token}`: the local storage's presigned upload.
pub async fn put_upload(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    token: &str,
) -> Result<HttpResponse, ApiError> {
    let grant = state.uploads.check_token(token).map_err(upload_error)?;
    let declared = header(req, "content-type").unwrap_or_default();
    let declared = declared.split(';').next().unwrap_or_default().trim();
    if !declared.is_empty() && !declared.eq_ignore_ascii_case(&grant.t) {
        return Err(ApiError::new(
            ErrorCode::FileTypeNotAllowed,
            format!("This upload URL is for {} content, not {declared}", grant.t),
        ));
    }
    let limit = usize::try_from(grant.m).unwrap_or(usize::MAX);
    let body = read_body(payload, req, limit)
        .await
        .map_err(|e| match e.code {
            ErrorCode::PayloadTooLarge => upload_error(UploadError::TooLarge(grant.m)),
            _ => e,
        })?;
    state
        .uploads
        .store(&grant, &body)
        .await
        .map_err(upload_error)?;
    Ok(HttpResponse::Ok().json(json!({"message": "OK"})))
}

/// `GET /api/v1/files/{fileId}/{fileName}`.
pub async fn get_file(
    state: &AppState,
    file_id: &str,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    match state
        .uploads
        .open(file_id, name)
        .await
        .map_err(upload_error)?
    {
        Download::Redirect(url) => Ok(HttpResponse::Found()
            .insert_header(("location", url))
            .insert_header(("cache-control", "private, no-store"))
            .finish()),
        Download::Bytes { content_type, body } => {
            // Uploads are served from this origin: never as a page that could run script here.
            let inline = is_inline_safe(&content_type);
            Ok(HttpResponse::Ok()
                .insert_header(("content-type", content_type))
                .insert_header(("x-content-type-options", "nosniff"))
                .insert_header(("content-security-policy", "default-src 'none'; sandbox"))
                .insert_header((
                    "content-disposition",
                    if inline { "inline" } else { "attachment" },
                ))
                .insert_header(("cache-control", "private, max-age=86400"))
                .body(body))
        }
    }
}

/// Shown in the browser: pictures (not SVG, which can carry script), sound, video, PDF.
fn is_inline_safe(content_type: &str) -> bool {
    let t = content_type.to_ascii_lowercase();
    (t.starts_with("image/") && !t.contains("svg"))
        || t.starts_with("audio/")
        || t.starts_with("video/")
        || t == "application/pdf"
}

/// `type/subtype` of token characters.
fn is_mime(t: &str) -> bool {
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    t.split_once('/').is_some_and(|(a, b)| ok(a) && ok(b))
}

/// The base URL the browser reaches this server at: the configured public URL, else the
/// request's scheme and host.
fn base_url(req: &HttpRequest, state: &AppState) -> String {
    if let Some(u) = &state.uploads.public_url {
        return u.clone();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn header(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|s| !s.is_empty())
}

fn upload_error(e: UploadError) -> ApiError {
    let msg = e.to_string();
    let code = match e {
        UploadError::InvalidToken => ErrorCode::UploadUrlInvalid,
        UploadError::Expired => ErrorCode::UploadUrlExpired,
        UploadError::TooLarge(_) => ErrorCode::FileTooLarge,
        UploadError::AlreadyUploaded => ErrorCode::UploadAlreadyDone,
        UploadError::NotFound => ErrorCode::FileNotFound,
        UploadError::Storage(ref m) => {
            tracing::error!(error = %m, "upload storage failed");
            return ApiError::new(ErrorCode::UploadStorageError, "The upload storage failed.");
        }
    };
    ApiError::new(code, msg)
}
