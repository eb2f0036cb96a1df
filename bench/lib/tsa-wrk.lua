-- wrk script for bench/tsa.ts: POSTs the time-stamp queries q1.tsq … qN.tsq of a directory in turn, counts
-- the replies that are granted (TimeStampResp starting SEQUENCE{ PKIStatusInfo{ INTEGER 0 } }), and prints one
-- JSON line. Usage: wrk … -s tsa-wrk.lua <url> -- <dir> <N> <path>
local bodies = {}
local path = "/tsp"
local next_body = 0
granted = 0
refused = 0

function init(args)
  local dir, n = args[1], tonumber(args[2])
  path = args[3] or path
  for k = 1, n do
    local f = assert(io.open(dir .. "/q" .. k .. ".tsq", "rb"))
    bodies[k] = f:read("*a")
    f:close()
  end
  next_body = math.random(n) - 1
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", path, { ["Content-Type"] = "application/timestamp-query" }, bodies[next_body])
end

-- The reply is 30 82 LL LL (a token is 256 bytes to 64 KiB long) then 30 03 02 01 00 for "granted".
function response(status, headers, body)
  if status == 200 and string.sub(body, 5, 9) == "\48\3\2\1\0" then
    granted = granted + 1
  else
    refused = refused + 1
  end
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local g, r = 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("granted")
    r = r + t:get("refused")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"durationUs":%d,"granted":%d,"refused":%d,"p50Us":%d,"p99Us":%d,"socketErrors":%d}\n',
    summary.requests, summary.duration, g, r, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout))
end
