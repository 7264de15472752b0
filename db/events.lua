#!lua name=events
--
-- The command side, as one Redis Function library.  Each function checks
-- the command-side state kept in Redis, allocates an id and appends the
-- event, all in one atomic step: a client sees an event id if and only
-- if the event is in the stream.  KEYS[1] is the stream.
--
-- Order inside each function: every check first, then INCR, then XADD,
-- then the state the next command checks.  Redis does not roll a function
-- back; if XADD fails, all that is left behind is an unused id.
--
-- Keys: seq:<kind> (last id), account:<id> {owned_by,name},
-- customer:<id> {account_id,name}.
--
-- Payloads are concatenated here rather than built from a Lua table,
-- because cjson orders table keys at random and prints numbers with 14
-- significant digits; every string value still goes through
-- cjson.encode, and numbers arrive as validated decimal strings.

local function json_str(s)
  return cjson.encode(s)
end

local function is_id(s)
  return type(s) == 'string' and string.match(s, '^[1-9]%d*$') ~= nil
    and #s <= 19
end

local function check(ok, what)
  if not ok then
    error(redis.error_reply('INVALID ' .. what))
  end
end

local function next_id(kind)
  return string.format('%d', redis.call('INCR', 'seq:' .. kind))
end

local function append(stream, event_type, payload)
  return redis.call('XADD', stream, '*',
    'EventTypeName', event_type, 'Payload', payload)
end

local function new_account(stream, owner, name, description, created)
  local id = next_id('account')
  local payload = '{"id":' .. json_str(id) ..
    ',"name":' .. json_str(name) ..
    ',"description":' .. json_str(description) ..
    ',"owned_by":' .. json_str(owner) ..
    ',"created_date":' .. json_str(created) .. '}'
  local event_id = append(stream, 'AccountCreated', payload)
  redis.call('HSET', 'account:' .. id, 'owned_by', owner, 'name', name)
  return { id, event_id }
end

-- args: owner, name, description, created_date
local function account_create(keys, args)
  check(#args == 4, 'account_create takes 4 arguments')
  return new_account(keys[1], args[1], args[2], args[3], args[4])
end

-- args: created_date, then (owner, name, description) per account.
-- Creates them only if no account was ever created: safe to call at
-- every start, and from two starts at once.
local function accounts_seed(keys, args)
  check(#args >= 1 and (#args - 1) % 3 == 0, 'accounts_seed arguments')
  if redis.call('EXISTS', 'seq:account') == 1 then
    return {}
  end
  local made = {}
  for i = 2, #args, 3 do
    local r = new_account(keys[1], args[i], args[i + 1], args[i + 2], args[1])
    table.insert(made, r[1])
  end
  return made
end

-- args: owner, account_id, name, created_date
local function customer_create(keys, args)
  check(#args == 4 and is_id(args[2]), 'customer_create arguments')
  local owner, account_id, name, created = args[1], args[2], args[3], args[4]
  local account_owner = redis.call('HGET', 'account:' .. account_id, 'owned_by')
  if not account_owner then
    return redis.error_reply('NOTFOUND account ' .. account_id .. ' does not exist')
  end
  if account_owner ~= owner then
    return redis.error_reply('FORBIDDEN account ' .. account_id .. ' is not yours')
  end
  local id = next_id('customer')
  local payload = '{"id":' .. json_str(id) ..
    ',"account_id":' .. json_str(account_id) ..
    ',"name":' .. json_str(name) ..
    ',"created_date":' .. json_str(created) .. '}'
  local event_id = append(keys[1], 'CustomerCreated', payload)
  redis.call('HSET', 'customer:' .. id, 'account_id', account_id, 'name', name)
  return { id, event_id }
end

-- args: owner, customer_id, purchase_price_cents, purchase_date, created_date
local function invoice_create(keys, args)
  check(#args == 5 and is_id(args[2]), 'invoice_create arguments')
  check((args[3] == '0' or string.match(args[3], '^[1-9]%d*$') ~= nil)
    and #args[3] <= 16, 'purchase_price_cents')
  check(string.match(args[4], '^%d%d%d%d%-%d%d%-%d%d$') ~= nil,
    'purchase_date')
  local owner, customer_id, cents, date, created =
    args[1], args[2], args[3], args[4], args[5]
  local account_id = redis.call('HGET', 'customer:' .. customer_id, 'account_id')
  if not account_id then
    return redis.error_reply('NOTFOUND customer ' .. customer_id .. ' does not exist')
  end
  if redis.call('HGET', 'account:' .. account_id, 'owned_by') ~= owner then
    return redis.error_reply('FORBIDDEN customer ' .. customer_id .. ' is not yours')
  end
  local id = next_id('invoice')
  local payload = '{"id":' .. json_str(id) ..
    ',"customer_id":' .. json_str(customer_id) ..
    ',"purchase_price_cents":' .. cents ..
    ',"created_date":' .. json_str(created) ..
    ',"purchase_date":' .. json_str(date) .. '}'
  local event_id = append(keys[1], 'InvoiceCreated', payload)
  return { id, event_id }
end

redis.register_function('account_create', account_create)
redis.register_function('accounts_seed', accounts_seed)
redis.register_function('customer_create', customer_create)
redis.register_function('invoice_create', invoice_create)
