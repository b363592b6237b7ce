-- Tidewater create: POST /graphql createNote with the shared note (BENCH_NOTE_JSON).
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")
check_graphql = true

local note = assert(os.getenv("BENCH_NOTE_JSON"), "BENCH_NOTE_JSON not set")
wrk.method = "POST"
wrk.headers = bench_headers({["Content-Type"] = "application/json"})
wrk.body = '{"query":"mutation C($input: CreateNoteInput!) { createNote(input: $input) { id _version } }",'
   .. '"variables":{"input":' .. note .. '}}'
