-- Tidewater list: POST /graphql listNotes(limit: 50).
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = true

wrk.method = "POST"
wrk.headers = bench_headers({["Content-Type"] = "application/json"})
wrk.body = '{"query":"query L { listNotes(limit: 50) { items { id title done priority } nextToken } }"}'
