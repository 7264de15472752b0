-- lighttpd mod_magnet, before every request: one client address may
-- hold at most PER_ADDRESS_MAX connections (default 128), and have at
-- most PER_ADDRESS_BUSY requests to the services in work at once
-- (default 1); past either, its request gets 429 with Retry-After, and
-- the other addresses are served as usual.  lighttpd 1.4.68 dropped
-- mod_evasive for this (its NEWS names the Lua way).
--
-- Connections: every connection of the address counts, idle ones too;
-- lighttpd's idle timeouts close those (lighttpd-common.conf).
--
-- Requests in work: all but connections waiting for a request, and but
-- the dashboard's files, which a browser asks for at once and lighttpd
-- serves itself.  On 2 cores, one address with 2 pages of 1,000
-- invoices in work took both: others' median went from 0.6 to 2.2 ms
-- (tests/abuse.bats, ASan build); with 1, one core stays theirs.  A
-- request past the bound costs lighttpd this loop, not a process.
-- Clients behind one address (a NAT, a proxy) share the bound: raise it
-- for them.
--
-- The dashboard's writes, which lighttpd.conf sends from the accounts
-- port back to this server's customers port, carry HOP_KEY in
-- X-Microsvc-Hop: they come from the server's own address, and their
-- client's request on the accounts port is counted for as long as they
-- last, so they are not counted again.  The key is random per start, and
-- only the service user can read it; without it (deploy/ has no such
-- hop) no request is one.
local max = tonumber(os.getenv('PER_ADDRESS_MAX') or '') or 128
local busy_max = tonumber(os.getenv('PER_ADDRESS_BUSY') or '') or 1
local waiting = { ['connect'] = true, ['req-start'] = true, ['read'] = true,
  ['keep-alive'] = true }
local files = { ['/'] = true, ['/index.html'] = true, ['/app.js'] = true,
  ['/app.css'] = true }

local hop_key = os.getenv('HOP_KEY') or ''
local function hop(req)
  return hop_key ~= '' and req.req_header['X-Microsvc-Hop'] == hop_key
end

local r = lighty.r
if hop(r) then
  return 0
end
local addr = r.req_attr['request.remote-addr']
local mine = not files[r.req_attr['uri.path-raw']]
local n, busy = 0, 0

local function refuse(why)
  r.resp_header['Retry-After'] = '1'
  r.resp_header['Content-Type'] = 'application/json'
  r.resp_body.set({ '{"error":"' .. why .. '"}\n' })
  return 429
end

for other in lighty.server.irequests() do
  if other.req_attr['request.remote-addr'] == addr and not hop(other) then
    n = n + 1
    if n > max then
      return refuse('too many connections from this address')
    end
    if mine and not waiting[other.req_attr['request.stage']] and
        not files[other.req_attr['uri.path-raw']] then
      busy = busy + 1
      if busy > busy_max then
        return refuse('too many requests at once from this address')
      end
    end
  end
end
return 0
