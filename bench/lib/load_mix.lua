-- wrk script of bench/bench_load.sh: half single-region GETs (CSV), half batch POSTs of
-- 50 positions, drawn from the positions file named by $OFQ_LOAD_POSITIONS (TSV with a
-- header: id, start, end, type). wrk counts non-2xx answers (summary.errors.status).
local positions = {}
local counter = 0

function init(args)
  local f = assert(io.open(os.getenv("OFQ_LOAD_POSITIONS"), "r"))
  local first = true
  for line in f:lines() do
    if not first then
      local id, s, e, t = line:match("([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)")
      positions[#positions + 1] = {id, s, e, t}
    end
    first = false
  end
  f:close()
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

function request()
  counter = counter + 1
  if counter % 2 == 0 then
    local p = positions[math.random(#positions)]
    return wrk.format("GET", "/v1/samples/VIBRIO/sequences/" .. p[1] .. "?start=" .. p[2] .. "&end=" .. p[3] ..
                      "&type=" .. p[4] .. "&format=csv")
  end
  local k = math.random(#positions - 50)
  local items = {}
  for i = k, k + 49 do
    local p = positions[i]
    items[#items + 1] = '["' .. p[1] .. '",' .. p[2] .. ',' .. p[3] .. ',"' .. p[4] .. '"]'
  end
  return wrk.format("POST", "/v1/samples/VIBRIO/sequences", {["Content-Type"] = "application/json"},
                    '{"positions":[' .. table.concat(items, ",") .. ']}')
end

function done(summary, latency, requests)
  io.write(string.format("p50_us %d\np90_us %d\np99_us %d\nmax_us %d\nrequests %d\nnon_2xx %d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    summary.requests, summary.errors.status))
  io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
