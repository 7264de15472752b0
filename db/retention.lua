--
-- Retention: which entries may leave the stream, part of the same
-- library as the commands (the build puts this after db/login.lua).
-- Every event is kept for ever in the archive (docs/archive.md); the
-- stream keeps what some reader may still need from Redis.
--
-- Each consumer reports how far it holds the stream: an archive copy,
-- the last id of its last committed (fsynced) segment; a worker, the
-- last id applied to its read model.  stream_trim removes, in bounded
-- steps, the oldest entries that are
--   - in every archive copy config:retention names (a copy that never
--     reported holds everything back: an archive is never given up on);
--   - applied by every worker that reported within consumer_timeout (a
--     silent one stops holding trimming back; when it returns it reads
--     the archive first);
--   - older than retain_seconds.
-- Only the archiver's role may run it: only that role has XTRIM.
--
-- Keys:
--   config:retention     {retain_seconds, consumer_timeout, archives}
--                        (setup stores it; archives: names, by spaces)
--   retention:archives   <name> -> "<id> <ms>": position, and when said
--   retention:workers    <name> -> "<id> <ms>"
--   retention:trimmed    the mark: everything up to it may be gone from
--                        the stream, nothing after it is.  It only
--                        grows.  A reader whose position is below it
--                        reads the archive (lib/core/stream.c).

local RETENTION_KINDS = { archive = 'retention:archives',
  worker = 'retention:workers' }
-- Names of a kind: each is a host's archive or worker, so a few; the
-- bound keeps a broken or hostile client from growing the hash.
local RETENTION_NAMES_MAX = 64
-- Entries removed a call, at most.  Redis runs nothing else meanwhile,
-- so a call is what one trim can delay a request by.  Whole nodes of the
-- stream go first (XTRIM ~, which frees them without looking inside),
-- then the tail of the last one (exact XTRIM, at most a node:
-- stream-node-max-entries, 100).  Measured on Redis 7.0, 50,000 entries
-- of 170 bytes: an XRANGE of the 1,000 to remove took 2.5 to 3.6 ms a
-- call, Lua making a table of each; this way, well under a millisecond.
local TRIM_STEP = 1000

-- "<ms>-<seq>" as {ms, seq, text}, or nil.  15 digits each keep them
-- exact in Lua's doubles (2^53); today's ms have 13.
local function stream_id(text)
  local ms, seq = string.match(text or '', '^(%d+)-(%d+)$')
  if not ms or #ms > 15 or #seq > 15 then
    return nil
  end
  return { tonumber(ms), tonumber(seq), text }
end

local function id_below(a, b)
  return a[1] < b[1] or (a[1] == b[1] and a[2] < b[2])
end

local function trimmed_mark()
  return redis.call('GET', 'retention:trimmed') or '0-0'
end

-- FCALL consumer_report 1 <stream> <kind> <name> <id>: the mark.
local function consumer_report(keys, args)
  local hash, name = RETENTION_KINDS[args[1]], args[2]
  check(hash, 'kind: archive or worker')
  check(name and #name >= 1 and #name <= 48 and
    not string.find(name, '[^%w._-]'),
    'name: 1 to 48 of letters, digits and ._-')
  check(stream_id(args[3]), 'id: a stream id, <ms>-<seq>')
  if redis.call('HEXISTS', hash, name) == 0 then
    check(redis.call('HLEN', hash) < RETENTION_NAMES_MAX,
      'at most ' .. RETENTION_NAMES_MAX .. ' consumers of a kind')
  end
  redis.call('HSET', hash, name, args[3] .. ' ' .. clock_ms())
  return trimmed_mark()
end

-- A report's position and time, or nil if it is not one.
local function report_of(value)
  local id, ms = string.match(value or '', '^(%S+) (%d+)$')
  local pos = stream_id(id)
  return pos, tonumber(ms)
end

-- The highest id that may go, as {ms, seq, text}, or nil and why not.
local function trim_bound(now)
  local c = redis.call('HMGET', 'config:retention', 'retain_seconds',
    'consumer_timeout', 'archives')
  local retain, timeout = tonumber(c[1]), tonumber(c[2])
  if not retain or not timeout or not c[3] then
    return nil, 'config:retention is not set (setup stores it)'
  end
  -- Older than retain: any seq of the ms before the cut.
  local cut = now - retain * 1000 - 1
  local bound = { cut, math.huge, string.format('%d', cut) }
  local copies = 0
  for name in string.gmatch(c[3], '%S+') do
    local pos = report_of(redis.call('HGET', 'retention:archives', name))
    if not pos then
      return nil, 'archive ' .. name .. ' has not reported'
    end
    if id_below(pos, bound) then
      bound = pos
    end
    copies = copies + 1
  end
  if copies == 0 then
    return nil, 'no archive copy is configured'
  end
  local w = redis.call('HGETALL', 'retention:workers')
  for i = 2, #w, 2 do
    local pos, seen = report_of(w[i])
    if pos and seen and now - seen <= timeout * 1000 and
        id_below(pos, bound) then
      bound = pos
    end
  end
  return bound
end

-- FCALL stream_trim 1 <stream>: {removed, mark, why none ('' if some)}.
-- The mark moves to the last entry that may go before any of them goes:
-- a reader whose position is gone then always finds it at or under the
-- mark, and reads the archive (never takes the gap for a loss).
local function stream_trim(keys, args)
  local stream = keys[1]
  local bound, why = trim_bound(clock_ms())
  if not bound then
    return { 0, trimmed_mark(), why }
  end
  local below = redis.call('XREVRANGE', stream, bound[3], '-', 'COUNT', 1)
  if #below == 0 then
    return { 0, trimmed_mark(), 'nothing may go yet' }
  end
  local last = stream_id(below[1][1])
  local mark = stream_id(trimmed_mark())
  if id_below(mark, last) then
    redis.call('SET', 'retention:trimmed', last[3])
    mark = last
  end
  -- Everything below the entry after last: whole nodes, then the rest.
  local after = string.format('%d-%d', last[1], last[2] + 1)
  local removed = redis.call('XTRIM', stream, 'MINID', '~', after, 'LIMIT',
    TRIM_STEP)
  if removed == 0 then
    removed = redis.call('XTRIM', stream, 'MINID', after)
  end
  return { removed, mark[3], removed > 0 and '' or 'nothing may go yet' }
end

-- FCALL_RO retention_state 1 <stream>: for /status and /metrics,
-- {now ms, consumer_timeout, mark, kind, name, "<id> <ms>", ...}: at
-- most RETENTION_NAMES_MAX consumers a kind.
local function retention_state(keys, args)
  local out = { clock_ms(),
    tonumber(redis.call('HGET', 'config:retention', 'consumer_timeout')) or 0,
    trimmed_mark() }
  for kind, hash in pairs(RETENTION_KINDS) do
    local all = redis.call('HGETALL', hash)
    for i = 1, #all, 2 do
      out[#out + 1] = kind
      out[#out + 1] = all[i]
      out[#out + 1] = all[i + 1]
    end
  end
  return out
end

-- allow-oom: a full Redis must still let readers report and the stream
-- shrink; both write a bounded amount.
register('consumer_report', consumer_report, { 'allow-oom' })
register('stream_trim', stream_trim, { 'allow-oom' })
register('retention_state', retention_state, { 'no-writes' })
