--
-- The command side, as one Redis Function library.  The build puts the
-- contract before this text: CATALOGUE, EVENT_TYPES, READS, REFUSAL,
-- LIMITS, BOUNDS and BOUND_FIELDS, generated from the C tables
-- (lib/core/contract.c) by tools/contract_lua,
-- so that these functions check what the services and the worker check.
--
-- Each command checks the command-side state kept in Redis, allocates
-- an id, stamps Redis's clock and appends the event, all in one atomic
-- step: a client sees an event id if and only if the event is in the
-- stream, and two commands never interleave (a second DELETE of the
-- same thing finds it gone).  KEYS[1] is the stream.
--
-- Arguments are named:
--   FCALL invoice_create 1 <stream> caller user1 customer_id 7
--         purchase_price_cents 10000 purchase_date 2019-01-06
-- A command takes caller and its event's 'request' fields, and may take
-- an idempotency key (keyed()); a read takes caller and id.  Each is
-- given once, and checked by its kind.
--
-- Answers: a command {EventTypeName, event id, record id}; a read the
-- record as {field, value, ...} in its event's field order (a list of
-- them for customer_invoices); a refusal an error that starts with a
-- REFUSAL word.
--
-- Order inside each command: every check first, then INCR, then XADD,
-- then the state the next command checks.  Redis does not roll a function
-- back; if XADD fails, all that is left behind is an unused id.
--
-- Keys.  Derived from the events: state_clear (db/restore.lua) deletes
-- them and state_replay rebuilds them, each event's EFFECT in order:
--   account:<id>               {owned_by, name, customers, cents}
--   customer:<id>              {account_id, name, created_date, cents,
--                               invoices}
--   customer:<id>:chunks       the firsts of its invoice chunks (8 bytes
--                               big-endian, score 0, by BYLEX)
--   customer:<id>:c:<first>    a chunk: fixed-size invoice records by id
--   invoice:bucket:<id / 100>  {id mod 100: customer id}
--   customer:<id>:invoices     sorted set of ids \ invoices kept before,
--   invoice:<id>               {customer_id, ...} / until invoices_migrate
--                               (a replay makes chunks of them)
--   gc:customer:<id>:chunks    a deleted customer's (or its :invoices),
--                               going (collect_garbage)
--   gc:queue                   the list of those sets
-- Deleted by state_clear too, and not rebuilt:
--   idem:<key_id>              a kept answer, packed (keyed()), for key_ttl
-- it may name an event past the restore point: after a restore, a retry
-- with its Idempotency-Key runs afresh.  Kept as they are (not derived
-- from events):
--   seq:<record>               last id given out, per kind of record: an
--                               id may have been given without its event
--                               (XADD failed), so it is not rebuilt; a
--                               replay only raises it to the ids it applies
--   user:<name>                {password_hash}  (made by setup)
--   config:*                   the bounds (config:limits, bounds()) and
--                               the retention settings, stored by setup
--   login:*                    the login counters (db/login.lua): windows
--                               of seconds, not events
--   retention:*, restore:*     positions and marks (db/retention.lua,
--                               db/restore.lua), and the stream itself
-- 'cents' is the running total of invoices, and a customer's 'invoices'
-- the count of those in chunks, for the limits.
-- The prefixes of the keys state_clear deletes: the first two lists.
local DERIVED_PREFIXES = { 'account:', 'customer:', 'invoice:', 'gc:',
  'idem:' }

-- Payloads are concatenated in the catalogue's field order rather than
-- built from a Lua table, because cjson orders table keys at random and
-- prints numbers with 14 significant digits; every string value still
-- goes through cjson.encode, and numbers are checked decimal strings.

-- Raised, caught by answering() below and returned as an error reply.
local function fail(word, text)
  error({ refusal = word .. ' ' .. text })
end

local function check(ok, what)
  if not ok then
    fail(REFUSAL.INVALID, what)
  end
end

-- Decimal strings compared as numbers, without Lua's doubles (which stop
-- being exact at 2^53) or strcoll (which follows the locale).
local function digits_at_most(s, max)
  if #s ~= #max then
    return #s < #max
  end
  for i = 1, #s do
    local a, b = s:byte(i), max:byte(i)
    if a ~= b then
      return a < b
    end
  end
  return true
end

-- The checks of each kind, as lib/core/decode.c makes them.
local KIND = {}

function KIND.id(s)
  return s:match('^[1-9]%d*$') ~= nil and digits_at_most(s, LIMITS.id_max)
end

-- An Idempotency-Key: 1 to LIMITS.key_bytes bytes of printable ASCII (the
-- services refuse others with 400 before they get here).
function KIND.key(s)
  return #s >= 1 and #s <= LIMITS.key_bytes and s:find('[^ -~]') == nil
end

-- The request's fingerprint: 16 bytes of its SHA-256 in lowercase hex.
function KIND.fingerprint(s)
  return #s == LIMITS.fingerprint_hex and s:find('[^0-9a-f]') == nil
end

-- The name of a key's kept answer, as the services make it: 16 bytes of
-- BLAKE2b of caller and key, in unpadded base64url.
function KIND.key_id(s)
  return #s == LIMITS.key_id_chars and s:find('[^%w_-]') == nil
end

function KIND.cents(s)
  return (s == '0' or s:match('^[1-9]%d*$') ~= nil)
    and digits_at_most(s, LIMITS.cents_max)
end

function KIND.user(s)
  return #s >= 1 and #s <= LIMITS.user_bytes and s:find('[^%w._-]') == nil
end

local MDAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

