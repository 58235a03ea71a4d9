-- wrk script: registry-notification ingestion benchmark for Tugboat.
--
-- Every request POSTs one CNCF distribution notification envelope of 10 events
-- (9 layer pushes + 1 manifest push) to the URL given on the wrk command line
-- (e.g. http://127.0.0.1:PORT/dockerRegistry/event).
--
-- Event ids are unique across the whole run and all wrk threads:
--   bench-<run>-<thread>-<n>-<k>
--   run    = BENCH_RUN (environment) or "r<unix time>", chosen once in setup()
--   thread = 1..threads, given to each thread by setup() via thread:set
--   n      = per-thread request counter (1, 2, ...), k = event index 0..9
-- run ids should be made of [A-Za-z0-9] only: they end up in a SQL LIKE pattern.
--
-- Environment:
--   BENCH_RUN    run id (see above)
--   BENCH_TOKEN  when set, sends Authorization: Bearer <token> (auth.webhookToken)
--
-- done() prints the usual wrk report followed by "BENCH key=value" lines that
-- bench/ingest/run.sh parses.

local EVENTS_PER_REQUEST = 10
local LAYERS_PER_REQUEST = EVENTS_PER_REQUEST - 1

-- ---------------------------------------------------------------- main state
-- setup() and done() run in wrk's main Lua state; each thread has its own state.

local threads = {}
local next_thread = 1
local run_id = nil

function setup(thread)
  if run_id == nil then
    run_id = os.getenv("BENCH_RUN") or ("r" .. os.time())
  end
  thread:set("bench_thread", next_thread)
  thread:set("bench_run", run_id)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

-- ---------------------------------------------------------------- thread state

-- Counters are globals of the thread state so that done() can read them with thread:get.
bench_generated = 0  -- requests generated (handed to wrk for sending) by this thread
bench_ok = 0         -- responses with status 200 (= acknowledged envelopes)
bench_non2xx = 0     -- responses with a status outside 200..299
bench_other2xx = 0   -- 2xx responses other than 200 (not counted as acknowledged)
bench_statuses = ""  -- "status:count ..." for non-200 statuses
local statuses = {}
local n = 0          -- local copy of bench_generated (used for ids)
local prefix = "bench-verify-0-"
local seed = "00000000"
local thread_hex = "0000"
local headers = nil
local ts_second, ts_text = -1, ""

local LAYER_TYPES = {
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/octet-stream",
}
local MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"

-- BENCH_DELAY_MS > 0 (run.sh sets it from BENCH_RATE): each connection waits that long after a response
-- before its next request, so the load is paced below saturation (latency is timed from the send).
local PACE_MS = tonumber(os.getenv("BENCH_DELAY_MS") or "0") or 0
if PACE_MS > 0 then
  function delay()
    return PACE_MS
  end
end
local FILL = string.rep("a", 64)

function init(args)
  -- bench_thread / bench_run were set as globals of this thread's state by setup()
  local t = bench_thread or 0
  local run = bench_run or "verify"
  prefix = "bench-" .. run .. "-" .. t .. "-"
  local s = 0
  for i = 1, #run do s = (s * 31 + run:byte(i)) % 4294967296 end
  seed = string.format("%08x", s)
  thread_hex = string.format("%04x", t % 65536)
  headers = {
    ["Content-Type"] = "application/vnd.docker.distribution.events.v1+json",
    ["Accept"] = "application/json",
  }
  local token = os.getenv("BENCH_TOKEN")
  if token ~= nil and token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

local function timestamp()
  local now = os.time()
  if now ~= ts_second then
    ts_second = now
    ts_text = os.date("!%Y-%m-%dT%H:%M:%S", now)
  end
  return ts_text .. string.format(".%09dZ", (n * 7919) % 1000000000)
end

-- 64 hex digits, unique per (run, thread, request, event)
local function digest(k)
  local head = seed .. thread_hex .. string.format("%012x%04x", n, k)
  return "sha256:" .. head .. FILL:sub(1, 64 - #head)
end

local function uuid(a, b)
  return string.format("%08x-%04x-4%03x-8%03x-%012x", a % 4294967296, b % 65536,
    (a * 13) % 4096, (b * 17) % 4096, (a * 1000003 + b) % 281474976710656)
end

local function event(k, ts, repo, tag)
  local id = prefix .. n .. "-" .. k
  local d = digest(k)
  local media, size, url, tag_json
  if k < LAYERS_PER_REQUEST then
    media = LAYER_TYPES[(k % 2) + 1]
    size = 1024 + ((n * 131 + k * 977) % 30000000)
    url = "http://127.0.0.1:5000/v2/" .. repo .. "/blobs/" .. d
    tag_json = ""
  else
    media = MANIFEST_TYPE
    size = 400 + (n % 1600)
    url = "http://127.0.0.1:5000/v2/" .. repo .. "/manifests/" .. d
    tag_json = ',"tag":"' .. tag .. '"'
  end
  return '{"id":"' .. id .. '","timestamp":"' .. ts .. '","action":"push",'
    .. '"target":{"mediaType":"' .. media .. '","size":' .. size .. ',"digest":"' .. d
    .. '","length":' .. size .. ',"repository":"' .. repo .. '","url":"' .. url .. '"' .. tag_json .. '},'
    .. '"request":{"id":"' .. uuid(n, k) .. '","addr":"127.0.0.1:' .. (30000 + (n % 30000))
    .. '","host":"127.0.0.1:5000","method":"PUT","useragent":"docker/20.10.24 go/go1.20"},'
    .. '"actor":{},'
    .. '"source":{"addr":"bench-registry:5000","instanceID":"' .. uuid(bench_thread or 0, 0) .. '"}}'
end

function request()
  n = n + 1
  bench_generated = n
  if headers == nil then init({}) end -- main-state verification call before init
  local ts = timestamp()
  local repo = "bench/app-" .. (n % 16)
  local tag = "v1." .. (bench_thread or 0) .. "." .. n
  local parts = {}
  for k = 0, EVENTS_PER_REQUEST - 1 do
    parts[k + 1] = event(k, ts, repo, tag)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", nil, headers, body)
end

function response(status, hdrs, body)
  if status == 200 then
    bench_ok = bench_ok + 1
    return
  end
  if status >= 200 and status < 300 then
    bench_other2xx = bench_other2xx + 1
  else
    bench_non2xx = bench_non2xx + 1
  end
  statuses[status] = (statuses[status] or 0) + 1
  local parts = {}
  for code, count in pairs(statuses) do parts[#parts + 1] = code .. ":" .. count end
  bench_statuses = table.concat(parts, " ")
end

-- ---------------------------------------------------------------- report (main state)

function done(summary, latency, requests)
  local generated, acked, bad, other = 0, 0, 0, 0
  local per_thread = {}
  local statuses_all = {}
  for i, t in ipairs(threads) do
    -- counters are plain globals of each thread's Lua state
    local tg = t:get("bench_generated") or 0
    local ta = t:get("bench_ok") or 0
    local tb = t:get("bench_non2xx") or 0
    local to = t:get("bench_other2xx") or 0
    generated = generated + tg
    acked = acked + ta
    bad = bad + tb
    other = other + to
    per_thread[#per_thread + 1] = string.format("t%d:%d/%d", i, ta, tg)
    local ts = t:get("bench_statuses") or ""
    if ts ~= "" then statuses_all[#statuses_all + 1] = "t" .. i .. "[" .. ts .. "]" end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local function ms(us) return us / 1000.0 end
  io.write("\n")
  io.write(string.format("BENCH run=%s\n", run_id or "?"))
  io.write(string.format("BENCH duration_s=%.3f\n", seconds))
  io.write(string.format("BENCH requests=%d\n", summary.requests))
  io.write(string.format("BENCH requests_generated=%d\n", generated))
  io.write(string.format("BENCH responses_200=%d\n", acked))
  io.write(string.format("BENCH responses_other_2xx=%d\n", other))
  io.write(string.format("BENCH non2xx=%d\n", bad))
  io.write(string.format("BENCH socket_errors=connect:%d,read:%d,write:%d,timeout:%d\n",
    e.connect, e.read, e.write, e.timeout))
  io.write(string.format("BENCH events_per_request=%d\n", EVENTS_PER_REQUEST))
  io.write(string.format("BENCH events_sent=%d\n", acked * EVENTS_PER_REQUEST))
  io.write(string.format("BENCH events_generated=%d\n", generated * EVENTS_PER_REQUEST))
  io.write(string.format("BENCH latency_p50_ms=%.3f\n", ms(latency:percentile(50))))
  io.write(string.format("BENCH latency_p90_ms=%.3f\n", ms(latency:percentile(90))))
  io.write(string.format("BENCH latency_p99_ms=%.3f\n", ms(latency:percentile(99))))
  io.write(string.format("BENCH latency_max_ms=%.3f\n", ms(latency.max)))
  io.write(string.format("BENCH requests_per_s=%.1f\n", seconds > 0 and summary.requests / seconds or 0))
  io.write(string.format("BENCH events_per_s=%.1f\n",
    seconds > 0 and acked * EVENTS_PER_REQUEST / seconds or 0))
  io.write(string.format("BENCH per_thread_ok_over_generated=%s\n", table.concat(per_thread, ",")))
  io.write(string.format("BENCH non200_statuses=%s\n", #statuses_all > 0 and table.concat(statuses_all, ",") or "none"))
end
