//! The Lua scripts of the trigger events on Redis. Every key they touch shares the `{ev}` hash
//! tag (one slot); the per-session list key is built inside the accept script from a prefix
//! (the session is decided there), and the transcript keys of a completion are passed only on
//! single Redis (on a cluster they live in their own slot and are written beforehand).

use std::sync::LazyLock;

use ::redis::Script;

/// `KEYS`: waiting count, sequence, stream, trigger log, event record, idempotency key,
/// contact key. `ARGV`: max waiting, event id, given session (or ''), new session, contact TTL
/// ms, has idempotency key (1/0), fingerprint, idempotency TTL ms, body, trigger id, record
/// TTL ms, pending-list key prefix, has contact (1/0), log length kept.
/// Returns `{'queued', event, session}`, `{'replay', event, session}`, `{'conflict'}` or
/// `{'full'}` (nothing written by the last two).
pub(super) static ACCEPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if ARGV[6] == '1' then
  local v = redis.call('GET', KEYS[6])
  if v then
    local e, s, fp = string.match(v, '^(%S+) (%S+) (.*)$')
    if fp ~= ARGV[7] then return {'conflict'} end
    return {'replay', e, s}
  end
end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return {'full'} end
local s = ARGV[3]
if s == '' then
  if ARGV[13] == '1' then
    s = redis.call('GET', KEYS[7]) or ARGV[4]
    redis.call('SET', KEYS[7], s, 'PX', ARGV[5])
  else
    s = ARGV[4]
  end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('INCR', KEYS[1])
local xid = redis.call('XADD', KEYS[3], '*', 'e', ARGV[2], 's', s)
redis.call('HSET', KEYS[5], 'trigger', ARGV[10], 'session', s, 'seq', seq, 'body', ARGV[9],
  'status', 'queued', 'attempts', 0, 'xid', xid)
redis.call('PEXPIRE', KEYS[5], ARGV[11])
redis.call('ZADD', KEYS[4], seq, ARGV[2])
redis.call('PEXPIRE', KEYS[4], ARGV[11])
if seq % 64 == 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -tonumber(ARGV[14]) - 1)
end
redis.call('RPUSH', ARGV[12] .. s, ARGV[2])
if ARGV[6] == '1' then
  redis.call('SET', KEYS[6], ARGV[2] .. ' ' .. s .. ' ' .. ARGV[7], 'PX', ARGV[8])
end
return {'queued', ARGV[2], s}
",
    )
});

/// Flattens stream entries (`e`, `s` fields) into `{id, event, session, ...}`.
const FLATTEN: &str = r"
local function flatten(entries, out)
  for _, x in ipairs(entries) do
    local f = x[2]
    if f then
      local e, s = '', ''
      for i = 1, #f, 2 do
        if f[i] == 'e' then e = f[i + 1] elseif f[i] == 's' then s = f[i + 1] end
      end
      out[#out + 1] = x[1]
      out[#out + 1] = e
      out[#out + 1] = s
    end
  end
  return out
end
";

/// `KEYS`: stream. `ARGV`: group, consumer, count. New entries for the consumer (the group is
/// created, from the stream's start, the first time).
pub(super) static FETCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"{FLATTEN}
local function read()
  return redis.pcall('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS',
    KEYS[1], '>')
end
local r = read()
if type(r) == 'table' and r.err then
  redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
  r = read()
  if type(r) == 'table' and r.err then return redis.error_reply(r.err) end
end
if not r then return {{}} end
return flatten(r[1][2], {{}})
"
    ))
});

/// `KEYS`: stream. `ARGV`: group, consumer, min idle ms, count. Entries pending longer than
/// the idle time, now the consumer's (`XAUTOCLAIM`; none before the group exists).
pub(super) static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"{FLATTEN}
local r = redis.pcall('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], '0', 'COUNT', ARGV[4])
if type(r) == 'table' and r.err then return {{}} end
return flatten(r[2], {{}})
"
    ))
});

/// `KEYS`: lock. `ARGV`: token, lease ms. 1 when the lock is (now) the token's.
pub(super) static LOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
",
    )
});

/// `KEYS`: lock. `ARGV`: token. Deletes the lock if it is the token's.
pub(super) static UNLOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
",
    )
});

/// `KEYS`: event record. `ARGV`: field/value pairs. Sets them if the record exists.
pub(super) static UPDATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
",
    )
});

/// `KEYS`: event record, session list, waiting count, stream, then (single Redis, with a
/// transcript) the transcript's log and meta keys. `ARGV`: event id, status, processed at,
/// outcome, group, has transcript (1/0), entries kept, retention s, meta JSON, entries...
/// Pops the event from its session's list (when it is the head), records its outcome and the
/// transcript once (a completion repeated changes nothing more), counts it out of the waiting
/// events, and acknowledges and deletes its stream entry.
pub(super) static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('LINDEX', KEYS[2], 0) == ARGV[1] then redis.call('LPOP', KEYS[2]) end
local st = redis.call('HGET', KEYS[1], 'status')
if st and st ~= 'done' and st ~= 'failed' then
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'processed_at', ARGV[3], 'outcome', ARGV[4])
  redis.call('HDEL', KEYS[1], 'journal')
  if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
  if ARGV[6] == '1' and #KEYS >= 6 then
    if #ARGV >= 10 then
      redis.call('RPUSH', KEYS[5], unpack(ARGV, 10))
      redis.call('LTRIM', KEYS[5], -tonumber(ARGV[7]), -1)
      redis.call('EXPIRE', KEYS[5], ARGV[8])
    end
    redis.call('SET', KEYS[6], ARGV[9], 'EX', ARGV[8])
  end
end
local xid = redis.call('HGET', KEYS[1], 'xid')
if xid then
  redis.call('XACK', KEYS[4], ARGV[5], xid)
  redis.call('XDEL', KEYS[4], xid)
end
return 1
",
    )
});

/// `KEYS`: stream. `ARGV`: group, entry id. Acknowledges and deletes one entry.
pub(super) static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
",
    )
});
