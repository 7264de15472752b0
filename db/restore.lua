--
-- Restore up to an event: the command state rebuilt from the events,
-- part of the same library as the commands (the build puts this after
-- db/retention.lua).  scripts/restore loads a backup into a Redis of its
-- own, sets restore:until, calls state_clear until its cursor is 0, then
-- state_replay for every event up to restore:until, in order (the
-- archive's, then the stream's), and deletes restore:until.
--
--   FCALL state_clear 0 cursor <c> count <n>
--     deletes the keys derived from events (DERIVED_PREFIXES,
--     db/events.lua) among some n (at most CLEAR_COUNT_MAX) keys of a
--     SCAN from cursor c; answers the next cursor, 0 when done.  It
--     deletes restore:applied too: after a clear, everything is replayed.
--   FCALL state_replay 1 <stream> id <event id> type <EventTypeName>
--                      payload <Payload>
--     applies the event's EFFECT (db/events.lua), raises seq:<record> to
--     its record's id, and sets restore:applied to its id; answers the id.
--     The stream is named as the commands name it; nothing reads it.
--
-- Keys:
--   restore:until     the last event id to replay.  Both Functions run
--                     only while it exists.  Only the admin role has
--                     ~restore:* (tools/redis_acl.c), and Redis checks a
--                     Function's commands against its caller's ACL: the
--                     services' roles fail at its GET, before anything
--                     is written.  That, not a check here, keeps both
--                     Functions from them (as XTRIM does stream_trim).
--   restore:applied   the last event id replayed.  An event at or below
--                     it is refused (CONFLICT, already applied), so a
--                     replayer that dies resumes after it.
--
-- Refusals, with nothing changed: no restore on (CONFLICT), an event
-- past restore:until (LIMIT) or already applied (CONFLICT), a payload
-- that does not decode or lacks a field its type needs, checked by the
-- field's kind (INVALID), an event that refers to a record the state
-- lacks (CONFLICT: a gap in the events replayed).

-- SCAN's COUNT, at most.  Redis runs nothing else meanwhile.
local CLEAR_COUNT_MAX = 1000

-- A stream id, as XADD gives them: <ms>-<seq>, decimal without leading
-- zeros; each part a 64-bit number, compared as digits.
local function stream_id_parts(s)
  local ms, seq = s:match('^(%d+)%-(%d+)$')
  if ms and (ms == '0' or ms:sub(1, 1) ~= '0') and #ms <= 20
      and (seq == '0' or seq:sub(1, 1) ~= '0') and #seq <= 20 then
    return ms, seq
  end
end

-- The kinds of these Functions' arguments, beside the commands'.
function KIND.stream_id(s)
  return stream_id_parts(s) ~= nil
end

function KIND.event_type(s)
  return CATALOGUE[s] ~= nil
end

function KIND.payload(s)
  return #s > 0
end

-- SCAN's cursor: a 64-bit number.
function KIND.cursor(s)
  return #s <= 20 and (s == '0' or s:match('^[1-9]%d*$') ~= nil)
end

-- Is stream id a at most b?  Both valid (stream_id_parts).
local function stream_id_at_most(a, b)
  local ams, aseq = stream_id_parts(a)
  local bms, bseq = stream_id_parts(b)
  if ams ~= bms then
    return digits_at_most(ams, bms)
  end
  return digits_at_most(aseq, bseq)
end

-- The restore's last id.  This GET is what the services' roles fail at
-- (above): it comes before anything else.
local function restoring()
  local until_id = redis.call('GET', 'restore:until')
  if not until_id then
    fail(REFUSAL.CONFLICT, 'no restore is on (restore:until is not set)')
  end
  if not stream_id_parts(until_id) then
    fail(REFUSAL.INVALID, 'restore:until is not a stream id: ' .. until_id)
  end
  return until_id
end

local CLEAR_TAKES = { kinds = { cursor = 'cursor', count = 'count' },
  required = { 'cursor', 'count' }, callers = {} }

local function has_prefix(key, prefixes)
  for i = 1, #prefixes do
    if key:sub(1, #prefixes[i]) == prefixes[i] then
      return true
    end
  end
  return false
end

local function state_clear(_, args)
  restoring()
  local v = arguments(args, CLEAR_TAKES)
  check(tonumber(v.count) <= CLEAR_COUNT_MAX,
    'count: at most ' .. CLEAR_COUNT_MAX)
  local got = redis.call('SCAN', v.cursor, 'COUNT', v.count)
  for _, key in ipairs(got[2]) do
    if has_prefix(key, DERIVED_PREFIXES) then
      redis.call('UNLINK', key)
    end
  end
  redis.call('DEL', 'restore:applied')
  return got[1]
end

-- The payload's fields, as the commands hold them (text), each checked
-- by its kind; the price is the one JSON number (exact: cents_max is
-- 2^53-1, which a double holds).
local function payload_fields(type_name, payload)
  local ok, p = pcall(cjson.decode, payload)
  check(ok and type(p) == 'table', 'payload: not a JSON object')
  local v = {}
  for _, f in ipairs(CATALOGUE[type_name].fields) do
    local x = p[f.name]
    if f.kind == 'cents' and type(x) == 'number' and x >= 0
        and x < 9007199254740992 and x == math.floor(x) then
      x = string.format('%d', x)
    end
    check(type(x) == 'string' and KIND[f.kind](x),
      'payload: ' .. f.name .. ' is not a valid ' .. f.kind)
    v[f.name] = x
  end
  return v
end

-- The record each event refers to, which the state must hold (EFFECT
-- looks up the invoices' itself).
local REFERS = {
  AccountDeleted = function(v) return 'account:' .. v.id end,
  CustomerCreated = function(v) return 'account:' .. v.account_id end,
  CustomerDeleted = function(v) return 'customer:' .. v.id end,
}

local REPLAY_TAKES = { kinds = { id = 'stream_id', type = 'event_type',
  payload = 'payload' }, required = { 'id', 'type', 'payload' },
  callers = {} }

local function state_replay(_, args)
  local until_id = restoring()
  local e = arguments(args, REPLAY_TAKES)
  if not stream_id_at_most(e.id, until_id) then
    fail(REFUSAL.LIMIT, 'event ' .. e.id .. ' is past restore:until ' ..
      until_id)
  end
  local applied = redis.call('GET', 'restore:applied')
  if applied and stream_id_at_most(e.id, applied) then
    fail(REFUSAL.CONFLICT, 'event ' .. e.id ..
      ' already applied (restore:applied ' .. applied .. ')')
  end
  local v = payload_fields(e.type, e.payload)
  local refers = REFERS[e.type]
  if refers and redis.call('EXISTS', refers(v)) == 0 then
    fail(REFUSAL.CONFLICT, 'the state has no ' .. refers(v))
  end
  EFFECT[e.type](v)
  local seq = 'seq:' .. CATALOGUE[e.type].record
  local given = redis.call('GET', seq)
  if not given or not digits_at_most(v.id, given) then
    redis.call('SET', seq, v.id)
  end
  redis.call('SET', 'restore:applied', e.id)
  return e.id
end

register('state_clear', state_clear, {})
register('state_replay', state_replay, {})
