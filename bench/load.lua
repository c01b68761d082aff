-- wrk script for bench/load.py: each wrk thread sends its share of a list of request paths
-- (one a line, in the file given after "--"), in order, until wrk's duration is over; past
-- the end of its share it starts again, and says how many it sent again. Every answer must
-- be 200, or 400 for a query of only common words (its page says so); done() prints one
-- JSON line with the counts and latency percentiles (microseconds).

local threads = {}

function setup(thread)
  thread:set("number", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  local file = assert(io.open(args[1], "r"))
  local all = {}
  for line in file:lines() do
    if line ~= "" then table.insert(all, line) end
  end
  file:close()
  local count = tonumber(args[2])
  for index = number + 1, #all, count do
    table.insert(paths, all[index])
  end
  sent, answered, repeated, unexpected, statuses = 0, 0, 0, 0, {}
end

function request()
  sent = sent + 1
  if sent > #paths then repeated = repeated + 1 end
  return wrk.format("GET", paths[(sent - 1) % #paths + 1])
end

local COMMON_WORDS = {"common words", "كلمات شائعة"}

local function only_common_words(body)
  for _, marker in ipairs(COMMON_WORDS) do
    if string.find(body, marker, 1, true) then return true end
  end
  return false
end

function response(status, headers, body)
  answered = answered + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status ~= 200 and not (status == 400 and only_common_words(body)) then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local merged, answered_all, repeated_all, unexpected_all = {}, 0, 0, 0
  for _, thread in ipairs(threads) do
    answered_all = answered_all + thread:get("answered")
    repeated_all = repeated_all + thread:get("repeated")
    unexpected_all = unexpected_all + thread:get("unexpected")
    for key, value in pairs(thread:get("statuses")) do
      merged[key] = (merged[key] or 0) + value
    end
  end
  local parts = {}
  for key, value in pairs(merged) do
    table.insert(parts, string.format('"%s": %d', key, value))
  end
  local errors = summary.errors
  io.write(string.format(
    '{"answered": %d, "repeated": %d, "unexpected": %d, "statuses": {%s}, "duration_us": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %d}\n',
    answered_all, repeated_all, unexpected_all, table.concat(parts, ", "), summary.duration,
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
