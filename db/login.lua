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
-- costs a core for a quarter second, and a valid password must not buy
-- unlimited turns of it either.
--
--   FCALL login_attempt 1 <stream> user <name> addr <address>
--         window <seconds> max_pair <n> max_user <n> max_addr <n>
--         max_ok_user <n> max_ok_addr <n>
--   -> 0: go on (counted); n > 0: wait n seconds (not counted)
--   FCALL login_succeeded 1 <stream> user <name> addr <address>
--         window <seconds>

function KIND.addr(s)
  return #s >= 1 and #s <= 64 and s:find('[^%x.:]') == nil
end

local ATTEMPT_TAKES = { kinds = { user = 'text', addr = 'addr',
  window = 'count', max_pair = 'count', max_user = 'count',
  max_addr = 'count', max_ok_user = 'count', max_ok_addr = 'count' },
  required = { 'user', 'addr', 'window', 'max_pair', 'max_user', 'max_addr',
  'max_ok_user', 'max_ok_addr' }, callers = {} }
local SUCCESS_TAKES = { kinds = { user = 'text', addr = 'addr',
  window = 'count' }, required = { 'user', 'addr', 'window' }, callers = {} }

-- The counts' keys: attempts (pair, user, address), then successes (user,
-- address).  The name's length comes first, so that no name and address
-- can spell another pair's key.
local function login_keys(user, addr)
  return { 'login:pair:' .. #user .. ':' .. user .. ':' .. addr,
    'login:user:' .. user, 'login:addr:' .. addr,
    'login:ok:user:' .. user, 'login:ok:addr:' .. addr }
end

-- Counts one in key, starting its window if it is new.
local function count_in(key, window_ms)
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, window_ms)
  end
end

local function login_attempt(keys, args)
  local v = arguments(args, ATTEMPT_TAKES)
  local k = login_keys(v.user, v.addr)
  local max = { tonumber(v.max_pair), tonumber(v.max_user),
    tonumber(v.max_addr), tonumber(v.max_ok_user), tonumber(v.max_ok_addr) }
  local window_ms = tonumber(v.window) * 1000
  for i = 1, 5 do
    if tonumber(redis.call('GET', k[i]) or 0) >= max[i] then
      local ttl = redis.call('PTTL', k[i])
      if ttl < 0 then
        -- A count without a window: never made here, but never eternal.
        redis.call('PEXPIRE', k[i], window_ms)
        ttl = window_ms
      end
      return math.ceil(ttl / 1000)
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
  redis.call('DEL', k[1])
  for i = 2, 3 do
    if tonumber(redis.call('GET', k[i]) or 0) > 0 then
      redis.call('DECR', k[i])
    end
  end
  count_in(k[4], window_ms)
  count_in(k[5], window_ms)
  return 0
end

register('login_attempt', login_attempt, {})
register('login_succeeded', login_succeeded, {})
