//! Rooms: how a message posted for a room (the wait-for-webhook block's `{resultId}/webhooks`)
//! reaches the one WebSocket listening to it, on whichever server process it is connected.
//!
//! A room holds at most one undelivered message. [`Rooms::post`] keeps it (replacing an older
//! one, for ten minutes) and wakes the room's listeners; a listener [`Rooms::take`]s it, and
//! only one taker ever gets it. So a message posted before the player connected is delivered
//! when it connects (Typebot's PartyKit relay loses it), and with several processes exactly one
//! listener receives it. The [`RoomBus`] keeps the messages: in memory for one process, or in
//! Redis (a key per room, taken with `GETDEL`, and a pub/sub channel whose messages wake the
//! listeners of every process).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::{BoxFuture, StoreError};

/// How long an undelivered message waits for its listener.
pub const PENDING_TTL_SECS: u64 = 600;

/// Where room messages are kept until taken.
pub trait RoomBus: Send + Sync {
    /// Keeps `message` as the room's undelivered one and wakes the room's listeners (here
    /// through `wakers`, elsewhere through the bus).
    fn post<'a>(&'a self, room: &'a str, message: &'a str)
    -> BoxFuture<'a, Result<(), StoreError>>;
    /// Takes the room's undelivered message, if any: at most one caller gets it.
    fn take<'a>(&'a self, room: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>>;
}

/// The listeners of this process, by room.
#[derive(Default)]
pub struct Wakers {
    rooms: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Wakers {
    /// Wakes the listeners of `room` in this process, if any.
    pub fn wake(&self, room: &str) {
        let notify = self.lock().get(room).cloned();
        if let Some(n) = notify {
            n.notify_waiters();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Notify>>> {
        self.rooms.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn join(&self, room: &str) -> Arc<Notify> {
        self.lock().entry(room.to_string()).or_default().clone()
    }

    fn leave(&self, room: &str, notify: Arc<Notify>) {
        let mut rooms = self.lock();
        drop(notify);
        // The map's own reference is the last one: nobody listens here any more.
        if rooms.get(room).is_some_and(|n| Arc::strong_count(n) == 1) {
            rooms.remove(room);
        }
    }
}

/// The rooms of this server: a bus and this process's listeners.
pub struct Rooms {
    bus: Arc<dyn RoomBus>,
    wakers: Arc<Wakers>,
}

impl Rooms {
    pub fn new(bus: Arc<dyn RoomBus>, wakers: Arc<Wakers>) -> Rooms {
        Rooms { bus, wakers }
    }

    /// Rooms of one process (the in-memory bus).
    pub fn memory() -> Rooms {
        let wakers = Arc::new(Wakers::default());
        Rooms::new(Arc::new(MemoryRoomBus::new(wakers.clone())), wakers)
    }

    /// Posts a message for a room.
    pub async fn post(&self, room: &str, message: &str) -> Result<(), StoreError> {
        self.bus.post(room, message).await
    }

    /// Waits for the room's next message and takes it (one posted before the call included).
    pub async fn next(&self, room: &str) -> Result<String, StoreError> {
        let notify = self.wakers.join(room);
        let got = async {
            loop {
                // Registered before taking: a wake between the take and the wait is not lost.
                let woken = notify.notified();
                tokio::pin!(woken);
                woken.as_mut().enable();
                if let Some(m) = self.bus.take(room).await? {
                    return Ok(m);
                }
                woken.await;
            }
        }
        .await;
        self.wakers.leave(room, notify);
        got
    }
}

/// Messages of one process.
pub struct MemoryRoomBus {
    pending: Mutex<HashMap<String, (String, std::time::Instant)>>,
    wakers: Arc<Wakers>,
}

impl MemoryRoomBus {
    pub fn new(wakers: Arc<Wakers>) -> MemoryRoomBus {
        MemoryRoomBus {
            pending: Mutex::default(),
            wakers,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, std::time::Instant)>> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl RoomBus for MemoryRoomBus {
    fn post<'a>(
        &'a self,
        room: &'a str,
        message: &'a str,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let ttl = std::time::Duration::from_secs(PENDING_TTL_SECS);
        let now = std::time::Instant::now();
        {
            let mut pending = self.lock();
            pending.retain(|_, (_, at)| now.duration_since(*at) < ttl);
            pending.insert(room.to_string(), (message.to_string(), now));
        }
        self.wakers.wake(room);
        super::ready(Ok(()))
    }

    fn take<'a>(&'a self, room: &'a str) -> BoxFuture<'a, Result<Option<String>, StoreError>> {
        let ttl = std::time::Duration::from_secs(PENDING_TTL_SECS);
        let got = self
            .lock()
            .remove(room)
            .filter(|(_, at)| at.elapsed() < ttl)
            .map(|(m, _)| m);
        super::ready(Ok(got))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_message_posted_before_the_listener_is_delivered_once() {
        let rooms = Rooms::memory();
        rooms.post("r1/webhooks", "early").await.ok();
        assert_eq!(rooms.next("r1/webhooks").await, Ok("early".to_string()));
        // Taken: the next listener waits for a new message.
        let rooms = Arc::new(rooms);
        let r = rooms.clone();
        let waiting = tokio::spawn(async move { r.next("r1/webhooks").await });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(!waiting.is_finished());
        rooms.post("r1/webhooks", "late").await.ok();
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), waiting).await;
        assert_eq!(got.ok().and_then(|j| j.ok()), Some(Ok("late".to_string())));
        assert!(rooms.wakers.lock().is_empty(), "no listener left behind");
    }
}
