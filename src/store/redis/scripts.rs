//! The Lua scripts of the Redis store. Each one is a single atomic round trip (EVALSHA, with
//! the redis crate loading the script on `NOSCRIPT`), and every key a script touches is passed
//! in `KEYS` and shares one hash tag, so the scripts run unchanged on Redis Cluster.
//!
//! Scripts cost Redis far more than plain commands (about 1 µs per call plus about 1 µs per
//! `redis.call` inside, against a few tenths of a µs for a plain `GET`), so the hot path uses
//! them only where a compare-and-set is needed: loading a session and taking its lease are
//! plain commands (`sessions.rs`); saving a turn is one script.
//!
//! Session state is a string: a header line (the version first, then when the `seen` marker
//! and the result record need refreshing; see `Header` in `sessions.rs`), then the
//! opaque session bytes; a finished session is the same key holding `fin`. The lease key holds
//! the token of the running turn and when its lease ends (`SET NX PX`); a save proves it
//! still owns the turn by that value, or, once the lease is gone, by the version in the
//! header. The `seen` key outlives the state by the expiry grace period so an expired session
//! can be told apart from an unknown one; the header says until when, so a save refreshes it
//! only when it would otherwise end too early.

use std::sync::LazyLock;

use ::redis::Script;

/// The marker a finished session's state key holds.
pub(super) const FINISHED: &str = "fin";

/// `KEYS`: state, lease, seen. `ARGV`: state value, ttl ms, seen ms.
/// The slow path of `create` (the state key exists: an active session, or a finished one being
/// replaced). Returns 0 when an active session exists (busy), 1 when created.
pub(super) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = redis.call('GETRANGE', KEYS[1], 0, 2)
if s ~= '' and s ~= 'fin' then return 0 end
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
return 1
",
    )
});

