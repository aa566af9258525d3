//! The Lua scripts of the Redis store. Each one is a single atomic round trip (EVALSHA, with
//! the redis crate loading the script on `NOSCRIPT`), and every key a script touches is passed
//! in `KEYS` and shares one hash tag, so the scripts run unchanged on Redis Cluster.
//!
//! Session state is a hash: `v` (version), `d` (the opaque session bytes), `l` (the token of
//! the last lease handed out, so a commit can prove it still owns the turn). A finished session
//! is the same key holding only `fin = 1`. The separate lease key (`SET NX PX`) says whether a
//! turn is currently running; the `seen` key outlives the state by the expiry grace period so
//! an expired session can be told apart from an unknown one.

use std::sync::LazyLock;

use ::redis::Script;

/// `KEYS`: state, lease, seen. `ARGV`: data, ttl ms, seen ms.
/// Returns 0 when an active session already exists (busy), 1 when created.
pub(super) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('HEXISTS', KEYS[1], 'v') == 1 then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'v', '1', 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
return 1
",
    )
});

/// `KEYS`: state, lease, seen. `ARGV`: finished-marker ms. Always succeeds.
pub(super) static CREATE_FINISHED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'fin', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
",
    )
});

/// `KEYS`: state, lease, seen. `ARGV`: lease token, lease ms.
/// Returns `{code, version, data}`: 0 missing, 1 expired, 2 finished, 3 active (leased now),
/// -1 busy (another turn holds the lease). Non-active outcomes never take the lease.
pub(super) static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = redis.call('HMGET', KEYS[1], 'v', 'd', 'fin')
if s[3] then return {2, 0, ''} end
if not s[1] then
  if redis.call('EXISTS', KEYS[3]) == 1 then return {1, 0, ''} end
  return {0, 0, ''}
end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {-1, 0, ''} end
redis.call('HSET', KEYS[1], 'l', ARGV[1])
return {3, s[1], s[2]}
",
    )
});

/// `KEYS`: state, lease, seen. `ARGV`: lease token, version, data, ttl ms, seen ms.
/// Returns 1 when saved (version + 1, lease released, TTLs refreshed), 0 when the version or
/// the lease does not match (nothing written).
pub(super) static COMMIT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{COMMIT_STEPS}return 1\n")));

/// The body of COMMIT (before its `return 1`), shared with COMMIT_RECORD: returns 0 from the
/// script on a version or lease mismatch, else saves.
const COMMIT_STEPS: &str = r"
local s = redis.call('HMGET', KEYS[1], 'v', 'l')
if s[1] ~= ARGV[2] or s[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'v', string.format('%d', tonumber(ARGV[2]) + 1), 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[5])
";

/// `KEYS`: state, lease, seen. `ARGV`: lease token, version, finished-marker ms.
/// Returns 1 when the session was replaced by the finished marker, 0 on a mismatch.
pub(super) static FINISH: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{FINISH_STEPS}return 1\n")));

/// The body of FINISH (before its `return 1`), shared with FINISH_RECORD.
const FINISH_STEPS: &str = r"
local s = redis.call('HMGET', KEYS[1], 'v', 'l')
if s[1] ~= ARGV[2] or s[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'fin', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
";

/// `KEYS`: state, lease. `ARGV`: lease token. Releases a lease taken with this token, whatever
/// the version: used when a `begin_turn` timed out but may still run once Redis answers again.
/// Sent with plain EVAL (not EVALSHA): nobody waits for its answer, so there would be no
/// NOSCRIPT retry.
pub(super) const RELEASE_SRC: &str = r"
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
if redis.call('HGET', KEYS[1], 'l') == ARGV[1] then redis.call('HDEL', KEYS[1], 'l') end
return 1
";

/// `KEYS`: state, lease. `ARGV`: lease token, version. Releases the lease if it is ours.
pub(super) static ABORT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local s = redis.call('HMGET', KEYS[1], 'v', 'l')
if s[1] ~= ARGV[2] or s[2] ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'l')
redis.call('DEL', KEYS[2])
return 1
",
    )
});

/// `KEYS`: record hash, its log list, created index, expiry index. `ARGV`: retention ms,
/// created score, result id, flow id, time (RFC 3339), completed (0/1), then `n` and `n`
/// answer (field, JSON) pairs, then `m` and `m` variable (field, JSON) pairs, then `l` and `l`
/// log JSONs. Write-only: answers and variables are hash fields (`a:<key>`, `v:<name>`), so an
/// update never reads or rewrites the whole result, and concurrent updates cannot lose one
/// another's answers. Each answer gets a sequence number, so they list in answer order.
pub(super) static RECORD_RESULT: LazyLock<Script> =
    LazyLock::new(|| Script::new(&format!("{RECORD_FN}\nreturn record(KEYS, ARGV)\n")));

