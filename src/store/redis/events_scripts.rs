//! The Lua scripts of the trigger events on Redis. Every key they touch shares the `{ev}` hash
//! tag (one slot); the per-session list key is built inside the accept script from a prefix
//! (the session is decided there), and the transcript keys of a completion are passed only on
//! single Redis (on a cluster they live in their own slot and are written beforehand).

use std::sync::LazyLock;

use ::redis::Script;

/// `KEYS`: waiting count, sequence, stream, trigger log, event record, idempotency key,
/// contact key, stored triggers. `ARGV`: max waiting, event id, given session (or ''), new
/// session, contact TTL ms, has idempotency key (1/0), fingerprint, idempotency TTL ms, body,
/// trigger id, record TTL ms, pending-list key prefix, has contact (1/0), log length kept,
/// SHA-256 hex of the presented secret ('': checked by the caller).
/// Returns `{'queued', event, session}`, `{'replay', event, session}`, `{'conflict'}`,
/// `{'full'}`, `{'unknown'}` (no such trigger) or `{'secret'}` (nothing written by the last
/// four). The secret check compares hashes with `~=`, which is not constant-time: it can tell
/// at most how long a prefix of the stored hash the presented secret's hash shares, and a
/// SHA-256 prefix says nothing usable about a secret of about 250 random bits (docs/REDIS.md).
pub(super) static ACCEPT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local contact_ttl = ARGV[5]
if ARGV[15] ~= '' then
  local doc = redis.call('HGET', KEYS[8], ARGV[10])
  if not doc then return {'unknown'} end
  local ok, t = pcall(cjson.decode, doc)
  if not ok or type(t) ~= 'table' then return {'unknown'} end
  if type(t.secret_sha256) ~= 'string' or t.secret_sha256 ~= ARGV[15] then
    return {'secret'}
  end
  if type(t.session_ttl_secs) == 'number' and t.session_ttl_secs >= 1 then
    contact_ttl = string.format('%d', math.floor(t.session_ttl_secs) * 1000)
  end
end
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
    redis.call('SET', KEYS[7], s, 'PX', contact_ttl)
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

/// `KEYS`: event record, session list, waiting count, stream, session lock, the session's
/// owners (triggers that completed an event in it), then (single Redis, with a transcript)
/// the transcript's log and meta keys. `ARGV`: event id, status, processed at, outcome,
/// group, has transcript (1/0), entries kept, retention s, meta JSON, lock token ('': keep
/// the lock), entries... Pops the event from its session's list (when it is the head),
/// records its outcome, its trigger among the session's owners and the transcript once (a
/// completion repeated changes nothing more), counts it out of the waiting events,
/// acknowledges and deletes its stream entry, and releases the lock if the token holds it.
pub(super) static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('LINDEX', KEYS[2], 0) == ARGV[1] then redis.call('LPOP', KEYS[2]) end
local st = redis.call('HGET', KEYS[1], 'status')
if st and st ~= 'done' and st ~= 'failed' then
  redis.call('HSET', KEYS[1], 'status', ARGV[2], 'processed_at', ARGV[3], 'outcome', ARGV[4])
  redis.call('HDEL', KEYS[1], 'journal')
  if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
  local trg = redis.call('HGET', KEYS[1], 'trigger')
  if trg then
    redis.call('SADD', KEYS[6], trg)
    redis.call('EXPIRE', KEYS[6], ARGV[8])
  end
  if ARGV[6] == '1' and #KEYS >= 8 then
    if #ARGV >= 11 then
      redis.call('RPUSH', KEYS[7], unpack(ARGV, 11))
      redis.call('LTRIM', KEYS[7], -tonumber(ARGV[7]), -1)
      redis.call('EXPIRE', KEYS[7], ARGV[8])
    end
    redis.call('SET', KEYS[8], ARGV[9], 'EX', ARGV[8])
  end
end
local xid = redis.call('HGET', KEYS[1], 'xid')
if xid then
  redis.call('XACK', KEYS[4], ARGV[5], xid)
  redis.call('XDEL', KEYS[4], xid)
end
if ARGV[10] ~= '' and redis.call('GET', KEYS[5]) == ARGV[10] then redis.call('DEL', KEYS[5]) end
return 1
",
    )
});

/// `KEYS`: the delivery's event record, the session's lock, the session's list, stream.
/// `ARGV`: lock token, lease ms, event record key prefix, group, delivery id. A worker's step
/// before running (see `Claim`): `{'acked'}` (the delivery's event is complete or forgotten:
/// acknowledged, and the lock released if the token held it), `{'busy'}` (another token holds
/// the lock), `{'done'}` (nothing to run up to the delivery's event: lock released),
/// `{'lost', head}` (the head's record is gone; lock held) or `{'run', head, field, value,
/// ...}`: the head's record as it was, now marked started (`processing`, one more attempt),
/// the lock taken or extended for the lease.
pub(super) static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local mine = redis.call('HMGET', KEYS[1], 'status', 'seq')
if not mine[1] or mine[1] == 'done' or mine[1] == 'failed' then
  redis.call('XACK', KEYS[4], ARGV[4], ARGV[5])
  redis.call('XDEL', KEYS[4], ARGV[5])
  if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
  return {'acked'}
end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'busy'} end
local head = redis.call('LINDEX', KEYS[3], 0)
if not head then
  if holder then redis.call('DEL', KEYS[2]) end
  return {'done'}
end
local rk = ARGV[3] .. head
local f = redis.call('HGETALL', rk)
if #f == 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return {'lost', head}
end
local seq, st, attempts = 0, '', 0
for i = 1, #f, 2 do
  if f[i] == 'seq' then seq = tonumber(f[i + 1]) or 0
  elseif f[i] == 'status' then st = f[i + 1]
  elseif f[i] == 'attempts' then attempts = tonumber(f[i + 1]) or 0 end
end
if seq > (tonumber(mine[2]) or 0) then
  if holder then redis.call('DEL', KEYS[2]) end
  return {'done'}
end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
if st ~= 'done' and st ~= 'failed' then
  redis.call('HSET', rk, 'status', 'processing', 'attempts', attempts + 1)
end
local out = {'run', head}
for i = 1, #f do out[#out + 1] = f[i] end
return out
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
