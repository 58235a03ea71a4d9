-- wrk script for bench-admission: POST /imagepolicy ImageReviews of two containers each, read from BENCH_REVIEWS
-- ("<image> <image> allow|deny" per line; run.sh checks every decision separately, since wrk does not say which
-- request an answer belongs to); or, with BENCH_MODE=live, GET /health/live through the same script (the
-- machine's ceiling, at the same client cost). BENCH_DELAY_MS > 0 paces each connection (wrk's delay()).
-- done() prints "BENCH key=value" lines for run.sh.
local threads = {}
local next_thread = 1

function setup(thread)
  thread:set("bench_thread", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

bench_allowed = 0   -- 200 answers allowing the review
bench_refused = 0   -- 200 answers refusing it
bench_non200 = 0
local requests = {}
local n = 0
local live = os.getenv("BENCH_MODE") == "live"

local PACE_MS = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0
if PACE_MS > 0 then
  function delay()
    return PACE_MS
  end
end

function init(args)
  local headers = {["Content-Type"] = "application/json"}
  if live then
    requests[1] = wrk.format("GET", "/health/live")
    return
  end
  for line in io.lines(os.getenv("BENCH_REVIEWS")) do
    local a, b = line:match("^(%S+) (%S+) %S+$")
    local body = '{"apiVersion":"imagepolicy.k8s.io/v1alpha1","kind":"ImageReview","spec":{"containers":'
      .. '[{"image":"' .. a .. '"},{"image":"' .. b .. '"}],"namespace":"default"}}'
    requests[#requests + 1] = wrk.format("POST", "/imagepolicy", headers, body)
  end
  n = ((bench_thread or 1) * 997) % #requests -- threads start at different reviews
end

function request()
  n = n % #requests + 1
  return requests[n]
end

function response(status, headers, body)
  if status ~= 200 then
    bench_non200 = bench_non200 + 1
  elseif live or body:find('"allowed":true', 1, true) then
    bench_allowed = bench_allowed + 1
  else
    bench_refused = bench_refused + 1
  end
end

function done(summary, latency, requests)
  local allowed, refused, non200 = 0, 0, 0
  for _, t in ipairs(threads) do
    allowed = allowed + (t:get("bench_allowed") or 0)
    refused = refused + (t:get("bench_refused") or 0)
    non200 = non200 + (t:get("bench_non200") or 0)
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("BENCH requests_per_s=%.1f\n", summary.requests / seconds))
  io.write(string.format("BENCH requests=%d\nBENCH allowed=%d\nBENCH refused=%d\nBENCH non200=%d\n",
    summary.requests, allowed, refused, non200))
  io.write(string.format("BENCH socket_errors=%d\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({50, 90, 99}) do
    io.write(string.format("BENCH latency_p%d_ms=%.3f\n", p, latency:percentile(p) / 1000.0))
  end
  io.write(string.format("BENCH latency_max_ms=%.3f\n", latency.max / 1000.0))
end