/// The result update as a Lua function over (keys, args) tables, shared by the standalone
/// script and the combined save scripts.
const RECORD_FN: &str = r"
local function record(K, A)
local ret = tonumber(A[1])
local new = redis.call('HSETNX', K[1], 'created', A[5]) == 1
if new then redis.call('HSET', K[1], 'flow', A[4]) end
redis.call('HSET', K[1], 'updated', A[5])
if A[6] == '1' then redis.call('HSET', K[1], 'done', '1') end
local i = 7
local n = tonumber(A[i]); i = i + 1
for _ = 1, n do
  local seq = redis.call('HINCRBY', K[1], 'seq', 1)
  redis.call('HSET', K[1], A[i], string.format('%d', seq) .. ' ' .. A[i + 1])
  i = i + 2
end
local m = tonumber(A[i]); i = i + 1
for _ = 1, m do
  redis.call('HSET', K[1], A[i], A[i + 1])
  i = i + 2
end
local l = tonumber(A[i]); i = i + 1
if l > 0 then
  for k = 1, l do redis.call('RPUSH', K[2], A[i + k - 1]) end
  redis.call('LTRIM', K[2], -200, -1)
  redis.call('PEXPIRE', K[2], ret)
end
redis.call('PEXPIRE', K[1], ret)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local expiry = now + ret * 1000
-- The expiry index lags at most an hour behind a record's real expiry (it is moved only
-- when further behind), so trimming below keeps an hour of slack: it never drops a live
-- result; listing skips records that are already gone.
local slack = 3600000000
if new then
  redis.call('ZADD', K[3], A[2], A[3])
  redis.call('ZADD', K[4], string.format('%d', expiry), A[3])
elseif expiry - tonumber(redis.call('ZSCORE', K[4], A[3]) or '0') > slack then
  redis.call('ZADD', K[4], string.format('%d', expiry), A[3])
end
-- Housekeeping on new results and about one write in 16: trim index entries of expired
-- results, keep the indexes alive as long as their newest result.
if new or now % 16 == 0 then
  local gone = redis.call('ZRANGEBYSCORE', K[4], '-inf', string.format('%d', now - slack), 'LIMIT', 0, 256)
  if #gone > 0 then
    redis.call('ZREM', K[3], unpack(gone))
    redis.call('ZREM', K[4], unpack(gone))
  end
  for k = 3, 4 do
    if redis.call('PTTL', K[k]) < ret then redis.call('PEXPIRE', K[k], ret) end
  end
end
return 1
end
";

/// `KEYS`: state, lease, seen, then the four result keys. `ARGV`: the five COMMIT arguments,
/// then the RECORD_RESULT arguments. Saves the session and its result update atomically, in
/// one round trip (single Redis only: the keys of a session and of a result live in different
/// cluster slots). Returns 0, writing nothing, when the version or the lease does not match.
pub(super) static COMMIT_RECORD: LazyLock<Script> =
    LazyLock::new(|| Script::new(&then_record(COMMIT_STEPS, 6)));

/// `KEYS`: as COMMIT_RECORD. `ARGV`: the three FINISH arguments, then the RECORD_RESULT
/// arguments. Finishes the session and records its result atomically (single Redis only).
pub(super) static FINISH_RECORD: LazyLock<Script> =
    LazyLock::new(|| Script::new(&then_record(FINISH_STEPS, 4)));

/// A combined save script: the session `steps`, then the result update over `KEYS[4..7]` with
/// the arguments from `ARGV[first_arg]` on.
fn then_record(steps: &str, first_arg: usize) -> String {
    format!(
        r"{RECORD_FN}{steps}local A = {{}}
for i = {first_arg}, #ARGV do A[#A + 1] = ARGV[i] end
record({{KEYS[4], KEYS[5], KEYS[6], KEYS[7]}}, A)
return 1
"
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

/// `KEYS`: published hash, public-id hash. `ARGV`: flow id, public id, Published JSON.
/// Returns '' when published, or the id of the flow that already owns the public id.
pub(super) static PUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local owner = redis.call('HGET', KEYS[2], ARGV[2])
if owner and owner ~= ARGV[1] then
  local other = redis.call('HGET', KEYS[1], owner)
  if other and cjson.decode(other).publicId == ARGV[2] then return owner end
end
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local oldp = cjson.decode(old).publicId
  if oldp ~= ARGV[2] and redis.call('HGET', KEYS[2], oldp) == ARGV[1] then
    redis.call('HDEL', KEYS[2], oldp)
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
return ''
",
    )
});

/// `KEYS`: published hash, public-id hash. `ARGV`: flow id. Returns the removed JSON or ''.
pub(super) static UNPUBLISH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return '' end
redis.call('HDEL', KEYS[1], ARGV[1])
local p = cjson.decode(old).publicId
if redis.call('HGET', KEYS[2], p) == ARGV[1] then redis.call('HDEL', KEYS[2], p) end
return old
",
    )
});

/// `KEYS`: published hash, public-id hash. `ARGV`: public id. Returns the Published JSON or ''.
pub(super) static BY_PUBLIC_ID: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local f = redis.call('HGET', KEYS[2], ARGV[1])
if not f then return '' end
return redis.call('HGET', KEYS[1], f) or ''
",
    )
});
