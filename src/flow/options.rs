//! Typed block options, deserialized leniently from the exported JSON (every field optional,
//! unknown fields ignored). Field names follow Typebot's camelCase. Defaults that Typebot
//! applies at run time live in the code that reads these, not here.

use serde::Deserialize;
use serde_json::Value;

/// Options of every input type, merged: each input reads the fields it needs.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct InputOptions {
    pub variable_id: Option<String>,
    pub retry_message_content: Option<String>,
    pub labels: Labels,
    // number
    pub min: Option<Value>,
    pub max: Option<Value>,
    // phone
    pub default_country_code: Option<String>,
    // date / time
    pub has_time: Option<bool>,
    pub is_range: Option<bool>,
    pub format: Option<String>,
    // choice / picture choice
    pub is_multiple_choice: Option<bool>,
    pub dynamic_variable_id: Option<String>,
    pub dynamic_items: DynamicItems,
    // rating
    pub length: Option<Value>,
    // file
    pub is_required: Option<bool>,
    pub is_multiple_allowed: Option<bool>,
    pub allowed_file_types: AllowedFileTypes,
    /// Megabytes (a number or a numeric string; exports before v6).
    pub size_limit: Option<Value>,
    // text
    pub attachments: SaveToggle,
    pub audio_clip: SaveToggle,
    // payment
    pub credentials_id: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    // cards
    pub save_response_mapping: Vec<CardMapping>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Labels {
    pub separator: Option<String>,
    pub success: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DynamicItems {
    pub is_enabled: Option<bool>,
    pub titles_variable_id: Option<String>,
    pub descriptions_variable_id: Option<String>,
    pub picture_srcs_variable_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AllowedFileTypes {
    pub is_enabled: Option<bool>,
    pub types: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SaveToggle {
    pub is_enabled: Option<bool>,
    pub save_variable_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CardMapping {
    pub field: Option<String>,
    pub variable_id: Option<String>,
}

/// `{logicalOperator, comparisons}` as used by Condition items and display conditions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    pub logical_operator: Option<String>,
    pub comparisons: Vec<Comparison>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Comparison {
    pub variable_id: Option<String>,
    pub comparison_operator: Option<String>,
    pub value: Option<String>,
}

/// One branch of a Condition block.
#[derive(Debug, Clone)]
pub struct ConditionItem {
    pub id: String,
    pub condition: Condition,
    pub outgoing_edge_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SetVariableOptions {
    pub variable_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub expression_to_evaluate: Option<String>,
    pub is_code: Option<bool>,
    pub is_executed_on_client: Option<bool>,
    pub is_unsafe: Option<bool>,
    pub save_error_in_variable_id: Option<String>,
    pub time_zone: Option<String>,
    pub item: Option<String>,
    pub save_item_in_variable_id: Option<String>,
    pub map_list_item_params: MapListItemParams,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MapListItemParams {
    pub base_item_variable_id: Option<String>,
    pub base_list_variable_id: Option<String>,
    pub target_list_variable_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScriptOptions {
    pub name: Option<String>,
    pub content: Option<String>,
    pub is_executed_on_client: Option<bool>,
    pub is_unsafe: Option<bool>,
    pub should_execute_in_parent_context: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LinkOptions {
    pub typebot_id: Option<String>,
    pub group_id: Option<String>,
    pub merge_results: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WaitOptions {
    pub seconds_to_wait_for: Option<Value>,
    pub should_pause: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct AbTestOptions {
    pub a_percent: f64,
    pub a_edge: Option<String>,
    pub b_edge: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HttpRequestOptions {
    pub webhook: Option<WebhookDef>,
    pub is_custom_body: Option<bool>,
    pub timeout: Option<f64>,
    pub response_variable_mapping: Vec<ResponseMapping>,
    pub is_executed_on_client: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WebhookDef {
    pub url: Option<String>,
    pub method: Option<String>,
    pub headers: Vec<KeyValue>,
    pub query_params: Vec<KeyValue>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct KeyValue {
    pub key: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ResponseMapping {
    pub variable_id: Option<String>,
    pub body_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EmailOptions {
    pub credentials_id: Option<String>,
    pub recipients: Vec<String>,
    pub cc: Vec<String>,
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub is_custom_body: Option<bool>,
    pub is_body_code: Option<bool>,
}
