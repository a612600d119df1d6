-- wrk script for bench/load.sh: cycles through a fixed list of requests,
-- one "host path" pair per line of the file given after `--`, so that every
-- proxy sees the same mix in the same order.
--   wrk -t1 -c50 -d10s --latency -s bench/requests.lua URL -- requests.txt
local requests = {}
local next_index = 0

function init(args)
  local file = args[1] or error("usage: -s requests.lua URL -- REQUESTS_FILE")
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
