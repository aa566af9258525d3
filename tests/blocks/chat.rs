//! A conversation driven through the engine directly ([`Chat`]), and the assertions on a reply:
//! retried with a message, or accepted.

use std::sync::Arc;

use serde_json::{Value, json};
use tessera::engine::{
    Engine, EngineConfig, EngineError, MemoryFlows, Message, SessionState, StartParams, TextFormat,
    TurnOutput, TurnStatus,
};
use tessera::flow::{CompiledFlow, VarValue};

use crate::common::engine::texts;
use crate::flows::{compile, linear, text};

// A conversation driven through the engine

pub struct Chat {
    pub engine: Engine,
    pub flow: Arc<CompiledFlow>,
    pub state: Option<SessionState>,
    pub out: TurnOutput,
}

impl Chat {
    pub async fn start(def: Value) -> Chat {
        Chat::start_with(def, StartParams::default(), &[]).await
    }

    pub async fn start_with(def: Value, params: StartParams, others: &[Value]) -> Chat {
        Chat::try_start(def, params, others, EngineConfig::default())
            .await
            .unwrap_or_else(|e| panic!("start failed: {e}"))
    }

    pub async fn try_start(
        def: Value,
        params: StartParams,
        others: &[Value],
        config: EngineConfig,
    ) -> Result<Chat, EngineError> {
        let flows = Arc::new(MemoryFlows::new());
        for o in others {
            flows.publish(compile(o));
        }
        let flow = compile(&def);
        flows.publish(flow.clone());
        let engine = Engine::new(flows, None, config);
        let (state, out) = engine
            .start(flow.clone(), params, "result-1".into())
            .await?;
        Ok(Chat {
            engine,
            flow,
            state: Some(state),
            out,
        })
    }

    pub async fn send(&mut self, msg: Option<Message>) -> Result<(), EngineError> {
        let state = self.state.take().expect("a session");
        let (state, out) = self.engine.resume(state, msg, TextFormat::RichText).await?;
        self.state = Some(state);
        self.out = out;
        Ok(())
    }

    pub async fn say(&mut self, text: &str) -> &mut Self {
        self.send(Some(Message::text(text)))
            .await
            .unwrap_or_else(|e| panic!("reply {text:?} failed: {e}"));
        self
    }

    /// Plain text of every text bubble of the last turn.
    pub fn texts(&self) -> Vec<String> {
        texts(&self.out)
    }

    pub fn first_text(&self) -> String {
        self.texts().first().cloned().unwrap_or_default()
    }

    pub fn input_type(&self) -> Option<String> {
        self.out
            .input
            .as_ref()
            .and_then(|i| i["type"].as_str())
            .map(str::to_string)
    }

    pub fn input_id(&self) -> Option<String> {
        self.out
            .input
            .as_ref()
            .and_then(|i| i["id"].as_str())
            .map(str::to_string)
    }

    pub fn state(&self) -> &SessionState {
        self.state.as_ref().expect("a session")
    }

    /// A variable of the root flow, by name.
    pub fn var(&self, name: &str) -> Option<VarValue> {
        let d = self.flow.variable_by_name(name)?;
        self.state().frames[0].vars.get(&d.id).cloned()
    }

    pub fn var_str(&self, name: &str) -> Option<String> {
        self.var(name).map(|v| v.to_text())
    }

    pub fn logs(&self) -> Vec<String> {
        self.out
            .logs
            .iter()
            .map(|l| l.description.clone())
            .collect()
    }

    pub fn action(&self, kind: &str) -> Option<&Value> {
        self.out.actions.iter().find(|a| a["type"] == kind)
    }
}

/// Starts a one-input flow (`input` then a "done" bubble) and sends `reply`.
pub async fn answer(input_block: Value, vars: &[&str], reply: &str) -> Chat {
    let mut c = Chat::start(linear(json!([input_block, text("t-done", "done")]), vars)).await;
    c.say(reply).await;
    c
}

/// Asserts the turn retried the input `id` with `message`.
pub fn assert_retry(c: &Chat, id: &str, message: &str) {
    assert_eq!(c.texts(), vec![message.to_string()], "retry message");
    assert_eq!(
        c.out.messages[0]["id"], id,
        "the retry message has the input's id"
    );
    assert_eq!(c.input_id().as_deref(), Some(id), "the same input again");
    assert_eq!(c.out.status, TurnStatus::WaitingInput);
}

/// Asserts the reply was accepted: the flow went on to the "done" bubble.
pub fn assert_accepted(c: &Chat) {
    assert_eq!(c.texts(), vec!["done".to_string()], "the flow went on");
}
