-- POST the real signing form: the form token fetched beforehand from the page (the same for
-- everyone who loads it, and no cookie at all), a unique email each time.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")

local next_thread = 0
function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  token = args[1]
  run_id = args[2]
  path = args[3]
  counter = 0
end

request = function()
  counter = counter + 1
  local body = "csrf_token=" .. token ..
    "&first_name=Bench&last_name=Mark&country=GB&postcode=&email=bench-" .. run_id .. "-" ..
    thread_id .. "-" .. counter .. "%40example.org"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
