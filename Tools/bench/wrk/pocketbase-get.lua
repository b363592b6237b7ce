-- PocketBase get-by-id: GET /api/collections/notes/records/<id> over the ids in BENCH_IDS.
dofile(debug.getinfo(1, "S").source:match("^@(.*[/\\])") .. "common.lua")

local paths, i

function init(args)
   local ids = read_lines(assert(os.getenv("BENCH_IDS"), "BENCH_IDS not set"))
   paths = {}
   for k, id in ipairs(ids) do
      paths[k] = "/api/collections/notes/records/" .. id
   end
   i = ((tid or 1) - 1) * 97 % #paths
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end
