#!lua name=events
--
-- The command side, as one Redis Function library.  Each command checks
-- the command-side state kept in Redis, allocates an id and appends the
-- event, all in one atomic step: a client sees an event id if and only
-- if the event is in the stream, and two commands never interleave (a
-- second DELETE of the same thing finds it gone).  KEYS[1] is the stream.
--
-- Order inside each command: every check first, then INCR, then XADD,
-- then the state the next command checks.  Redis does not roll a function
-- back; if XADD fails, all that is left behind is an unused id.
--
-- Keys (all derived from the stream, so they could be rebuilt from it):
--   seq:<kind>                 last id given out, per kind
--   user:<name>                {password_hash}  (made by setup, not events)
--   account:<id>               {owned_by, name, customers}
--   customer:<id>              {account_id, name, created_date}
--   customer:<id>:invoices     sorted set of the customer's invoice ids
--   invoice:<id>               {customer_id, purchase_date, cents, created_date}
--
-- Error replies start with a word the services map to a status:
-- INVALID 400, UNAUTHORIZED 401, FORBIDDEN 403, NOTFOUND 404, CONFLICT 409.
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

local function is_cents(s)
  return type(s) == 'string' and #s <= 16
    and (s == '0' or string.match(s, '^[1-9]%d*$') ~= nil)
end

-- Raised, caught by answering() below and returned as an error reply.
local function fail(word, text)
  error({ refusal = word .. ' ' .. text })
end

local function check(ok, what)
  if not ok then
    fail('INVALID', what)
  end
end

-- A token outlives nothing: its user must still exist.
local function check_caller(owner)
  if redis.call('EXISTS', 'user:' .. owner) == 0 then
    fail('UNAUTHORIZED', 'user no longer exists')
  end
end

-- The account's owner, after checking that the caller may touch it.
local function own_account(owner, account_id, what)
  local account_owner = redis.call('HGET', 'account:' .. account_id, 'owned_by')
  if not account_owner then
    fail('NOTFOUND', what .. ' does not exist')
  end
  if account_owner ~= owner then
    fail('FORBIDDEN', what .. ' belongs to another user')
  end
end

-- The customer's account id, after checking that the caller owns it.
local function own_customer(owner, customer_id)
  local account_id = redis.call('HGET', 'customer:' .. customer_id, 'account_id')
  if not account_id then
    fail('NOTFOUND', 'customer ' .. customer_id .. ' does not exist')
  end
  own_account(owner, account_id, 'customer ' .. customer_id)
  return account_id
end

-- The invoice's fields, after checking that the caller owns it.
local function own_invoice(owner, invoice_id)
  local f = redis.call('HMGET', 'invoice:' .. invoice_id,
    'customer_id', 'purchase_date', 'cents', 'created_date')
  if not f[1] then
    fail('NOTFOUND', 'invoice ' .. invoice_id .. ' does not exist')
  end
  local account_id = redis.call('HGET', 'customer:' .. f[1], 'account_id')
  if not account_id then
    fail('NOTFOUND', 'invoice ' .. invoice_id .. ' does not exist')
  end
  own_account(owner, account_id, 'invoice ' .. invoice_id)
  return f
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
  redis.call('HSET', 'account:' .. id, 'owned_by', owner, 'name', name,
    'customers', 0)
  return { id, event_id }
end