/// Returns 0 from a script unless the state's header starts with version `ARGV[2]`.
macro_rules! same_version {
    () => {
        r"
local p = ARGV[2] .. ' '
if redis.call('GETRANGE', KEYS[1], 0, #p - 1) ~= p then return 0 end
"
    };
}

/// The ownership check that starts COMMIT and FINISH (`ARGV[1]` the lease value, `ARGV[2]`
/// version): takes the lease away (`GETDEL`) and returns 0 from the script unless it was this
/// turn's, or gone and the stored version is the one this turn loaded (it ran out and nobody
/// took the session since: as in the memory store, the turn may still save; anyone who took
/// it would hold the lease or have saved a new version). Another turn's lease is given back
/// with its own expiry, which its value carries (`<token> <expires at ms>`; a lease taken by
/// an older version, a bare token, gets 30 s). While the lease is this turn's nobody else can
/// have saved (a save needs the lease, and `begin_turn` read the state after taking it), so
/// the version is only read when the lease is gone. The save that follows uses `SET … XX`: a
/// session that expired during the turn is not brought back.
const OWNED: &str = concat!(
    r"
local l = redis.call('GETDEL', KEYS[2])
if l ~= ARGV[1] then
  if l then
    local at = string.match(l, ' (%d+)$')
    if at then redis.call('SET', KEYS[2], l, 'PXAT', at)
    else redis.call('SET', KEYS[2], l, 'PX', 30000) end
    return 0
  end",
    same_version!(),
    "end\n"
);

/// The idempotent answer a save may carry, as its last `ARGV` (`'1'` after the claim JSON, the
/// answer JSON and its TTL in s; `'0'` without one) and its last key (the idempotency record):
/// popped off `ARGV` first, so every other argument keeps its place. With an answer, the
/// script writes nothing (returns 0) unless the record still holds this request's claim, and
/// the answer replaces the claim in the same script as the session's save ([`ANSWER_POST`]):
/// a turn is never saved without its answer, nor applied by a request that lost its claim.
///
/// Before the answer's, at the very end, come the engine API's execution arguments, popped
/// first: `'0'`, or the record's JSON, its new wait token (`''`: none), the TTL (s, 0: none
/// for the record; the token keeps at least 1 s), the due time (ms) and id of a timer to
/// schedule and the id of one to cancel (`''`: none), then `'1'`; with, as the last three
/// `KEYS`, the record, its token key and the timer set. They are written as
/// `ExecutionStore::execution_put` and the timer calls would, by [`ANSWER_POST`]: so a
/// session is never saved past its execution's record and wait token (single Redis only: on
/// a cluster those keys are in other slots, and the store writes them after the save).
pub(super) const ANSWER_PRE: &str = concat!(
    r"
local ex = nil
if table.remove(ARGV) == '1' then
  local cancel = table.remove(ARGV)
  local timer = table.remove(ARGV)
  local due = table.remove(ARGV)
  local ttl = tonumber(table.remove(ARGV))
  local token = table.remove(ARGV)
  local doc = table.remove(ARGV)
  local kt = table.remove(KEYS)
  local kw = table.remove(KEYS)
  local kd = table.remove(KEYS)
  ex = {cancel, timer, due, ttl, token, doc, kt, kw, kd}
end",
    r"
local ans = nil
if table.remove(ARGV) == '1' then
  ans = {table.remove(ARGV), table.remove(ARGV), table.remove(ARGV)}
  if redis.call('GET', KEYS[#KEYS]) ~= ans[3] then return 0 end
end"
);

/// Writes the answer popped by [`ANSWER_PRE`], and the execution, once the session is saved.
pub(super) const ANSWER_POST: &str = r"if ans then redis.call('SET', KEYS[#KEYS], ans[2], 'EX', ans[1]) end
if ex then
  if ex[4] > 0 then redis.call('SET', ex[9], ex[6], 'EX', ex[4])
  else redis.call('SET', ex[9], ex[6]) end
  if ex[5] ~= '' then redis.call('SET', ex[8], ex[5], 'EX', math.max(ex[4], 1)) end
  if ex[2] ~= '' then redis.call('ZADD', ex[7], ex[3], ex[2]) end
  if ex[1] ~= '' then redis.call('ZREM', ex[7], ex[1]) end
end
";

/// `KEYS`: state, lease, seen. `ARGV`: lease value, version, new state value, ttl ms, seen ms
/// (0: `seen` lasts long enough, leave it), then the answer arguments ([`ANSWER_PRE`]).
/// Returns 1 when saved (lease released, TTLs refreshed), 0 when the version or the lease does
/// not match (nothing written).
pub(super) static COMMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{}return 1\n", commit_steps())));

/// The body of COMMIT (before its `return 1`), shared with COMMIT_RECORD.
fn commit_steps() -> String {
    format!(
        r"{ANSWER_PRE}{OWNED}if not redis.call('SET', KEYS[1], ARGV[3], 'XX', 'PX', ARGV[4]) then return 0 end
if ARGV[5] ~= '0' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[5]) end
{ANSWER_POST}"
    )
}

/// `KEYS`: state, lease, seen. `ARGV`: lease value, version, finished-marker ms, the marker
/// (`fin`, or `fin <mark>`: see `state.rs`), then the answer arguments ([`ANSWER_PRE`]).
/// Returns 1 when the session was replaced by the finished marker, 0 on a mismatch.
pub(super) static FINISH: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{}return 1\n", finish_steps())));

/// The body of FINISH (before its `return 1`), shared with FINISH_RECORD.
fn finish_steps() -> String {
    format!(
        r"{ANSWER_PRE}{OWNED}if not redis.call('SET', KEYS[1], ARGV[4], 'XX', 'PX', ARGV[3]) then return 0 end
redis.call('DEL', KEYS[3])
{ANSWER_POST}"
    )
}

/// `KEYS`: state, lease. `ARGV`: lease value. Releases a lease taken with this value, whatever
/// the version: used when a `begin_turn` timed out but may still run once Redis answers again.
/// Sent with plain EVAL (not EVALSHA): nobody waits for its answer, so there would be no
/// NOSCRIPT retry.
pub(super) const RELEASE_SRC: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
return 1
";

/// `KEYS`: state, lease. `ARGV`: lease value, version. Releases the lease if it is ours.
pub(super) static ABORT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end",
        same_version!(),
        "redis.call('DEL', KEYS[2])\nreturn 1\n"
    ))
});

/// `KEYS`: record hash, its log list, created index, expiry index. `ARGV`: the record
/// arguments of [`RECORD_FN`] from `ARGV[1]`. Write-only: answers and variables are hash
/// fields (`a:<key>`, `v:<name>`), written by one `HSET`, so an update never reads or rewrites
/// the whole result, and concurrent updates cannot lose one another's answers.
pub(super) static RECORD_RESULT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{RECORD_FN}record(KEYS, 1)\nreturn 1\n")));

