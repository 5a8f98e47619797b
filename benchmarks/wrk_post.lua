-- wrk script for bench_service.py: POST /v1/decisions with each body of a file in turn (one
-- JSON record a line); each wrk thread stops after LIMIT responses (or at wrk's -d duration).
--   wrk -t1 -c8 -d5s -s benchmarks/wrk_post.lua http://127.0.0.1:PORT -- BODIES TOKEN LIMIT
-- done() prints one line "RESULT {json}": responses, errors, the seconds from the first request
-- to the last response (wrk's own duration is always -d), latency percentiles in microseconds.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local requests = {}
local next_request = 0
local limit = 0
-- Per thread, read by done() through thread:get, so global.
started, finished, responses = 0, 0, 0

local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  limit = tonumber(args[3] or "0")
  local headers = {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. args[2],
  }
  for line in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("POST", "/v1/decisions", headers, line)
  end
end

function request()
  if started == 0 then
    started = now()
  end
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function response(status, headers, body)
  responses = responses + 1
  finished = now()
  if limit > 0 and responses >= limit then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local first, last, count = math.huge, 0, 0
  for _, thread in ipairs(threads) do
    first = math.min(first, thread:get("started"))
    last = math.max(last, thread:get("finished"))
    count = count + thread:get("responses")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"responses": %d, "socket_errors": %d, "non_2xx": %d, "seconds": %.6f, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    count, e.connect + e.read + e.write + e.timeout, e.status, last - first,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
