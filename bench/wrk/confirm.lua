-- POST the confirmation form for pending signatures, one token each (read from a file made
-- beforehand, split between wrk's threads so no two requests confirm the same signature).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local next_thread = 0
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  local threads = tonumber(args[2])
  tokens = {}
  local i = 0
  for line in io.lines(args[1]) do
    if i % threads == thread_id then
      tokens[#tokens + 1] = line
    end
    i = i + 1
  end
  position = 0
end

request = function()
  position = position + 1
  local token = tokens[position]
  if token == nil then
    token = "exhausted"  -- more requests than tokens: shows up as 404s, so the run is flagged
  end
  return wrk.format("POST", "/confirm/" .. token, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "")
end
