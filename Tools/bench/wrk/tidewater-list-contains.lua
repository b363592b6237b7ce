-- Tidewater list with a substring filter (a scan): the same question as tidewater-search.lua,
-- POST /graphql listNotes(filter: {title: {contains: BENCH_WORD}}, limit: 20).
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = true

local word = assert(os.getenv("BENCH_WORD"), "BENCH_WORD not set")
wrk.method = "POST"
wrk.headers = bench_headers({["Content-Type"] = "application/json"})
wrk.body = '{"query":"query L($w: String!) { listNotes(filter: {title: {contains: $w}}, limit: 20) { items { id title } nextToken } }",'
   .. '"variables":{"w":"' .. word .. '"}}'
