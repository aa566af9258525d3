//! Rooms on Redis ([`crate::store::rooms`]): a room's undelivered message is the key
//! `{prefix}:room:{room}` (set with a TTL, taken with `GETDEL`, so one taker gets it), and a
//! post publishes the room's name on the channel `{prefix}:rooms`. Every process subscribes to
//! that channel on a dedicated connection (resubscribing after an outage) and wakes its own
//! listeners of the room, which then race to `GETDEL` the key. On a Redis Cluster the key goes
//! through the cluster connection and the channel is subscribed on the first node (a cluster
//! forwards `PUBLISH` to every node).

use std::sync::Arc;
use std::time::Duration;

use ::redis::AsyncCommands;
use futures_util::StreamExt;

use super::RedisOptions;
use super::conn::{self, Conn};
use crate::store::rooms::{PENDING_TTL_SECS, RoomBus, Wakers};
use crate::store::{BoxFuture, StoreError};

pub struct RedisRoomBus {
    conn: Conn,
    prefix: String,
    timeout: Duration,
}

impl RedisRoomBus {
    /// Opens the bus and starts this process's subscriber, which wakes `wakers`.
    pub fn open(
        url: &str,
        opts: &RedisOptions,
        wakers: Arc<Wakers>,
    ) -> Result<RedisRoomBus, StoreError> {
        let conn = conn::open(url, opts)?;
        let node = conn::first_node(url)?;
        let client = ::redis::Client::open(node.as_str())
            .map_err(|e| StoreError::Other(format!("invalid Redis configuration: {e}")))?;
        let channel = format!("{}:rooms", opts.prefix);
        tokio::spawn(subscribe(client, channel, wakers));
        Ok(RedisRoomBus {
            conn,
            prefix: opts.prefix.clone(),
            timeout: opts.command_timeout,
        })
    }

    fn key(&self, room: &str) -> String {
        format!("{}:room:{room}", self.prefix)
    }

    async fn bounded<T>(
        &self,
        f: impl std::future::Future<Output = Result<T, ::redis::RedisError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, f).await {
            Ok(r) => r.map_err(|e| conn::map_err("rooms", e)),
            Err(_) => Err(StoreError::Unavailable(
                "Redis did not answer in time".into(),
            )),
        }
    }
}

impl RoomBus for RedisRoomBus {
    fn post<'a>(
        &'a self,
        room: &'a str,
        message: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let key = self.key(room);
            self.bounded(c.set_ex::<_, _, ()>(&key, message, PENDING_TTL_SECS))
                .await?;
            let channel = format!("{}:rooms", self.prefix);
            self.bounded(c.publish::<_, _, i64>(channel, room)).await?;
            Ok(())
        })
    }

    fn take<'a>(&'a self, room: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            self.bounded(c.get_del::<_, Option<String>>(self.key(room)))
                .await
        })
    }
}

/// Subscribes to the rooms channel for the life of the process, waking local listeners.
async fn subscribe(client: ::redis::Client, channel: String, wakers: Arc<Wakers>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    backoff = Duration::from_millis(100);
                    tracing::debug!(channel = %channel, "subscribed to the rooms channel");
                    let mut messages = pubsub.into_on_message();
                    while let Some(msg) = messages.next().await {
                        if let Ok(room) = msg.get_payload::<String>() {
                            wakers.wake(&room);
                        }
                    }
                    tracing::warn!("the Redis rooms subscription ended; resubscribing");
                }
                Err(e) => tracing::warn!(error = %e, "cannot subscribe to the Redis rooms channel"),
            },
            Err(e) => tracing::warn!(error = %e, "cannot open the Redis rooms subscription"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}
