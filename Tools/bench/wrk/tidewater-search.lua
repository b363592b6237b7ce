-- Tidewater search: POST /graphql searchNotes(filter: {title: {match: BENCH_WORD}}, limit: 20).
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = true
null_pattern = '"items":%[%]'

local word = assert(os.getenv("BENCH_WORD"), "BENCH_WORD not set")
wrk.method = "POST"
wrk.headers = bench_headers({["Content-Type"] = "application/json"})
wrk.body = '{"query":"query S($w: String!) { searchNotes(filter: {title: {match: $w}}, limit: 20) { items { id title } nextToken } }",'
   .. '"variables":{"w":"' .. word .. '"}}'