-- args: owner, name, description, created_date
local function account_create(keys, args)
  check(#args == 4, 'account_create takes 4 arguments')
  check_caller(args[1])
  return new_account(keys[1], args[1], args[2], args[3], args[4])
end

-- args: owner, account_id
local function account_delete(keys, args)
  check(#args == 2 and is_id(args[2]), 'account_delete arguments')
  local owner, id = args[1], args[2]
  check_caller(owner)
  own_account(owner, id, 'account ' .. id)
  if tonumber(redis.call('HGET', 'account:' .. id, 'customers') or 0) > 0 then
    fail('CONFLICT', 'account ' .. id .. ' still has customers')
  end
  local event_id = append(keys[1], 'AccountDeleted',
    '{"id":' .. json_str(id) .. '}')
  redis.call('DEL', 'account:' .. id)
  return event_id
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
  check_caller(owner)
  own_account(owner, account_id, 'account ' .. account_id)
  local id = next_id('customer')
  local payload = '{"id":' .. json_str(id) ..
    ',"account_id":' .. json_str(account_id) ..
    ',"name":' .. json_str(name) ..
    ',"created_date":' .. json_str(created) .. '}'
  local event_id = append(keys[1], 'CustomerCreated', payload)
  redis.call('HSET', 'customer:' .. id, 'account_id', account_id,
    'name', name, 'created_date', created)
  redis.call('HINCRBY', 'account:' .. account_id, 'customers', 1)
  return { id, event_id }
end

-- args: owner, customer_id.  The invoices go with the customer: the
-- projection drops the customer with its revenue, so no InvoiceDeleted.
local function customer_delete(keys, args)
  check(#args == 2 and is_id(args[2]), 'customer_delete arguments')
  local owner, id = args[1], args[2]
  check_caller(owner)
  local account_id = own_customer(owner, id)
  local event_id = append(keys[1], 'CustomerDeleted',
    '{"id":' .. json_str(id) .. ',"account_id":' .. json_str(account_id) .. '}')
  local invoices = 'customer:' .. id .. ':invoices'
  for _, invoice_id in ipairs(redis.call('ZRANGE', invoices, 0, -1)) do
    redis.call('DEL', 'invoice:' .. invoice_id)
  end
  redis.call('DEL', invoices, 'customer:' .. id)
  redis.call('HINCRBY', 'account:' .. account_id, 'customers', -1)
  return event_id
end

-- args: owner, customer_id, purchase_price_cents, purchase_date, created_date
local function invoice_create(keys, args)
  check(#args == 5 and is_id(args[2]), 'invoice_create arguments')
  check(is_cents(args[3]), 'purchase_price_cents')
  check(string.match(args[4], '^%d%d%d%d%-%d%d%-%d%d$') ~= nil,
    'purchase_date')
  local owner, customer_id, cents, date, created =
    args[1], args[2], args[3], args[4], args[5]
  check_caller(owner)
  own_customer(owner, customer_id)
  local id = next_id('invoice')
  local payload = '{"id":' .. json_str(id) ..
    ',"customer_id":' .. json_str(customer_id) ..
    ',"purchase_price_cents":' .. cents ..
    ',"created_date":' .. json_str(created) ..
    ',"purchase_date":' .. json_str(date) .. '}'
  local event_id = append(keys[1], 'InvoiceCreated', payload)
  redis.call('HSET', 'invoice:' .. id, 'customer_id', customer_id,
    'purchase_date', date, 'cents', cents, 'created_date', created)
  redis.call('ZADD', 'customer:' .. customer_id .. ':invoices', id, id)
  return { id, event_id }
end

-- args: owner, invoice_id
local function invoice_delete(keys, args)
  check(#args == 2 and is_id(args[2]), 'invoice_delete arguments')
  local owner, id = args[1], args[2]
  check_caller(owner)
  local f = own_invoice(owner, id)
  local event_id = append(keys[1], 'InvoiceDeleted',
    '{"id":' .. json_str(id) ..
    ',"customer_id":' .. json_str(f[1]) ..
    ',"purchase_price_cents":' .. f[3] .. '}')
  redis.call('DEL', 'invoice:' .. id)
  redis.call('ZREM', 'customer:' .. f[1] .. ':invoices', id)
  return event_id
end

-- Reads, for the customers service: the same checks, no writes.

-- args: owner, customer_id -> {id, account_id, name, created_date}
local function customer_get(keys, args)
  check(#args == 2 and is_id(args[2]), 'customer_get arguments')
  local owner, id = args[1], args[2]
  check_caller(owner)
  local account_id = own_customer(owner, id)
  local f = redis.call('HMGET', 'customer:' .. id, 'name', 'created_date')
  return { id, account_id, f[1], f[2] or '' }
end

local function invoice_fields(id, f)
  return { id, f[1], f[2], f[3], f[4] }
end

-- args: owner, invoice_id
--   -> {id, customer_id, purchase_date, purchase_price_cents, created_date}
local function invoice_get(keys, args)
  check(#args == 2 and is_id(args[2]), 'invoice_get arguments')
  check_caller(args[1])
  return invoice_fields(args[2], own_invoice(args[1], args[2]))
end

-- args: owner, customer_id -> the customer's invoices as invoice_get, by id
local function customer_invoices(keys, args)
  check(#args == 2 and is_id(args[2]), 'customer_invoices arguments')
  local owner, id = args[1], args[2]
  check_caller(owner)
  own_customer(owner, id)
  local out = {}
  for _, invoice_id in ipairs(redis.call('ZRANGE', 'customer:' .. id .. ':invoices', 0, -1)) do
    local f = redis.call('HMGET', 'invoice:' .. invoice_id,
      'customer_id', 'purchase_date', 'cents', 'created_date')
    table.insert(out, invoice_fields(invoice_id, f))
  end
  return out
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

redis.register_function('account_create', answering(account_create))
redis.register_function('account_delete', answering(account_delete))
redis.register_function('accounts_seed', answering(accounts_seed))
redis.register_function('customer_create', answering(customer_create))
redis.register_function('customer_delete', answering(customer_delete))
redis.register_function('invoice_create', answering(invoice_create))
redis.register_function('invoice_delete', answering(invoice_delete))
-- Reads are marked no-writes, so that they run on a replica too.
redis.register_function{ function_name = 'customer_get',
  callback = answering(customer_get), flags = { 'no-writes' } }
redis.register_function{ function_name = 'invoice_get',
  callback = answering(invoice_get), flags = { 'no-writes' } }
redis.register_function{ function_name = 'customer_invoices',
  callback = answering(customer_invoices), flags = { 'no-writes' } }