function KIND.date(s)
  local y, m, d = s:match('^(%d%d%d%d)%-(%d%d)%-(%d%d)$')
  if not y then
    return false
  end
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  if y < 1 or m < 1 or m > 12 or d < 1 then
    return false
  end
  local leap = (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
  return d <= MDAYS[m] + ((m == 2 and leap) and 1 or 0)
end

function KIND.time(s)
  local date, h, m, sec = s:match('^(%d%d%d%d%-%d%d%-%d%d)T(%d%d):(%d%d):(%d%d)Z$')
  return date ~= nil and KIND.date(date) and tonumber(h) <= 23
    and tonumber(m) <= 59 and tonumber(sec) <= 59
end

-- The bytes of one UTF-8 sequence starting with lead c, and its smallest
-- code point; nil if c cannot start one.
local function utf8_lead(c)
  if c >= 0xc2 and c <= 0xdf then
    return 1, c - 0xc0
  elseif c >= 0xe0 and c <= 0xef then
    return 2, c - 0xe0
  elseif c >= 0xf0 and c <= 0xf4 then
    return 3, c - 0xf0
  end
end

-- Well-formed UTF-8 (no overlongs, surrogates or code points past
-- U+10FFFF) without C0, DEL or C1 controls: names are shown to people.
function KIND.text(s)
  if #s == 0 or #s > LIMITS.text_bytes then
    return false
  end
  if not s:find('[^\32-\126]') then
    return true
  end
  local i = 1
  while i <= #s do
    local c = s:byte(i)
    if c < 0x80 then
      if c < 0x20 or c == 0x7f then
        return false
      end
      i = i + 1
    else
      local n, cp = utf8_lead(c)
      if not n or i + n > #s then
        return false
      end
      for j = 1, n do
        local b = s:byte(i + j)
        if b < 0x80 or b > 0xbf then
          return false
        end
        cp = cp * 64 + (b - 0x80)
      end
      if (n == 2 and cp < 0x800) or (n == 3 and cp < 0x10000)
          or (cp >= 0xd800 and cp <= 0xdfff) or cp > 0x10ffff
          or (cp >= 0x80 and cp <= 0x9f) then
        return false
      end
      i = i + n + 1
    end
  end
  return true
end

function KIND.count(s)
  return #s <= 9 and s:match('^[1-9]%d*$') ~= nil
end

-- What a call takes: the kind of each argument, the names it must have,
-- and which of its event's fields are the caller.  A command takes caller
-- and its event's request fields, all required.  Made at the first call:
-- a library's load runs with no globals but redis (no pairs, no ipairs).
local TAKES = {}
local function takes(type_name)
  local t = TAKES[type_name]
  if not t then
    -- key, key_id, fingerprint and key_ttl: optional, together (keyed()).
    t = { kinds = { caller = 'user', key = 'key', key_id = 'key_id',
      fingerprint = 'fingerprint', key_ttl = 'count' },
      required = { 'caller' }, callers = {} }
    for _, f in ipairs(CATALOGUE[type_name].fields) do
      if f.source == 'request' then
        t.kinds[f.name] = f.kind
        table.insert(t.required, f.name)
      elseif f.source == 'caller' then
        table.insert(t.callers, f.name)
      end
    end
    TAKES[type_name] = t
  end
  return t
end
local READ_TAKES = { kinds = { caller = 'user', id = 'id' },
  required = { 'caller', 'id' }, callers = {} }
-- A page of a list: limit (LIMITS.page_default) and cursor are optional.
local LIST_TAKES = { kinds = { caller = 'user', id = 'id', limit = 'count',
  cursor = 'id' }, required = { 'caller', 'id' }, callers = {} }

-- Why args are not what t takes (called only when they are not).
local function refuse_arguments(args, t)
  check(#args % 2 == 0, 'arguments come as name value pairs')
  local seen = {}
  for i = 1, #args, 2 do
    local name, kind = args[i], t.kinds[args[i]]
    check(kind ~= nil, 'unknown argument ' .. name)
    check(not seen[name], name .. ' given twice')
    check(KIND[kind](args[i + 1]), name .. ': not a valid ' .. kind)
    seen[name] = true
  end
  for _, name in ipairs(t.required) do
    check(seen[name], name .. ' is required')
  end
end

-- The named arguments, each given once and checked by its kind; the
-- caller's fields filled in.  The messages are made only for a refusal:
-- making them for every argument was a tenth of a command's time.
local function arguments(args, t)
  local v = {}
  if #args % 2 ~= 0 then
    refuse_arguments(args, t)
  end
  for i = 1, #args, 2 do
    local name, value = args[i], args[i + 1]
    local kind = t.kinds[name]
    if kind == nil or v[name] ~= nil or not KIND[kind](value) then
      refuse_arguments(args, t)
    end
    v[name] = value
  end
  for _, name in ipairs(t.required) do
    if v[name] == nil then
      refuse_arguments(args, t)
    end
  end
  for _, name in ipairs(t.callers) do
    v[name] = v.caller
  end
  return v
end

local function command_arguments(type_name, args)
  return arguments(args, takes(type_name))
end

-- Times as the contract writes them: 2026-11-30T12:00:00Z.  The civil
-- date of a day count is Howard Hinnant's days_to_civil.  The text of
-- the last second asked for is kept: most calls, and most invoices of a
-- page, fall in the same one.
local clock = { secs = -1, text = '' }
local function time_text(secs)
  if secs == clock.secs then
    return clock.text
  end
  local days = math.floor(secs / 86400)
  local rem = secs - days * 86400
  local z = days + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460)
    + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  local y = yoe + era * 400 + (m <= 2 and 1 or 0)
  clock.secs = secs
  clock.text = string.format('%04d-%02d-%02dT%02d:%02d:%02dZ', y, m, d,
    math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60)
  return clock.text
end

-- Redis's clock: its text, and its seconds since 1970.
local function now()
  local secs = tonumber(redis.call('TIME')[1])
  return time_text(secs), secs
end

-- The seconds since 1970 of such a text (Hinnant's days_from_civil): the
-- inverse of time_text, for the invoices stored as text before.
local function time_secs(text)
  local y, m, d, hh, mm, ss = text:match(
    '^(%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)Z$')
  y, m, d = tonumber(y), tonumber(m), tonumber(d)
  y = m <= 2 and y - 1 or y
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (m > 2 and m - 3 or m + 9) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  return days * 86400 + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
end

-- A token outlives nothing: its user must still exist.
local function check_caller(owner)
  if redis.call('EXISTS', 'user:' .. owner) == 0 then
    fail(REFUSAL.UNAUTHORIZED, 'user no longer exists')
  end
end

-- After checking that the caller owns the account.
local function own_account(owner, account_id, what)
  local account_owner = redis.call('HGET', 'account:' .. account_id, 'owned_by')
  if not account_owner then
    fail(REFUSAL.NOTFOUND, what .. ' does not exist')
  end
  if account_owner ~= owner then
    fail(REFUSAL.FORBIDDEN, what .. ' belongs to another user')
  end
end

-- The customer's account id, after checking that the caller owns it.
local function own_customer(owner, customer_id)
  local account_id = redis.call('HGET', 'customer:' .. customer_id, 'account_id')
  if not account_id then
    fail(REFUSAL.NOTFOUND, 'customer ' .. customer_id .. ' does not exist')
  end
  own_account(owner, account_id, 'customer ' .. customer_id)
  return account_id
end

-- Invoices take at most 64 bytes of Redis each (docs/scaling.md).  The
-- hash and sorted-set member of each, as before, took 286 (used_memory
-- at 100,000): a key costs about 50 bytes before its value, and a
-- skiplist node about 100.
-- So a customer's invoices are records of a fixed size, in id order, in
-- strings of at most CHUNK of them (customer:<id>:c:<first id>), each
-- holding the ids from its first up to the next chunk's; the firsts are
-- in customer:<id>:chunks, 8 bytes big-endian with score 0, ordered by
-- BYLEX (memcmp: exact for every id, where a score stops at 2^53).  And
-- which customer an invoice is of is in invoice:bucket:<id div 100>, a
-- field per invoice (id mod 100), which Redis keeps as a listpack
-- (hash-max-listpack-entries, 128 or more by default): about 6 bytes an
-- invoice.
--
-- A record: the id's two 32-bit words, the cents (7 bytes: up to
-- 2^53-1), created_date in seconds since 1970 (5 bytes), purchase_date
-- as y * 512 + m * 32 + d (3 bytes).  23 bytes.
local RECORD = '>I4I4I7I5I3'
local RECORD_BYTES = 23
-- Measured at 100,000 invoices (bench/invoice_memory.sh, used_memory
-- over 1 customer and over 100): 64 records a chunk took 34.1 and 31.3
-- bytes an invoice, 128 took 32.4 and 30.3, 256 took 31.7 and 30.5,
-- where the hash and the member took 285.9 and 283.6.  An append or a
-- delete copies its chunk: 2.9 KB at 128.
local CHUNK = 128
local CHUNK_BYTES = CHUNK * RECORD_BYTES
local TWO32 = 4294967296

-- An id's two 32-bit words, exact up to the contract's 2^63-1 (a Lua
-- number is exact only up to 2^53).
local function id_words(s)
  local hi, lo = 0, 0
  for i = 1, #s do
    lo = lo * 10 + s:byte(i) - 48
    local carry = math.floor(lo / TWO32)
    lo = lo - carry * TWO32
    hi = hi * 10 + carry
  end
  return hi, lo
end

-- The decimal text of the id of words hi, lo.
local function id_text(hi, lo)
  if hi < 2097152 then
    return string.format('%d', hi * TWO32 + lo)
  end
  -- Past 2^53: three divisions by 10^7, 16 bits at a time.
  local limbs = { math.floor(hi / 65536), hi % 65536,
    math.floor(lo / 65536), lo % 65536 }
  local groups = {}
  for g = 1, 3 do
    local r = 0
    for i = 1, 4 do
      local cur = r * 65536 + limbs[i]
      limbs[i] = math.floor(cur / 1e7)
      r = cur - limbs[i] * 1e7
    end
    groups[g] = r
  end
  return string.format('%d%07d%07d', groups[3], groups[2], groups[1])
end

-- Is id (hi, lo) past id (h2, l2)?  Compared as numbers: Lua's < on
-- strings follows the locale (strcoll), not the bytes.
local function past(hi, lo, h2, l2)
  return hi > h2 or (hi == h2 and lo > l2)
end

-- The key and field that say whose invoice id is.
local function bucket_of(id)
  return 'invoice:bucket:' .. (#id > 2 and id:sub(1, -3) or '0'),
    tostring(tonumber(id:sub(-2)))
end

local function chunks_key(customer_id)
  return 'customer:' .. customer_id .. ':chunks'
end

-- The chunk whose first id is first (8 bytes).
local function chunk_key(customer_id, first)
  local hi, lo = struct.unpack('>I4I4', first)
  return 'customer:' .. customer_id .. ':c:' .. id_text(hi, lo)
end

-- The customer's invoices as they were kept before: a sorted set of ids
-- and a hash each.  Read until invoices_migrate has moved them.
local function old_invoices(customer_id)
  return 'customer:' .. customer_id .. ':invoices'
end

local function record_pack(id, cents, created_secs, date)
  local hi, lo = id_words(id)
  local y, m, d = date:match('^(%d+)%-(%d+)%-(%d+)$')
  return struct.pack(RECORD, hi, lo, tonumber(cents), created_secs,
    tonumber(y) * 512 + tonumber(m) * 32 + tonumber(d))
end

-- A record's fields as InvoiceCreated's, by name.
local function record_fields(customer_id, hi, lo, cents, created, day)
  return { id = id_text(hi, lo), customer_id = customer_id,
    purchase_price_cents = string.format('%d', cents),
    created_date = time_text(created),
    purchase_date = string.format('%04d-%02d-%02d', math.floor(day / 512),
      math.floor(day / 32) % 16, day % 32) }
end

-- The first of the chunk that holds id (8 bytes), or nil.
local function chunk_holding(chunks, id)
  return redis.call('ZRANGE', chunks, '[' .. id, '-', 'BYLEX', 'REV',
    'LIMIT', 0, 1)[1]
end

-- The index of the record of id (hi, lo) in chunk, or nil.
local function record_index(chunk, hi, lo)
  local a, z = 1, #chunk / RECORD_BYTES
  while a <= z do
    local m = math.floor((a + z) / 2)
    local h, l = struct.unpack('>I4I4', chunk, (m - 1) * RECORD_BYTES + 1)
    if h == hi and l == lo then
      return m
    elseif past(h, l, hi, lo) then
      z = m - 1
    else
      a = m + 1
    end
  end
end

-- Stores chunk under first (in chunks already), deleted if empty, and
-- when it holds half of CHUNK or less, merged with a neighbour if the two
-- fit in one: so any two neighbours hold more than CHUNK / 2 records,
-- and a page of n reads at most 4n / CHUNK + 2 chunks.  Looking at the
-- neighbours at every delete, a delete took 71-84 µs (median of 2,000
-- random deletes among 12,000 invoices of one customer); only from half
-- down, 55-61 µs (21-30 with a hash and a member each).
local function chunk_store(customer_id, chunks, first, chunk)
  local key = chunk_key(customer_id, first)
  if #chunk == 0 then
    redis.call('DEL', key)
    redis.call('ZREM', chunks, first)
    return
  end
  if #chunk > CHUNK_BYTES / 2 then
    redis.call('SET', key, chunk)
    return
  end
  local next_first = redis.call('ZRANGE', chunks, '(' .. first, '+', 'BYLEX',
    'LIMIT', 0, 1)[1]
  -- STRLEN first: a GET of each neighbour tripled a delete's time.
  if next_first then
    local next_key = chunk_key(customer_id, next_first)
    if #chunk + redis.call('STRLEN', next_key) <= CHUNK_BYTES then
      chunk = chunk .. redis.call('GET', next_key)
      redis.call('DEL', next_key)
      redis.call('ZREM', chunks, next_first)
    end
  end
  local prev_first = redis.call('ZRANGE', chunks, '(' .. first, '-', 'BYLEX',
    'REV', 'LIMIT', 0, 1)[1]
  if prev_first then
    local prev_key = chunk_key(customer_id, prev_first)
    if redis.call('STRLEN', prev_key) + #chunk <= CHUNK_BYTES then
      redis.call('SET', prev_key, redis.call('GET', prev_key) .. chunk)
      redis.call('DEL', key)
      redis.call('ZREM', chunks, first)
      return
    end
  end
  redis.call('SET', key, chunk)
end

-- Where invoice id is: {customer_id, chunks, first, chunk, i} in a chunk,
-- {customer_id, cents, old = true} as kept before, or nil.
local function invoice_at(id)
  local bucket, field = bucket_of(id)
  local customer_id = redis.call('HGET', bucket, field)
  if customer_id then
    local hi, lo = id_words(id)
    local chunks = chunks_key(customer_id)
    local first = chunk_holding(chunks, struct.pack('>I4I4', hi, lo))
    local chunk = first and redis.call('GET', chunk_key(customer_id, first))
    local i = chunk and record_index(chunk, hi, lo)
    if i then
      return { customer_id = customer_id, chunks = chunks, first = first,
        chunk = chunk, i = i }
    end
    return nil
  end
  local f = redis.call('HMGET', 'invoice:' .. id, 'customer_id', 'cents')
  if f[1] then
    return { customer_id = f[1], cents = f[2], old = true }
  end
end

-- The invoice's customer, cents and account, and where it is (invoice_at),
-- after checking that the caller owns it.
local function own_invoice(owner, invoice_id)
  local at = invoice_at(invoice_id)
  local account_id = at and
    redis.call('HGET', 'customer:' .. at.customer_id, 'account_id')
  if not account_id then
    fail(REFUSAL.NOTFOUND, 'invoice ' .. invoice_id .. ' does not exist')
  end
  own_account(owner, account_id, 'invoice ' .. invoice_id)
  if not at.old then
    at.fields = record_fields(at.customer_id, struct.unpack(RECORD,
      at.chunk, (at.i - 1) * RECORD_BYTES + 1))
    at.cents = at.fields.purchase_price_cents
  end
  return at.customer_id, at.cents, account_id, at
end

-- The next id of a kind of record, as its exact digits: INCR's answer
-- reaches Lua as a double, which is not exact past 2^53; past it, the
-- digits are read back.
local function next_id(record)
  local n = redis.call('INCR', 'seq:' .. record)
  if n < 9007199254740992 then
    return string.format('%d', n)
  end
  return redis.call('GET', 'seq:' .. record)
end

-- Appends the event whose fields v holds (its payload is PAYLOAD's); the
-- command's answer.
local function append(stream, type_name, v)
  local event_id = redis.call('XADD', stream, '*', 'EventTypeName',
    type_name, 'Payload', PAYLOAD[type_name](v))
  return { type_name, event_id, v.id }
end

-- Adds cents, an integer as text, to the total of key (sign '') or takes
-- it away (sign '-').  Text keeps it exact past Lua's %.14g, and a zero
-- is skipped: HINCRBY refuses '-0', and it would fail after the append.
local function add_cents(key, cents, sign)
  if cents and cents ~= '0' then
    redis.call('HINCRBY', key, 'cents', sign .. cents)
  end
end

-- A deleted customer's invoices go later, a few at a time: its chunks'
-- index (and its set of ids as kept before) is renamed and queued
-- (O(1)), and each write that follows deletes up to GC_STEP of them, so
-- that no call's work grows with the number of invoices.  Until then
-- they cannot be reached: every read of an invoice checks its customer.
local GC_STEP = 64
local function collect_garbage()
  local set = redis.call('LINDEX', 'gc:queue', 0)
  if not set then
    return
  end
  local customer_id = set:match('^gc:customer:(%d+):chunks$')
  if not customer_id then
    local popped = redis.call('ZPOPMIN', set, GC_STEP)
    for i = 1, #popped, 2 do
      redis.call('DEL', 'invoice:' .. popped[i])
    end
    if #popped < 2 * GC_STEP then
      redis.call('LPOP', 'gc:queue')
    end
    return
  end
  -- The last records of the first chunk, then of the next: GC_STEP in all.
  local left = GC_STEP
  for _ = 1, GC_STEP do
    local first = redis.call('ZRANGE', set, 0, 0)[1]
    if not first or left == 0 then
      break
    end
    local key = chunk_key(customer_id, first)
    local chunk = redis.call('GET', key) or ''
    local n = #chunk / RECORD_BYTES
    local k = math.min(left, n)
    for i = n - k + 1, n do
      local bucket, field = bucket_of(id_text(struct.unpack('>I4I4', chunk,
        (i - 1) * RECORD_BYTES + 1)))
      redis.call('HDEL', bucket, field)
    end
    left = left - k
    if k == n then
      redis.call('DEL', key)
      redis.call('ZREM', set, first)
    else
      redis.call('SET', key, chunk:sub(1, (n - k) * RECORD_BYTES))
    end
  end
  if redis.call('EXISTS', set) == 0 then
    redis.call('LPOP', 'gc:queue')
  end
end

-- What each event does to the command state, defined once: each command
-- calls its event's after append(), and state_replay (db/restore.lua)
-- calls it for an event read back, so a replay makes the same keys,
-- byte for byte (the chunk merges and the gc steps follow the order of
-- the events).  v: the event's payload fields, as text.  at: what the
-- command looked up already, so that its cost does not grow; nil from a
-- replay, which looks it up here, before any write, and is refused if
-- the state lacks it.
local EFFECT = {}

-- Refused, nothing changed: the state lacks what an event refers to (a
-- replay with a gap, or out of order).
local function state_has(found, what)
  if not found then
    fail(REFUSAL.CONFLICT, 'the state has no ' .. what)
  end
  return found
end

function EFFECT.AccountCreated(v)
  redis.call('HSET', 'account:' .. v.id, 'owned_by', v.owned_by,
    'name', v.name, 'customers', 0)
end

function EFFECT.AccountDeleted(v)
  redis.call('DEL', 'account:' .. v.id)
end

function EFFECT.CustomerCreated(v)
  redis.call('HSET', 'customer:' .. v.id, 'account_id', v.account_id,
    'name', v.name, 'created_date', v.created_date)
  redis.call('HINCRBY', 'account:' .. v.account_id, 'customers', 1)
  collect_garbage()
end

-- The invoices go with the customer, to the gc queue.
function EFFECT.CustomerDeleted(v)
  for _, set in ipairs({ old_invoices(v.id), chunks_key(v.id) }) do
    if redis.call('EXISTS', set) == 1 then
      redis.call('RENAME', set, 'gc:' .. set)
      redis.call('RPUSH', 'gc:queue', 'gc:' .. set)
    end
  end
  add_cents('account:' .. v.account_id,
    redis.call('HGET', 'customer:' .. v.id, 'cents'), '-')
  redis.call('DEL', 'customer:' .. v.id)
  redis.call('HINCRBY', 'account:' .. v.account_id, 'customers', -1)
  collect_garbage()
end

-- at: {account_id (the customer's), secs (created_date's)}.
function EFFECT.InvoiceCreated(v, at)
  local customer = 'customer:' .. v.customer_id
  at = at or { account_id = state_has(redis.call('HGET', customer,
    'account_id'), customer), secs = time_secs(v.created_date) }
  -- Ids only grow: the new record goes at the end of the last chunk.
  local record = record_pack(v.id, v.purchase_price_cents, at.secs,
    v.purchase_date)
  local chunks = chunks_key(v.customer_id)
  local last = redis.call('ZRANGE', chunks, '+', '-', 'BYLEX', 'REV',
    'LIMIT', 0, 1)[1]
  local key = last and chunk_key(v.customer_id, last)
  local chunk = key and redis.call('GET', key)
  if chunk and #chunk < CHUNK_BYTES then
    redis.call('SET', key, chunk .. record)
  else
    redis.call('ZADD', chunks, 0, record:sub(1, 8))
    redis.call('SET', customer .. ':c:' .. v.id, record)
  end
  local bucket, field = bucket_of(v.id)
  redis.call('HSET', bucket, field, v.customer_id)
  redis.call('HINCRBY', customer, 'invoices', 1)
  add_cents(customer, v.purchase_price_cents, '')
  add_cents('account:' .. at.account_id, v.purchase_price_cents, '')
  collect_garbage()
end

-- at: invoice_at(v.id), with account_id (its customer's).
function EFFECT.InvoiceDeleted(v, at)
  if not at then
    at = invoice_at(v.id)
    state_has(at and at.customer_id == v.customer_id,
      'invoice ' .. v.id .. ' of customer ' .. v.customer_id)
    at.account_id = state_has(redis.call('HGET', 'customer:' ..
      v.customer_id, 'account_id'), 'customer:' .. v.customer_id)
  end
  if at.old then
    redis.call('DEL', 'invoice:' .. v.id)
    redis.call('ZREM', old_invoices(v.customer_id), v.id)
  else
    chunk_store(v.customer_id, at.chunks, at.first,
      at.chunk:sub(1, (at.i - 1) * RECORD_BYTES) ..
      at.chunk:sub(at.i * RECORD_BYTES + 1))
    local bucket, field = bucket_of(v.id)
    redis.call('HDEL', bucket, field)
    redis.call('HINCRBY', 'customer:' .. v.customer_id, 'invoices', -1)
  end
  add_cents('customer:' .. v.customer_id, v.purchase_price_cents, '-')
  add_cents('account:' .. at.account_id, v.purchase_price_cents, '-')
  collect_garbage()
end

-- v: owned_by, name, description.
local function new_account(stream, v)
  v.id = next_id('account')
  v.created_date = now()
  local answer = append(stream, 'AccountCreated', v)
  EFFECT.AccountCreated(v)
  return answer
end

local function account_create(stream, v)
  check_caller(v.caller)
  return new_account(stream, v)
end

local function account_delete(stream, v)
  check_caller(v.caller)
  own_account(v.caller, v.id, 'account ' .. v.id)
  if tonumber(redis.call('HGET', 'account:' .. v.id, 'customers') or 0) > 0 then
    fail(REFUSAL.CONFLICT, 'account ' .. v.id .. ' still has customers')
  end
  local answer = append(stream, 'AccountDeleted', v)
  EFFECT.AccountDeleted(v)
  return answer
end

-- accounts <JSON array of {owned_by, name, description}>: creates them
-- only if no account was ever created, so it is safe at every start, and
-- from two starts at once.  Answers the new ids.
local function accounts_seed(keys, args)
  check(#args == 2 and args[1] == 'accounts', 'accounts_seed takes accounts')
  local ok, list = pcall(cjson.decode, args[2])
  check(ok and type(list) == 'table', 'accounts: not a JSON array')
  for _, a in ipairs(list) do
    check(type(a.owned_by) == 'string' and KIND.user(a.owned_by)
      and type(a.name) == 'string' and KIND.text(a.name)
      and type(a.description) == 'string' and KIND.text(a.description),
      'accounts: each needs owned_by, name and description')
  end
  if redis.call('EXISTS', 'seq:account') == 1 then
    return {}
  end
  local made = {}
  for _, a in ipairs(list) do
    table.insert(made, new_account(keys[1], { owned_by = a.owned_by,
      name = a.name, description = a.description })[3])
  end
  return made
end

-- The bounds in force: what setup stored from the configuration, else
-- the contract's defaults (BOUNDS).
local function bounds()
  local v = redis.call('HMGET', 'config:limits', unpack(BOUND_FIELDS))
  local b = {}
  for i = 1, #BOUND_FIELDS do
    b[BOUND_FIELDS[i]] = tonumber(v[i]) or BOUNDS[BOUND_FIELDS[i]]
  end
  return b
end

local function within(n, bound, what)
  if n > bound then
    fail(REFUSAL.LIMIT, what .. ' (at most ' ..
      string.format('%d', bound) .. ')')
  end
end

-- A field of a hash as a number; 0 if it is not there.  Totals and counts
-- stay at most 2^53-1 (the bounds), exact as Lua's doubles.
local function number_at(key, field)
  return tonumber(redis.call('HGET', key, field) or 0)
end

local function customer_create(stream, v)
  check_caller(v.caller)
  own_account(v.caller, v.account_id, 'account ' .. v.account_id)
  within(number_at('account:' .. v.account_id, 'customers') + 1,
    bounds().customers_per_account, 'customers of account ' .. v.account_id)
  v.id = next_id('customer')
  v.created_date = now()
  local answer = append(stream, 'CustomerCreated', v)
  EFFECT.CustomerCreated(v)
  return answer
end

-- The invoices go with the customer: the projection drops the customer
-- with its revenue, so no InvoiceDeleted.
local function customer_delete(stream, v)
  check_caller(v.caller)
  v.account_id = own_customer(v.caller, v.id)
  local answer = append(stream, 'CustomerDeleted', v)
  EFFECT.CustomerDeleted(v)
  return answer
end

local function invoice_create(stream, v)
  check_caller(v.caller)
  local account_id = own_customer(v.caller, v.customer_id)
  local customer = 'customer:' .. v.customer_id
  local b, cents = bounds(), tonumber(v.purchase_price_cents)
  within(number_at(customer, 'invoices') +
    redis.call('ZCARD', old_invoices(v.customer_id)) + 1,
    b.invoices_per_customer, 'invoices of customer ' .. v.customer_id)
  within(number_at(customer, 'cents') + cents,
    b.cents_per_customer, 'cents of customer ' .. v.customer_id)
  within(number_at('account:' .. account_id, 'cents') + cents,
    b.cents_per_account, 'cents of account ' .. account_id)
  v.id = next_id('invoice')
  local secs
  v.created_date, secs = now()
  local answer = append(stream, 'InvoiceCreated', v)
  EFFECT.InvoiceCreated(v, { account_id = account_id, secs = secs })
  return answer
end

local function invoice_delete(stream, v)
  check_caller(v.caller)
  local account_id, at
  v.customer_id, v.purchase_price_cents, account_id, at =
    own_invoice(v.caller, v.id)
  local answer = append(stream, 'InvoiceDeleted', v)
  at.account_id = account_id
  EFFECT.InvoiceDeleted(v, at)
  return answer
end

-- customer_id <id>: moves up to CHUNK of the customer's invoices kept as
-- before (old_invoices) into a chunk, the highest ids first, so that
-- those not yet moved stay below every chunk and a page reads them
-- first; answers how many are left.  setup calls it until 0, for each
-- such customer; the functions read both meanwhile.
local function invoices_migrate(keys, args)
  check(#args == 2 and args[1] == 'customer_id' and KIND.id(args[2]),
    'invoices_migrate takes customer_id')
  local customer_id = args[2]
  local old = old_invoices(customer_id)
  local popped = redis.call('ZPOPMAX', old, CHUNK)
  local records = {}
  for i = #popped - 1, 1, -2 do
    local id = popped[i]
    local f = redis.call('HMGET', 'invoice:' .. id, 'cents', 'created_date',
      'purchase_date')
    if f[1] then
      records[#records + 1] = record_pack(id, f[1], time_secs(f[2]), f[3])
      local bucket, field = bucket_of(id)
      redis.call('HSET', bucket, field, customer_id)
      redis.call('DEL', 'invoice:' .. id)
    end
  end
  if #records > 0 then
    local chunk = table.concat(records)
    local chunks = chunks_key(customer_id)
    redis.call('ZADD', chunks, 0, chunk:sub(1, 8))
    chunk_store(customer_id, chunks, chunk:sub(1, 8), chunk)
    redis.call('HINCRBY', 'customer:' .. customer_id, 'invoices', #records)
  end
  return redis.call('ZCARD', old)
end

-- Reads, for the customers service: the same checks, no writes.

-- The invoice hash keeps the price as 'cents', its name since the first
-- version; renaming it would strand the invoices already stored.
local STORED_AS = { purchase_price_cents = 'cents' }

-- A shape's field names, and the hash fields they are stored under: made
-- once per shape, not once per record (a page of 1,000 invoices took
-- 4.9 ms in Redis making them each time).
local SHAPES = {}
local function shape_of(shape)
  local s = SHAPES[shape]
  if not s then
    s = { fields = {}, stored = {} }
    for i, f in ipairs(CATALOGUE[shape].fields) do
      s.fields[i] = f.name
      s.stored[i] = STORED_AS[f.name] or f.name
    end
    SHAPES[shape] = s
  end
  return s
end

-- The record at key as {field, value, ...}, in its event's field order.
local function record(shape, key, id)
  local s = shape_of(shape)
  local values = redis.call('HMGET', key, unpack(s.stored))
  local out, n = {}, 0
  for i = 1, #s.fields do
    local name = s.fields[i]
    out[n + 1] = name
    out[n + 2] = name == 'id' and id or values[i] or ''
    n = n + 2
  end
  return out
end

local function customer_get(keys, args)
  local v = arguments(args, READ_TAKES)
  check_caller(v.caller)
  own_customer(v.caller, v.id)
  return record('CustomerCreated', 'customer:' .. v.id, v.id)
end

-- A record of a chunk as {field, value, ...}, in its event's field order.
local function record_out(fields, names)
  local out = {}
  for i = 1, #names do
    out[2 * i - 1] = names[i]
    out[2 * i] = fields[names[i]]
  end
  return out
end

local function invoice_get(keys, args)
  local v = arguments(args, READ_TAKES)
  check_caller(v.caller)
  local _, _, _, at = own_invoice(v.caller, v.id)
  if at.old then
    return record('InvoiceCreated', 'invoice:' .. v.id, v.id)
  end
  return record_out(at.fields, shape_of('InvoiceCreated').fields)
end

-- One page of the customer's invoices, by id: {next cursor ('' on the
-- last page), invoice, ...}; the cursor is the last id given.  Those
-- kept as before come first (their ids are below every chunk's), then
-- the chunks from the one that holds the cursor, PAGE_CHUNKS at a time.
local PAGE_CHUNKS = 16
local function customer_invoices(keys, args)
  local v = arguments(args, LIST_TAKES)
  check_caller(v.caller)
  own_customer(v.caller, v.id)
  local limit = tonumber(v.limit or LIMITS.page_default)
  check(limit <= LIMITS.page_max, 'limit: at most ' .. LIMITS.page_max)
  local out, ids, n = { '' }, {}, 0
  local old = old_invoices(v.id)
  if redis.call('EXISTS', old) == 1 then
    -- Ids are scores there: exact up to 2^53, past any INCR before.
    local got = redis.call('ZRANGE', old, v.cursor and '(' .. v.cursor or
      '-inf', '+inf', 'BYSCORE', 'LIMIT', 0, limit + 1)
    for i = 1, #got do
      n = n + 1
      ids[n] = got[i]
      if n <= limit then
        out[n + 1] = record('InvoiceCreated', 'invoice:' .. got[i], got[i])
      end
    end
  end
  local chunks = chunks_key(v.id)
  local after_hi, after_lo, from = -1, 0, '-'
  if v.cursor then
    after_hi, after_lo = id_words(v.cursor)
    local first = chunk_holding(chunks, struct.pack('>I4I4', after_hi,
      after_lo))
    from = first and '[' .. first or '-'
  end
  local names = shape_of('InvoiceCreated').fields
  while n <= limit do
    local firsts = redis.call('ZRANGE', chunks, from, '+', 'BYLEX', 'LIMIT',
      0, PAGE_CHUNKS)
    for c = 1, #firsts do
      local chunk = redis.call('GET', chunk_key(v.id, firsts[c]))
      for i = 1, #chunk / RECORD_BYTES do
        local hi, lo, cents, created, day = struct.unpack(RECORD, chunk,
          (i - 1) * RECORD_BYTES + 1)
        if past(hi, lo, after_hi, after_lo) then
          n = n + 1
          if n > limit then
            break
          end
          local fields = record_fields(v.id, hi, lo, cents, created, day)
          ids[n] = fields.id
          out[n + 1] = record_out(fields, names)
        end
      end
      if n > limit then
        break
      end
    end
    if #firsts < PAGE_CHUNKS then
      break
    end
    from = '(' .. firsts[#firsts]
  end
  if n > limit then
    out[1] = ids[limit]
  end
  return out
end

-- Idempotency-Key (draft-ietf-httpapi-idempotency-key-header): a command
-- given a key is done once per caller and key.  Its answer is kept with
-- the request's fingerprint (the services hash method, path, caller and
-- body) for key_ttl seconds, in the same call that appends its event:
-- a retry with the key gets the same answer, and nothing is appended;
-- the key with another request is refused, REUSED.  A refusal keeps
-- nothing: nothing changed, so the retry runs afresh.
--
-- What is kept is one string, SET with EX, under idem:<key_id> (the
-- services' 22-character hash of caller and key), packed:
--   16 bytes  the fingerprint (binary)
--    1 byte   the event type's index in EVENT_TYPES
--    6 bytes  the event id's milliseconds, big-endian
--   the rest  "<the event id's sequence> <record id>"
-- 24 bytes and the digits of sequence and id: 44 at most while they have
-- 20 digits between them (ids below 10^16), which Redis keeps in one
-- 64-byte allocation with its header.  MEMORY USAGE (name, value and
-- entry) is 120 bytes then, 104 while the digits are 4 or fewer, and
-- 128 past 10^16; whatever the key's and the caller's lengths.  The
-- hash of four fields under idem:<len>:<caller>:<key> kept before took
-- 264 for a 36-character key of an 8-character caller.
-- 16 bytes of fingerprint: a retry whose request differs from the kept
-- one passes for it once in 2^128.
--
-- Keys kept in that older layout are still read, until IDEMPOTENCY_TTL
-- after an upgrade has passed (they all expire by then): a retry across
-- the upgrade must not be done twice.  Their fingerprint is the whole
-- SHA-256, whose first 16 bytes the services now send.
local TYPE_INDEX = {}
local function type_index(type_name)
  if not TYPE_INDEX[type_name] then
    for i, t in ipairs(EVENT_TYPES) do
      TYPE_INDEX[t] = i
    end
  end
  return TYPE_INDEX[type_name]
end

local function from_hex(hex)
  return (hex:gsub('%x%x', function(h)
    return string.char(tonumber(h, 16))
  end))
end

-- n (below 2^48) in 6 bytes, big-endian, and back.
local function bytes6(n)
  local b = {}
  for i = 6, 1, -1 do
    b[i] = string.char(n % 256)
    n = math.floor(n / 256)
  end
  return table.concat(b)
end
local function number6(s, at)
  local n = 0
  for i = at, at + 5 do
    n = n * 256 + s:byte(i)
  end
  return n
end

local function answer_pack(fp, answer)
  local ms, seq = answer[2]:match('^(%d+)%-(%d+)$')
  return fp .. string.char(type_index(answer[1])) ..
    bytes6(tonumber(ms)) .. seq .. ' ' .. answer[3]
end

-- The kept answer, if its fingerprint is fp's; else REUSED.
local function answer_unpack(kept, fp)
  if kept:sub(1, 16) ~= fp then
    fail(REFUSAL.REUSED, 'this Idempotency-Key was used for another request')
  end
  local seq, id = kept:sub(24):match('^(%d+) (%d+)$')
  return { EVENT_TYPES[kept:byte(17)],
    string.format('%d', number6(kept, 18)) .. '-' .. seq, id, 'replayed' }
end

-- The answer kept in the older layout (above), or nil; the key's name.
local function answer_before(v)
  local k = 'idem:' .. #v.caller .. ':' .. v.caller .. ':' .. v.key
  local kept = redis.call('HMGET', k, 'fingerprint', 'type', 'event_id', 'id')
  if not kept[1] then
    return nil
  end
  if kept[1]:sub(1, #v.fingerprint) ~= v.fingerprint then
    fail(REFUSAL.REUSED, 'this Idempotency-Key was used for another request')
  end
  return { kept[2], kept[3], kept[4], 'replayed' }, k
end

local function keyed(stream, v, fn)
  if v.key == nil and v.key_id == nil and v.fingerprint == nil and
      v.key_ttl == nil then
    return fn(stream, v)
  end
  check(v.key and v.key_id and v.fingerprint and v.key_ttl,
    'key, key_id, fingerprint and key_ttl go together')
  local k, fp = 'idem:' .. v.key_id, from_hex(v.fingerprint)
  local kept = redis.call('GET', k)
  local answer, at
  if kept then
    answer, at = answer_unpack(kept, fp), k
  else
    answer, at = answer_before(v)
  end
  if answer then
    -- A write, so that the caller's WAIT covers the kept event too: WAIT
    -- counts replicas that have all this connection wrote.
    redis.call('EXPIRE', at, v.key_ttl)
    return answer
  end
  answer = fn(stream, v)
  redis.call('SET', k, answer_pack(fp, answer), 'EX', v.key_ttl)
  return answer
end

-- A command of the catalogue: its arguments, checked, then keyed().
local function command(type_name, fn)
  return function(keys, args)
    return keyed(keys[1], command_arguments(type_name, args), fn)
  end
end

-- Returning the refusal, rather than letting it propagate, keeps Redis
-- from appending the script's name and line to the client's message.
local function answering(fn)
  return function(keys, args)
    local ok, result = pcall(fn, keys, args)
    if ok then
      return result
    end
    if type(result) == 'table' and result.refusal then
      return redis.error_reply(result.refusal)
    end
    error(result)
  end
end

-- Registered under the contract's names; a name the contract gives that
-- has no function here fails the library's load (no callback), not a
-- request.  The loops count up the generated arrays (EVENT_TYPES,
-- READS): the load has no pairs or ipairs.
local function register(name, fn, flags)
  redis.register_function{ function_name = name, callback = fn and answering(fn),
    flags = flags }
end
-- Each event type's command, under its catalogue's function_name.
local COMMANDS = { AccountCreated = account_create,
  AccountDeleted = account_delete, CustomerCreated = customer_create,
  CustomerDeleted = customer_delete, InvoiceCreated = invoice_create,
  InvoiceDeleted = invoice_delete }
local i = 1
while EVENT_TYPES[i] do
  local t = EVENT_TYPES[i]
  register(CATALOGUE[t].function_name, COMMANDS[t] and command(t, COMMANDS[t]),
    {})
  i = i + 1
end
register('accounts_seed', accounts_seed, {})
register('invoices_migrate', invoices_migrate, {})
-- Reads are marked no-writes, so that they run on a replica too.
local READERS = { customer_get = customer_get, invoice_get = invoice_get,
  customer_invoices = customer_invoices }
i = 1
while READS[i] do
  register(READS[i].function_name, READERS[READS[i].function_name],
    { 'no-writes' })
  i = i + 1
end
