-- PocketBase create: POST /api/collections/notes/records with the shared note (BENCH_NOTE_JSON).
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")

wrk.method = "POST"
wrk.headers = {["Content-Type"] = "application/json"}
wrk.body = assert(os.getenv("BENCH_NOTE_JSON"), "BENCH_NOTE_JSON not set")
