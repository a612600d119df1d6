-- Like requests.lua, and also counts every response whose status is outside
-- 200-299 (wrk's own count only has those of 400 and above). Used for the
-- reload run, where correctness matters more than wrk's own cost.
local requests = {}
local next_index = 0
seen = 0
bad = 0
last_bad = 0

function init(args)
  local file = args[1] or error("usage: -s requests-count.lua URL -- REQUESTS_FILE")
  for line in io.lines(file) do
    local host, path = line:match("^(%S+)%s+(%S+)$")
    if host then
      requests[#requests + 1] = wrk.format("GET", path, { Host = host })
    end
  end
  if #requests == 0 then error("no requests in " .. file) end
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function response(status, headers, body)
  seen = seen + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    last_bad = status
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local total_seen, total_bad, last = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_seen = total_seen + thread:get("seen")
    total_bad = total_bad + thread:get("bad")
    if thread:get("last_bad") ~= 0 then last = thread:get("last_bad") end
  end
  io.write(string.format("counted responses: %d non-2xx: %d last non-2xx status: %d\n",
    total_seen, total_bad, last))
end