/// The result update as a Lua function `record(K, o)` over the four result keys `K` and the
/// arguments from `ARGV[o]` on: retention ms (the record's TTL), ensure (1: refresh the TTL and
/// the indexes now), created time (RFC 3339), flow id, created-index score, result id,
/// expiry-index score (µs), the number of logs `n` and the `n` log JSONs, then the
/// field/value pairs of the `HSET` (`updated` first) up to the end of `ARGV`.
///
/// A turn costs one `HSET`. The TTL and the indexes are written when the caller asks (at most
/// once an hour for a session, the TTL holding that slack: `record_ttl_ms`) or when the `HSET`
/// created the record (every field was new): so no record ever lives without a TTL.
/// The indexes get a TTL one slack period longer than the newest record's, so their `PTTL`
/// check rarely leads to a `PEXPIRE`; index entries of expired results are trimmed on about
/// one new record in eight (chosen by the result id's last character: ids are random).
pub(super) const RECORD_FN: &str = r"
local function record(K, o)
local ret = ARGV[o]
local nl = tonumber(ARGV[o + 7])
local first = o + 8 + nl
local ensure = ARGV[o + 1] == '1'
local fresh = false
for c = first, #ARGV, 2000 do
  local last = math.min(c + 1999, #ARGV)
  local added = redis.call('HSET', K[1], unpack(ARGV, c, last))
  -- `updated` leads the pairs and every record has it: all fields new means a new record.
  if c == first and added * 2 == last - c + 1 then fresh = true end
end
if nl > 0 then
  for k = o + 8, first - 1 do redis.call('RPUSH', K[2], ARGV[k]) end
  redis.call('LTRIM', K[2], -200, -1)
  redis.call('PEXPIRE', K[2], ret)
end
if not (ensure or fresh) then return end
local rid = ARGV[o + 5]
if fresh then
  redis.call('HSET', K[1], 'created', ARGV[o + 2], 'flow', ARGV[o + 3])
  redis.call('ZADD', K[3], ARGV[o + 4], rid)
elseif redis.call('HSETNX', K[1], 'created', ARGV[o + 2]) == 1 then
  redis.call('HSET', K[1], 'flow', ARGV[o + 3])
  redis.call('ZADD', K[3], ARGV[o + 4], rid)
end
redis.call('PEXPIRE', K[1], ret)
redis.call('ZADD', K[4], ARGV[o + 6], rid)
-- Trim index entries of expired results (an hour of slack for the callers' clocks; listing
-- skips records already gone).
if string.byte(rid, -1) % 8 == 0 then
  local cut = string.format('%d', tonumber(ARGV[o + 6]) - tonumber(ret) * 1000 - 3600000000)
  local gone = redis.call('ZRANGEBYSCORE', K[4], '-inf', cut, 'LIMIT', 0, 256)
  if #gone > 0 then
    redis.call('ZREM', K[3], unpack(gone))
    redis.call('ZREM', K[4], unpack(gone))
  end
end
-- The indexes outlive their newest result.
local r = tonumber(ret)
for k = 3, 4 do
  if redis.call('PTTL', K[k]) < r then
    redis.call('PEXPIRE', K[k], r + math.min(r, 3600000))
  end
end
end
";

/// A turn's transcript as a Lua function `transcript(o)` over `KEYS[4]` (the entries) and
/// `KEYS[5]` (the status), with its arguments from `ARGV[o]` on: the number of entries `n`
/// (-1: no transcript, nothing written), the `n` entries, the status JSON, the most entries
/// kept, the retention (s, the status key's TTL), whether the entries' TTL is due (`1`, else
/// `0`: the session header says the list outlives the retention from now) and that TTL (ms:
/// the retention plus the result record's slack, as the record's). Returns the index of the
/// first argument after them. `RPUSH` answers the length: a new list always gets its TTL, and
/// the list is trimmed to its bound only once it grew a sixteenth past it (the status JSON
/// carries the bound, and readers skip the extra oldest entries), so a long conversation pays
/// one `LTRIM` every few dozen entries, not one a turn.
pub(super) const TRANSCRIPT_FN: &str = r"
local function transcript(o)
local n = tonumber(ARGV[o])
if n < 0 then return o + 1 end
local len = -1
if n > 0 then
  len = redis.call('RPUSH', KEYS[4], unpack(ARGV, o + 1, o + n))
  local keep = tonumber(ARGV[o + n + 2])
  if len > keep + math.floor(keep / 16) then redis.call('LTRIM', KEYS[4], -keep, -1) end
end
if len == n or ARGV[o + n + 4] == '1' then redis.call('PEXPIRE', KEYS[4], ARGV[o + n + 5]) end
redis.call('SET', KEYS[5], ARGV[o + n + 1], 'EX', ARGV[o + n + 3])
return o + n + 6
end
";

/// `KEYS`: state, lease, seen, transcript entries and status, then the four result keys.
/// `ARGV`: the five COMMIT arguments, the transcript arguments, then the record arguments.
/// Saves the session, its transcript and its result update atomically, in one round trip
/// (single Redis only: the keys of a session, its transcript and a result live in different
/// cluster slots). Returns 0, writing nothing, when the version or the lease does not match.
pub(super) static COMMIT_RECORD: LazyLock<Script> =
    LazyLock::new(|| Script::new(&then_record(&commit_steps(), 6)));

/// `KEYS`: state, lease, seen, transcript entries and status, result record. `ARGV`: the
/// five COMMIT arguments, the transcript arguments, the record's TTL (ms), then the
/// field/value pairs of the result's `HSET` (`updated` first). The common turn (single
/// Redis): saves the session, appends its transcript and adds the turn's fields to a result
/// that needs no TTL or index refresh. Returns 0 (nothing written) on a mismatch, 1 when
/// saved, 2 when the `HSET` created the record (it expired meanwhile): it then got its TTL
/// here, and the caller indexes it with a full record update.
pub(super) static COMMIT_FIELDS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"{TRANSCRIPT_FN}{}local o = transcript(6)
local n = redis.call('HSET', KEYS[6], unpack(ARGV, o + 1))
if n * 2 == #ARGV - o then
  redis.call('PEXPIRE', KEYS[6], ARGV[o])
  return 2
end
return 1
",
        commit_steps()
    ))
});

