//! continueChat: apply the user's message to the block the session waits on, then walk on.
//! Handles registered-only sessions, command events, reply / invalid-reply events, retries,
//! answers and the return-mark auto-resume.

use super::blocks::{self, inputs, inputs::Parsed};
use super::context::Turn;
use super::state::{Answer, MarkStatus, ReturnMark, TrailEntry};
use super::turn::{TurnAnswer, TurnStatus};
use super::{EngineError, Message};
use crate::flow::block::{BlockKind, InputKind};
use crate::flow::{EventKind, Target, VarValue};

impl Turn<'_> {
    /// Applies a message to the session and walks on.
    pub async fn continue_with(&mut self, msg: Option<Message>) -> Result<(), EngineError> {
        let Some(cur) = self.state.cur.clone() else {
            // A registered-only session: the first message starts the flow.
            for f in &mut self.state.frames {
                f.answers.clear();
            }
            if let Some(n) = self.state.answered.as_mut() {
                *n = 0;
            }
            let start = self.flow().start;
            return Box::pin(self.run_from(start, msg)).await;
        };
        if let Some(Message::Command { command }) = &msg {
            return self.command(command, Some(&cur)).await;
        }
        let flow = self.flow();
        let ix = flow.block_index(&cur).ok_or(EngineError::FlowGone)?;
        if matches!(flow.block(ix).kind, BlockKind::Input(_)) {
            self.reply_to_input(ix, msg.as_ref(), true).await?;
        } else {
            let streamed = blocks::integrations::streamed_bubble_follows(self, ix);
            if streamed {
                // The usage the streamMessage request recorded for this very state.
                self.streamed_usage().await;
            }
            blocks::resume_action(self, ix, msg.as_ref())?;
            let mut next = self.after_block(ix);
            if streamed {
                next = next.and_then(|bubble| self.after_block(bubble.block));
            }
            self.walk_or_end(next).await?;
        }
        self.auto_resume().await
    }

    /// Adds the usage recorded by the stream of the AI block the session waits on (none when
    /// the provider sent none, or nothing streamed).
    async fn streamed_usage(&mut self) {
        let Some(sink) = self.engine.ai.streamed.clone() else {
            return;
        };
        let key = blocks::integrations::ai::stream::usage_key(&self.state);
        if let Some(usage) = sink.read(&key).await {
            self.out.add_usage(&usage);
        }
    }

    /// Walks on from `next`, or ends the conversation without walking when there is nowhere to
    /// go (Typebot then answers with no actions and no logs).
    async fn walk_or_end(&mut self, next: Option<Target>) -> Result<(), EngineError> {
        if next.is_none() && self.state.top().queued.is_empty() && self.state.frames.len() == 1 {
            self.state.cur = None;
            self.out.status = TurnStatus::Completed;
            return Ok(());
        }
        self.walk(next).await
    }

    async fn reply_to_input(
        &mut self,
        ix: u32,
        msg: Option<&Message>,
        with_events: bool,
    ) -> Result<(), EngineError> {
        let parsed = inputs::parse_reply(self, ix, msg);
        let flow = self.flow();
        if with_events {
            let invalid = matches!(parsed, Parsed::Invalid);
            let reply_ev = flow
                .events
                .iter()
                .find(|e| matches!(e.kind, EventKind::Reply(_)) && e.outgoing_edge_id.is_some());
            let invalid_ev = flow.events.iter().find(|e| {
                matches!(e.kind, EventKind::InvalidReply(_)) && e.outgoing_edge_id.is_some()
            });
            let chosen = match (reply_ev, invalid_ev) {
                (Some(_), Some(i)) if invalid => Some((i, false)),
                (Some(r), _) => Some((r, true)),
                (None, Some(i)) if invalid => Some((i, false)),
                _ => None,
            };
            if let Some((ev, auto)) = chosen {
                let text = msg
                    .and_then(Message::reply_text)
                    .unwrap_or_default()
                    .to_string();
                self.fill_reply_event_vars(&ev.kind, ix, &text);
                let block_id = flow.block(ix).id.clone();
                self.state.mark = Some(ReturnMark {
                    status: MarkStatus::Pending,
                    block: block_id,
                    resume_with: auto.then_some(text),
                    resume_without_message: auto && msg.is_none(),
                });
                let target = ev.outgoing_edge_id.as_deref().and_then(|e| flow.edge(e));
                return self.walk(target).await;
            }
        }
        match parsed {
            Parsed::Invalid => {
                inputs::retry(self, ix);
                Ok(())
            }
            Parsed::Skip => {
                let next = self.after_block(ix);
                self.walk_or_end(next).await
            }
            Parsed::Valid(v) => {
                self.save_answer(ix, &v);
                let next = v
                    .edge
                    .as_deref()
                    .and_then(|e| flow.edge(e))
                    .or_else(|| self.after_block(ix));
                self.out.last_message_new_format = v.new_format.clone();
                self.walk_or_end(next).await
            }
        }
    }

    fn fill_reply_event_vars(&mut self, kind: &EventKind, ix: u32, text: &str) {
        let (EventKind::Reply(vars) | EventKind::InvalidReply(vars)) = kind else {
            return;
        };
        let flow = self.flow();
        let block = flow.block(ix);
        let input_type = match &block.kind {
            BlockKind::Input(i) => i.kind.reply_type_name(),
            _ => "text",
        };
        let title = flow.group(block.group).title.clone();
        let mut scope = self.scope();
        let pairs = [
            (&vars.content, text.to_string()),
            (&vars.input_type, input_type.to_string()),
            (&vars.input_name, title),
        ];
        for (var, value) in pairs {
            if let Some(id) = var {
                scope.set(id, VarValue::from_string(value));
            }
        }
    }

    /// Re-applies the reply that triggered a reply event once the walk is back on its input.
    async fn auto_resume(&mut self) -> Result<(), EngineError> {
        let Some(mark) = self.state.mark.clone() else {
            return Ok(());
        };
        if mark.status != MarkStatus::Called
            || self.state.cur.as_deref() != Some(mark.block.as_str())
        {
            return Ok(());
        }
        let Some(text) = mark.resume_with else {
            return Ok(());
        };
        self.state.mark = None;
        let flow = self.flow();
        let Some(ix) = flow.block_index(&mark.block) else {
            return Ok(());
        };
        // The input was already rendered by the walk; the re-applied reply replaces it. A reply
        // without a message (the Skip of an optional input) is re-applied as no message.
        self.out.input = None;
        let msg = (!mark.resume_without_message).then(|| Message::text(text));
        Box::pin(self.reply_to_input(ix, msg.as_ref(), false)).await
    }

    async fn command(&mut self, command: &str, cur: Option<&str>) -> Result<(), EngineError> {
        let flow = self.flow();
        let ev = flow
            .events
            .iter()
            .find(|e| matches!(&e.kind, EventKind::Command { command: c, .. } if c == command))
            .ok_or(EngineError::CommandNotFound)?;
        let EventKind::Command { resume_after, .. } = ev.kind else {
            return Err(EngineError::CommandNotFound);
        };
        if let Some(cur) = cur
            && let Some(ix) = flow.block_index(cur)
        {
            let here = Target {
                group: flow.block(ix).group,
                block: ix,
            };
            if resume_after {
                let pos = self.pos_of(here);
                self.state.top_mut().queued.push(pos);
            } else {
                self.state.mark = Some(ReturnMark {
                    status: MarkStatus::Pending,
                    block: cur.to_string(),
                    resume_with: None,
                    resume_without_message: false,
                });
            }
        }
        let target = ev.outgoing_edge_id.as_deref().and_then(|e| flow.edge(e));
        self.walk(target).await
    }

    /// Records a valid answer: variable, attachments, answer list, progress, trail.
    fn save_answer(&mut self, ix: u32, v: &inputs::ValidReply) {
        let flow = self.flow();
        let block = flow.block(ix);
        let BlockKind::Input(input) = &block.kind else {
            return;
        };
        {
            let mut scope = self.scope();
            if let Some(var) = &input.options.variable_id {
                let new = match scope.get(var) {
                    Some(VarValue::List(l)) => {
                        let mut l = l.clone();
                        l.push(Some(v.answer.clone()));
                        Some(VarValue::List(l))
                    }
                    _ => VarValue::from_string(v.answer.clone()),
                };
                scope.set(var, new);
            }
            for (id, value) in &v.set_vars {
                scope.set(id, value.clone());
            }
            if !v.attached.is_empty()
                && input.kind == InputKind::Text
                && input.options.attachments.is_enabled == Some(true)
                && let Some(var) = &input.options.attachments.save_variable_id
            {
                let new = match scope.get(var) {
                    Some(VarValue::List(l)) => {
                        let mut l = l.clone();
                        l.extend(v.attached.iter().cloned().map(Some));
                        VarValue::List(l)
                    }
                    _ => VarValue::List(v.attached.iter().cloned().map(Some).collect()),
                };
                scope.set(var, Some(new));
            }
        }
        let key = answer_key(&flow, ix, input.options.variable_id.as_deref());
        let content = if v.attached.is_empty() {
            v.answer.clone()
        } else {
            format!("{}\n\n{}", v.attached.join(", "), v.answer)
        };
        let answers = &mut self.state.top_mut().answers;
        answers.retain(|a| a.k != key);
        answers.push(Answer {
            k: key.clone(),
            v: content.clone(),
        });
        if let Some(n) = self.state.answered.as_mut() {
            *n += 1;
        }
        if let Some(trail) = self.state.trail.as_mut() {
            trail.push(TrailEntry::User(v.answer.clone()));
        }
        let own_result = match (&self.state.top().result_id, self.state.result_id()) {
            (Some(frame), Some(root)) if frame != root => {
                Some((self.state.top().flow.id.clone(), frame.clone()))
            }
            _ => None,
        };
        self.out.answer_results.push(own_result);
        self.out.answers.push(TurnAnswer {
            block_id: block.id.clone(),
            key,
            content,
            attached_file_urls: v.attached.clone(),
        });
    }
}

/// Answer key: the variable's name, else the group title (suffixed " (n)" for the n-th input of
/// the group, n >= 1), else the block id.
fn answer_key(flow: &crate::flow::CompiledFlow, ix: u32, var: Option<&str>) -> String {
    if let Some(d) = var.and_then(|v| flow.variable(v)) {
        return d.name.clone();
    }
    let block = flow.block(ix);
    let g = flow.group(block.group);
    if g.title.is_empty() {
        return block.id.clone();
    }
    let n = (g.first..ix)
        .filter(|i| matches!(flow.block(*i).kind, BlockKind::Input(_)))
        .count();
    if n == 0 {
        g.title.clone()
    } else {
        format!("{} ({n})", g.title)
    }
}
