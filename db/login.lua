--
-- Login throttling, part of the same library as the commands (the build
-- puts this after db/events.lua).  Each call checks and counts in one
-- atomic step: parallel guesses cannot slip between a check and its
-- count, and a count never lacks its window (INCR and PEXPIRE together).
--
-- An attempt is counted before its password is checked, so no more
-- passwords are checked than the limits allow, however many guesses
-- arrive at once; a success takes its own attempt back.  Three counts of
-- attempts per window: one user from one address (the lowest limit), one
-- user from anywhere (higher, so that a stranger's guesses from one
-- address do not lock the user out everywhere), and one address for any
-- user.  Two more count successes, per user and per address: argon2id
-- costs a core for a tenth of a second, and a valid password must not
-- buy unlimited turns of it either.
--
-- Known addresses.  Each success remembers its address for the user
-- (the last known_max of them, each for known_ttl seconds after its last
-- success).  A known pair is held to its own pair count and to the
-- success counts only: strangers' guesses, which fill the user's and
-- their addresses' counts, do not lock the user out where it has logged
-- in before (OWASP's known-address exemption).  A stranger cannot make
-- an address known without the password.
--
-- The strangers' turn.  Every pair not known also waits for a turn in
-- one budget for all users: `strangers` password checks a second, a
-- second's worth at once at most, else 429 at once, unhashed (GCRA:
-- login:strangers holds when the budget is next clear).  argon2id takes
-- 90 ms here (143 ms with three at once on the two cores), so the one
-- login process checks 7 to 11 a second.  Without the budget, 40
-- addresses each within its own limits (20 a minute) send it 13: the
-- queue grows until lighttpd's 10 s timeout, and a known user's login
-- took 3.7 s (p50) and 4.3 s (p90) instead of 0.11 s (tests/logins.bats,
-- ASan build; the attacker saw 8.7 to 10.4 s).  At 4 a second the
-- strangers take at most about half of the process, and the same login
-- took 0.19 s and 0.23 s (0.86 s at p90 while another test suite ran
-- on the same two cores); at 1 a second, 0.10 s and 0.15 s, but a new
-- address then waits longer for its first login during an attack.
--
-- Bound per user per window, at the defaults: 50 strangers' failures
-- (max_user), then 5 from each of 8 known addresses (max_pair), 90 in
-- all: 5,400 guesses an hour.
--
--   FCALL login_attempt 1 <stream> user <name> addr <address>
--         window <seconds> max_pair <n> max_user <n> max_addr <n>
--         max_ok_user <n> max_ok_addr <n> known_ttl <seconds>
--         strangers <n a second>
--   -> 0: go on (counted); n > 0: wait n seconds (not counted)
--   FCALL login_succeeded 1 <stream> user <name> addr <address>
--         window <seconds> known_max <n> known_ttl <seconds>

function KIND.addr(s)
  return #s >= 1 and #s <= 64 and s:find('[^%x.:]') == nil
end

local ATTEMPT_TAKES = { kinds = { user = 'text', addr = 'addr',
  window = 'count', max_pair = 'count', max_user = 'count',
  max_addr = 'count', max_ok_user = 'count', max_ok_addr = 'count',
  known_ttl = 'count', strangers = 'count' },
  required = { 'user', 'addr', 'window', 'max_pair', 'max_user', 'max_addr',
  'max_ok_user', 'max_ok_addr', 'known_ttl', 'strangers' }, callers = {} }
local SUCCESS_TAKES = { kinds = { user = 'text', addr = 'addr',
  window = 'count', known_max = 'count', known_ttl = 'count' },
  required = { 'user', 'addr', 'window', 'known_max', 'known_ttl' },
  callers = {} }

-- The counts' keys: attempts (pair, user, address), then successes (user,
-- address), then the user's known addresses (a sorted set: address, the
-- time of its last success in ms).  The name's length comes first, so
-- that no name and address can spell another pair's key.
local function login_keys(user, addr)
  return { 'login:pair:' .. #user .. ':' .. user .. ':' .. addr,
    'login:user:' .. user, 'login:addr:' .. addr,
    'login:ok:user:' .. user, 'login:ok:addr:' .. addr,
    'login:known:' .. user }
end
local STRANGERS = 'login:strangers'
-- The counts a known pair is held to: its own, and the successes.
local ALL_COUNTS, KNOWN_COUNTS = { 1, 2, 3, 4, 5 }, { 1, 4, 5 }

-- Redis's clock, in milliseconds.
local function clock_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Counts one in key, starting its window if it is new.
local function count_in(key, window_ms)
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, window_ms)
  end
end

-- Seconds until key's count is under max, or nil if it is now.
local function over(key, max, window_ms)
  if tonumber(redis.call('GET', key) or 0) < max then
    return nil
  end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    -- A count without a window: never made here, but never eternal.
    redis.call('PEXPIRE', key, window_ms)
    ttl = window_ms
  end
  return math.ceil(ttl / 1000)
end

-- Whether the user logged in from addr within ttl_ms.
local function known(key, addr, now, ttl_ms)
  local at = redis.call('ZSCORE', key, addr)
  return at ~= false and tonumber(at) > now - ttl_ms
end

-- A stranger's turn: 0 (taken), or seconds until the next one.
local function stranger_turn(now, per_second)
  local interval = math.floor(1000 / per_second)
  local slack = 1000 - interval
  local clear = math.max(tonumber(redis.call('GET', STRANGERS) or 0), now)
  if clear - now > slack then
    return math.ceil((clear - now - slack) / 1000)
  end
  clear = clear + interval
  redis.call('SET', STRANGERS, clear, 'PX', clear - now)
  return 0
end

local function login_attempt(keys, args)
  local v = arguments(args, ATTEMPT_TAKES)
  local k = login_keys(v.user, v.addr)
  local max = { tonumber(v.max_pair), tonumber(v.max_user),
    tonumber(v.max_addr), tonumber(v.max_ok_user), tonumber(v.max_ok_addr) }
  local window_ms = tonumber(v.window) * 1000
  local now = clock_ms()
  local is_known = known(k[6], v.addr, now, tonumber(v.known_ttl) * 1000)
  for _, i in ipairs(is_known and KNOWN_COUNTS or ALL_COUNTS) do
    local wait = over(k[i], max[i], window_ms)
    if wait then
      return wait
    end
  end
  if not is_known then
    local wait = stranger_turn(now, tonumber(v.strangers))
    if wait > 0 then
      return wait
    end
  end
  for i = 1, 3 do
    count_in(k[i], window_ms)
  end
  return 0
end

local function login_succeeded(keys, args)
  local v = arguments(args, SUCCESS_TAKES)
  local k = login_keys(v.user, v.addr)
  local window_ms = tonumber(v.window) * 1000
  local ttl_ms = tonumber(v.known_ttl) * 1000
  local now = clock_ms()
  redis.call('DEL', k[1])
  for i = 2, 3 do
    if tonumber(redis.call('GET', k[i]) or 0) > 0 then
      redis.call('DECR', k[i])
    end
  end
  count_in(k[4], window_ms)
  count_in(k[5], window_ms)
  -- The address, now known; the oldest past known_max, and any past
  -- its time, forgotten.
  redis.call('ZADD', k[6], now, v.addr)
  redis.call('ZREMRANGEBYSCORE', k[6], '-inf', now - ttl_ms)
  redis.call('ZREMRANGEBYRANK', k[6], 0, -tonumber(v.known_max) - 1)
  redis.call('PEXPIRE', k[6], ttl_ms)
  return 0
end

register('login_attempt', login_attempt, {})
register('login_succeeded', login_succeeded, {})
