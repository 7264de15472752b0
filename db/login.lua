--
-- Login throttling, part of the same library as the commands (the build
-- puts this after db/events.lua).  Each call checks and counts in one
-- atomic step: parallel guesses cannot slip between a check and its
-- count, and a count never lacks its window (INCR and PEXPIRE together).
--
-- An attempt is counted before its password is checked, so no more
-- passwords are checked than the limits allow, however many guesses
-- arrive at once; a success takes its own attempt back.  Three counts
-- per window: one user from one address (the lowest limit), one user
-- from anywhere (higher, so that a stranger's guesses from one address
-- do not lock the user out everywhere), and one address for any user.
--
--   FCALL login_attempt 1 <stream> user <name> addr <address>
--         window <seconds> max_pair <n> max_user <n> max_addr <n>
--   -> 0: go on (counted); n > 0: wait n seconds (not counted)
--   FCALL login_succeeded 1 <stream> user <name> addr <address>

function KIND.addr(s)
  return #s >= 1 and #s <= 64 and s:find('[^%x.:]') == nil
end

function KIND.count(s)
  return #s <= 9 and s:match('^[1-9]%d*$') ~= nil
end

local ATTEMPT_TAKES = { kinds = { user = 'text', addr = 'addr',
  window = 'count', max_pair = 'count', max_user = 'count',
  max_addr = 'count' }, count = 6, callers = {} }
local SUCCESS_TAKES = { kinds = { user = 'text', addr = 'addr' }, count = 2,
  callers = {} }

-- The three counts' keys.  The name's length comes first, so that no
-- name and address can spell another pair's key.
local function login_keys(user, addr)
  return { 'login:pair:' .. #user .. ':' .. user .. ':' .. addr,
    'login:user:' .. user, 'login:addr:' .. addr }
end

local function login_attempt(keys, args)
  local v = arguments(args, ATTEMPT_TAKES)
  local k = login_keys(v.user, v.addr)
  local max = { tonumber(v.max_pair), tonumber(v.max_user),
    tonumber(v.max_addr) }
  local window_ms = tonumber(v.window) * 1000
  for i = 1, 3 do
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
    if redis.call('INCR', k[i]) == 1 then
      redis.call('PEXPIRE', k[i], window_ms)
    end
  end
  return 0
end

local function login_succeeded(keys, args)
  local v = arguments(args, SUCCESS_TAKES)
  local k = login_keys(v.user, v.addr)
  redis.call('DEL', k[1])
  for i = 2, 3 do
    if tonumber(redis.call('GET', k[i]) or 0) > 0 then
      redis.call('DECR', k[i])
    end
  end
  return 0
end

register('login_attempt', login_attempt, {})
register('login_succeeded', login_succeeded, {})
