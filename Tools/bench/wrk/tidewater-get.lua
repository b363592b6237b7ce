-- Tidewater get-by-id: POST /graphql getNote over the ids in BENCH_IDS, round robin.
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = true
null_pattern = '"getNote"%s*:%s*null'

local bodies, i
local headers

function init(args)
   local ids = read_lines(assert(os.getenv("BENCH_IDS"), "BENCH_IDS not set"))
   bodies = {}
   for k, id in ipairs(ids) do
      bodies[k] = '{"query":"query G($id: ID!) { getNote(id: $id) { id title body done priority tags _version } }",'
         .. '"variables":{"id":"' .. id .. '"}}'
   end
   i = ((tid or 1) - 1) * 97 % #bodies   -- threads start at different ids
   headers = bench_headers({["Content-Type"] = "application/json"})
end

function request()
   i = i % #bodies + 1
   return wrk.format("POST", "/graphql", headers, bodies[i])
end
