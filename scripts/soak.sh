#!/usr/bin/env bash
# Concurrency soak: many connections send a mix of valid, expired, forged,
# garbage and unknown-kid session tokens, session cookies, and valid and
# unknown API keys to
# examples/soak_server.rs (ClerkMiddleware in front of a stand-in Backend API
# in a second process) for a bounded time. Reports the answers by status
# class and kind, the 5xx count (expected: 0), the JWKS fetches (expected:
# exactly 2, the cold start and one refetch for the first unknown kid, since
# the server's refetch interval, REFETCH_SECS, defaults to an hour), the
# API-key verifications, and the server's resident memory before and after.
#
#   scripts/soak.sh                         # 60 s, 64 connections
#   DURATION=300s CONNECTIONS=256 scripts/soak.sh
#
# Needs wrk (Debian: apt-get install wrk).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-60s}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-18090}
WORKERS=${WORKERS:-2}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --example soak_server -q
BIN=target/release/examples/soak_server
TOKENS="$WORK/requests.txt"
STATS_PORT=$((PORT + 1))
# The stand-in runs in a process of its own: it records every request, which
# must not count in the app's memory.
TOKENS=$TOKENS ENV_FILE="$WORK/soak.env" STATS_PORT=$STATS_PORT "$BIN" backend > "$WORK/backend.log" 2>&1 &
for _ in $(seq 100); do [ -f "$WORK/soak.env" ] && break; sleep 0.1; done
[ -f "$WORK/soak.env" ] || { echo "backend did not start" >&2; cat "$WORK/backend.log" >&2; exit 1; }
# shellcheck disable=SC2046
env $(cat "$WORK/soak.env") PORT=$PORT WORKERS=$WORKERS "$BIN" app > "$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/me" && break; sleep 0.1; done
curl -s -o /dev/null "http://127.0.0.1:$PORT/me" || { echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
before=$(rss_kb "$SERVER")

cat > "$WORK/soak.lua" <<LUA
local lines = {}
for line in io.lines("$TOKENS") do
  local kind, path, token = line:match("^(%S+) (%S+) (.+)$")
  lines[#lines + 1] = { kind = kind, path = path, token = token }
end
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  -- Each thread starts at its own offset, then walks the whole list.
  i = (id * 7919) % #lines
  counts = {}
end
function request()
  i = i % #lines + 1
  local entry = lines[i]
  if entry.kind == "cookie" then
    return wrk.format("GET", entry.path, { ["Cookie"] = entry.token })
  end
  return wrk.format("GET", entry.path, { ["Authorization"] = "Bearer " .. entry.token })
end
function response(status, headers, body)
  -- Answers of many connections interleave, so they are told apart by what
  -- they say: the status and Clerk's reason header.
  local key = status .. " " .. (headers["x-clerk-auth-reason"] or "-")
  counts[key] = (counts[key] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local fivexx = 0
  local keys = {}
  for k, _ in pairs(total) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    io.write(string.format("  %-40s %10d\n", k, total[k]))
    if k:match("^5%d%d ") then fivexx = fivexx + total[k] end
  end
  io.write(string.format("5xx %d\n", fivexx))
  io.write(string.format("requests %d errors %d p99 %.2fms\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(99) / 1000))
end
LUA

echo "soak: $DURATION, $CONNECTIONS connections, $THREADS wrk threads, $WORKERS server workers" >&2
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s "$WORK/soak.lua" "http://127.0.0.1:$PORT" > "$WORK/wrk.txt"
after=$(rss_kb "$SERVER")
stats=$(curl -s "http://127.0.0.1:$STATS_PORT/stats")
kill -0 "$SERVER" 2>/dev/null || { echo "the server died" >&2; cat "$WORK/server.log" >&2; exit 1; }
if grep -q "panicked" "$WORK/server.log"; then echo "the server panicked" >&2; cat "$WORK/server.log" >&2; exit 1; fi

echo "answers by status and x-clerk-auth-reason:"
sed -n '/^  /p' "$WORK/wrk.txt"
grep -E "^(5xx|requests)" "$WORK/wrk.txt"
echo "backend calls: $stats"
echo "resident memory: ${before} kB before, ${after} kB after"
fivexx=$(awk '/^5xx/ {print $2}' "$WORK/wrk.txt")
jwks=$(sed -E 's/.*"jwks":([0-9]+).*/\1/' <<<"$stats")
status=0
[ "$fivexx" = "0" ] || { echo "FAIL: $fivexx answers were 5xx" >&2; status=1; }
[ "$jwks" = "2" ] || { echo "FAIL: $jwks JWKS fetches, 2 expected" >&2; status=1; }
exit $status
