-- A plain GET of the URL given to wrk (Tidewater /healthz, PocketBase /api/health and
-- /api/collections/notes/records?perPage=50&skipTotal=1), with the same error counting.
-- BENCH_GRAPHQL=1 also counts bodies containing "errors"; TIDEWATER_AUTH adds a header.
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = os.getenv("BENCH_GRAPHQL") == "1"
wrk.headers = bench_headers(wrk.headers)
