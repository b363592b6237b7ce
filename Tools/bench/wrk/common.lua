-- Shared by the scenario scripts (loaded with dofile; wrk gives each thread its own Lua state).
--
-- Counts, per thread, the responses that are not a success and reports them with the latency
-- percentiles in one machine-readable line that run.sh collects:
--   BENCH_RESULT {"requests":..,"rps":..,"p50_us":..,"p99_us":..,"non2xx":..,"gql_errors":..,...}
-- A scenario script sets, before or after loading this file:
--   check_graphql = true     count bodies containing "errors" (GraphQL over HTTP answers 200)
--   null_pattern  = "..."    a Lua pattern whose presence in a body counts as a failure
--                            (e.g. getNote returning null for an id that exists)
-- Environment: TIDEWATER_AUTH='Header-Name: value' adds that header to every request
-- (used for Tidewater only: run.sh sets it for Tidewater runs alone).

local threads = {}
local next_id = 0

function setup(thread)
   next_id = next_id + 1
   thread:set("tid", next_id)
   table.insert(threads, thread)
end

non2xx, gql_errors, null_results, responses = 0, 0, 0, 0

function response(status, headers, body)
   responses = responses + 1
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   elseif check_graphql and body and string.find(body, '"errors"', 1, true) then
      gql_errors = gql_errors + 1
   elseif null_pattern and body and string.find(body, null_pattern) then
      null_results = null_results + 1
   end
end

function bench_headers(h)
   h = h or {}
   local auth = os.getenv("TIDEWATER_AUTH")
   if auth and auth ~= "" then
      local name, value = string.match(auth, "^%s*([^:]+):%s*(.-)%s*$")
      if name then h[name] = value end
   end
   return h
end

function read_lines(path)
   local lines = {}
   local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
   for l in f:lines() do
      if l ~= "" then table.insert(lines, l) end
   end
   f:close()
   assert(#lines > 0, "no lines in " .. path)
   return lines
end

function done(summary, latency, requests)
   local n2, ge, nr, rs = 0, 0, 0, 0
   for _, t in ipairs(threads) do
      n2 = n2 + (t:get("non2xx") or 0)
      ge = ge + (t:get("gql_errors") or 0)
      nr = nr + (t:get("null_results") or 0)
      rs = rs + (t:get("responses") or 0)
   end
   local e = summary.errors
   local secs = summary.duration / 1e6
   io.write(string.format(
      'BENCH_RESULT {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,'
         .. '"p99_us":%d,"max_us":%d,"responses_seen":%d,"non2xx":%d,"gql_errors":%d,'
         .. '"null_results":%d,"socket":{"connect":%d,"read":%d,"write":%d,"timeout":%d}}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      rs, n2, ge, nr, e.connect, e.read, e.write, e.timeout))
end

