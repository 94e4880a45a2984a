-- wrk script: POST pre-signed Twilio-style form bodies (lines "signature\tbody").
-- Adapted from the baseline's webhook.lua (shared/bench/baseline): same disjoint slices per
-- thread, but
--   * the path comes from WEBHOOK_PATH (each side is signed for its own URL and path);
--   * a thread that reaches the end of its slice stops instead of wrapping around, so no
--     MessageSid is ever sent twice (a wrap would turn INSERTs into duplicate look-ups);
--   * wrk (4.x) calls request() once in thread 0 before the run, only to check the request
--     parses (script_verify_request); that call gets a line reserved for it, never sent, so
--     `idx` counts exactly the requests put on the wire;
--   * done() prints one machine-readable line, "BENCH_JSON {...}", for bench/ingest.py.
-- env: REQS=<file.tsv>, NTHREADS (must equal wrk -t), WEBHOOK_PATH.
local threads = {}
local reqs = {}
n = 0          -- requests in this thread's slice (globals: read back in done())
idx = 0        -- requests handed to wrk so far
exhausted = 0  -- 1 when the slice ran out before the run ended

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("REQS") or "reqs.tsv"
  local nthreads = tonumber(os.getenv("NTHREADS") or "2")
  local target = os.getenv("WEBHOOK_PATH") or "/webhook/whatsapp"
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local sig, body = line:match("^([^\t]+)\t(.*)$")
      n = n + 1
      reqs[n] = wrk.format("POST", target, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = sig,
      }, body)
    end
    i = i + 1
  end
  if tid == 0 then
    verify = reqs[n]  -- the last line of the slice: wrk's check gets it, the server never does
    reqs[n] = nil
    n = n - 1
  end
end

function request()
  if verify then
    local checked = verify
    verify = nil
    return checked
  end
  if idx >= n then
    -- out of fresh MessageSids: send nothing more from this thread
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    return ""
  end
  idx = idx + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    table.insert(parts, string.format('{"tid":%d,"issued":%d,"slice":%d,"exhausted":%d}',
      t:get("tid"), t:get("idx"), t:get("n"), t:get("exhausted")))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},"threads":[%s]}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0),
    latency.max, latency.mean, table.concat(parts, ",")))
end