/// `KEYS`: state, lease, seen, transcript entries and status. `ARGV`: the five COMMIT
/// arguments, then the transcript arguments. A turn with no result update (single Redis).
pub(super) static COMMIT_TRANSCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{TRANSCRIPT_FN}{}transcript(6)\nreturn 1\n",
        commit_steps()
    ))
});

/// `KEYS`: as COMMIT_TRANSCRIPT. `ARGV`: the four FINISH arguments, then the transcript
/// arguments.
pub(super) static FINISH_TRANSCRIPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{TRANSCRIPT_FN}{}transcript(5)\nreturn 1\n",
        finish_steps()
    ))
});

/// `KEYS`: state, lease, seen, transcript entries and status, then the four result keys.
/// `ARGV`: state value, ttl ms, seen ms, the transcript arguments, the record arguments, then
/// the answer arguments (`'0'`: none; [`ANSWER_PRE`]). A live start turn in one round trip (single Redis): creates the session unless its key
/// exists (returns 0, writing nothing: the caller takes the slow path of `create`), then
/// appends its transcript and records the turn's result update. Returns 1 when done.
pub(super) static CREATE_RECORD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"{ANSWER_PRE}{RECORD_FN}{TRANSCRIPT_FN}
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
local o = transcript(4)
record({{KEYS[6], KEYS[7], KEYS[8], KEYS[9]}}, o)
{ANSWER_POST}return 1
"
    ))
});

/// `KEYS`: as COMMIT_RECORD. `ARGV`: the four FINISH arguments, the transcript arguments,
/// then the record arguments. Finishes the session, appends its transcript and records its
/// result atomically (single Redis only).
pub(super) static FINISH_RECORD: LazyLock<Script> =
    LazyLock::new(|| Script::new(&then_record(&finish_steps(), 5)));

/// A combined save script: the session `steps`, the transcript from `ARGV[first_arg]`, then
/// the result update over `KEYS[6..9]` with the arguments that follow.
fn then_record(steps: &str, first_arg: usize) -> String {
    format!(
        "{RECORD_FN}{TRANSCRIPT_FN}{steps}local o = transcript({first_arg})\nrecord({{KEYS[6], KEYS[7], KEYS[8], KEYS[9]}}, o)\nreturn 1\n"
    )
}

/// `KEYS`: pairs of (record hash, log list), one slot. Returns, per pair, the hash's fields
/// (flat) and the logs; an empty field list for results that expired.
pub(super) static GET_RESULTS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('HGETALL', KEYS[i])
  out[#out + 1] = redis.call('LRANGE', KEYS[i + 1], 0, -1)
end
return out
",
    )
});
