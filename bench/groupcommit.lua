-- bench/groupcommit.sh's wrk script: bench/request.lua's requests, each
-- with an Idempotency-Key of its own, as a client that retries safely
-- sends them (the Function then keeps every answer, as it would).
dofile(os.getenv("ROOT") .. "/bench/request.lua")

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local n, prefix = 0, nil
function request()
  if prefix == nil then
    prefix = string.format("%d-%d-", os.time(), tid or 0)
  end
  n = n + 1
  wrk.headers["Idempotency-Key"] = prefix .. n
  return wrk.format()
end
