//! What the upload and wait-for-webhook routes ask of a conversation: the file input a
//! session waits on (its type and size limits) for `generate-upload-url`, and whether a bot
//! has a "wait for webhook" block for `executeWebhook`. Reads only: nothing is leased or saved.

use super::{Caller, Conversations, ServiceError};
use crate::flow::block::{BlockKind, InputKind, Logic};

/// The file input a session waits on, as far as uploads are concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadSlot {
    pub flow_id: String,
    pub block_id: String,
    pub result_id: Option<String>,
    /// Allowed extensions (lower case, without the dot) when the block filters types.
    pub allowed_extensions: Option<Vec<String>>,
    /// The block's `sizeLimit` in megabytes, if it sets one.
    pub size_limit_mb: Option<f64>,
}

impl Conversations {
    /// The upload slot of the block the session waits on: a file input, or a text input with
    /// attachments or audio clips on (as Typebot's generate-upload-url checks).
    pub async fn upload_slot(
        &self,
        session_id: &str,
        caller: &Caller,
    ) -> Result<UploadSlot, ServiceError> {
        let (state, _root) = self.peek_live(session_id, caller).await?;
        let gone = || ServiceError::Engine(crate::engine::EngineError::FlowGone);
        let top = &state.top().flow;
        let flow = self
            .registry
            .revision(&top.id, &top.rev)
            .await?
            .ok_or_else(gone)?;
        let cur = state.cur.clone().ok_or(ServiceError::NoUploadExpected)?;
        let ix = flow
            .block_index(&cur)
            .ok_or(ServiceError::NoUploadExpected)?;
        let BlockKind::Input(input) = &flow.block(ix).kind else {
            return Err(ServiceError::NoUploadExpected);
        };
        let o = &input.options;
        let on = |t: Option<bool>| t == Some(true);
        let expects = match input.kind {
            InputKind::File => true,
            InputKind::Text => on(o.attachments.is_enabled) || on(o.audio_clip.is_enabled),
            _ => false,
        };
        if !expects {
            return Err(ServiceError::NoUploadExpected);
        }
        let file = input.kind == InputKind::File;
        let ft = &o.allowed_file_types;
        let allowed_extensions = (file && on(ft.is_enabled) && !ft.types.is_empty()).then(|| {
            ft.types
                .iter()
                .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
                .collect()
        });
        let size_limit_mb = o
            .size_limit
            .as_ref()
            .filter(|_| file)
            .and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()))
            .filter(|mb| *mb > 0.0);
        Ok(UploadSlot {
            flow_id: flow.id.clone(),
            block_id: cur,
            result_id: state.result_id().map(str::to_string),
            allowed_extensions,
            size_limit_mb,
        })
    }

    /// Checks that the bot (id or public id) is published and that `block_id` is one of its
    /// "wait for webhook" blocks; the bot's id.
    pub async fn webhook_block(
        &self,
        typebot_id: &str,
        block_id: &str,
    ) -> Result<String, ServiceError> {
        let flow = self
            .registry
            .resolve(typebot_id)
            .await?
            .ok_or(ServiceError::FlowNotFound)?
            .flow;
        let listener = flow
            .block_index(block_id)
            .map(|ix| &flow.block(ix).kind)
            .is_some_and(|k| matches!(k, BlockKind::Logic(Logic::WebhookListener(_))));
        if !listener {
            return Err(ServiceError::WebhookBlockNotFound);
        }
        Ok(flow.id.clone())
    }
}
