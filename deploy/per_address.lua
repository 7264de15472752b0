-- lighttpd mod_magnet: no client address holds more than PER_ADDRESS_MAX
-- connections with requests in them (default 128); past that its next
-- request gets 429 with Retry-After, and the others are served as usual.
-- lighttpd 1.4.68 dropped mod_evasive for this (its NEWS names the Lua
-- way); every connection of the address counts, idle ones too.  Idle
-- connections themselves are closed by lighttpd's idle timeouts
-- (lighttpd.conf).
local max = tonumber(os.getenv('PER_ADDRESS_MAX') or '') or 128
local r = lighty.r
local addr = r.req_attr['request.remote-addr']
local n = 0
for other in lighty.server.irequests() do
  if other.req_attr['request.remote-addr'] == addr then
    n = n + 1
    if n > max then
      r.resp_header['Retry-After'] = '1'
      r.resp_header['Content-Type'] = 'application/json'
      r.resp_body.set({ '{"error":"too many connections from this address"}\n' })
      return 429
    end
  end
end
return 0
