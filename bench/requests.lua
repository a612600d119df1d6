-- wrk script for bench/load.sh: cycles through a fixed list of requests,
-- one "host path" pair per line of the file given after `--`, so that every
-- proxy sees the same mix in the same order.
--   wrk -t1 -c50 -d10s --latency -s bench/requests.lua URL -- requests.txt [count]
-- With `count`, it also counts every response whose status is outside
-- 200-299 (wrk's own count only has those of 400 and above) and prints
-- "counted responses: ..." at the end. That makes wrk parse every response
-- in Lua, so it is only used for the reload run, where correctness matters
-- more than wrk's own cost.
local requests = {}
local next_index = 0
counting = 0
seen = 0
bad = 0
last_bad = 0

local function count(status, headers, body)
  seen = seen + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    last_bad = status
  end
end

function init(args)
  local file = args[1] or error("usage: -s requests.lua URL -- REQUESTS_FILE [count]")
  for line in io.lines(file) do
    local host, path = line:match("^(%S+)%s+(%S+)$")
    if host then
      requests[#requests + 1] = wrk.format("GET", path, { Host = host })
    end
  end
  if #requests == 0 then error("no requests in " .. file) end
  -- wrk looks for a `response` function after `init`: defined only here,
  -- it costs nothing when not counting.
  if args[2] == "count" then
    counting = 1
    response = count
  end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  if #threads == 0 or threads[1]:get("counting") ~= 1 then return end
  local total_seen, total_bad, last = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_seen = total_seen + thread:get("seen")
    total_bad = total_bad + thread:get("bad")
    if thread:get("last_bad") ~= 0 then last = thread:get("last_bad") end
  end
  io.write(string.format("counted responses: %d non-2xx: %d last non-2xx status: %d\n",
    total_seen, total_bad, last))
end
