-- wrk script for benches/load.sh: POST a model to /api/assess with a bearer token.
--   TIA_API_TOKEN  the token the server was started with (required)
--   TIA_LOAD_MODEL the model file (default examples/stockholm-m365.yaml)
-- Prints one machine-readable line at the end: `LOAD rps=… p50_ms=… … errors=…`.

local token = os.getenv("TIA_API_TOKEN")
if token == nil or token == "" then
  error("set TIA_API_TOKEN to the server's API token")
end
local path = os.getenv("TIA_LOAD_MODEL") or "examples/stockholm-m365.yaml"
local f = assert(io.open(path, "rb"), "cannot open " .. path)
local model = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/api/assess"
wrk.body = model
wrk.headers["Content-Type"] = "application/yaml"
wrk.headers["Authorization"] = "Bearer " .. token

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local ms = function(p) return latency:percentile(p) / 1000 end
  io.write(string.format(
    "LOAD requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d errors=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    ms(50), ms(90), ms(99), ms(99.9), latency.max / 1000,
    e.status, socket, e.status + socket))
end
