#!/usr/bin/env bash
# Load test: the quickstart's /protected with ClerkMiddleware vs the same route
# without it, one worker each, the load generator (wrk) on the other core, all
# on 127.0.0.1, in one run. Prints requests/s and p99 latency per scenario,
# with each ratio to "no auth" from the same run, and the server's resident
# memory before and after 1,000,000 requests carrying 200,000 distinct tokens.
#
#   scripts/bench-load.sh              # 10 s per scenario
#   DURATION=30s scripts/bench-load.sh
#
# Needs wrk (Debian: apt-get install wrk). Machines here are shared and noisy:
# compare the ratios, not the absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
DISTINCT=${DISTINCT:-200000}
MEMORY_REQUESTS=${MEMORY_REQUESTS:-1000000}
PORT=${PORT:-18080}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

cargo build --release --example load_server -q
BIN=target/release/examples/load_server

echo "minting $DISTINCT distinct tokens..." >&2
TOKENS="$WORK/tokens.txt"
"$BIN" mint "$DISTINCT" > "$TOKENS"
VALID=$(head -n 1 "$TOKENS")
# Change one signature character (not the last, whose low bits are padding).
c=${VALID: -10:1}; if [ "$c" = "A" ]; then r=B; else r=A; fi
INVALID="${VALID:0:$((${#VALID} - 10))}$r${VALID: -9}"

cat > "$WORK/distinct.lua" <<LUA
local tokens = {}
for line in io.lines("$TOKENS") do tokens[#tokens + 1] = line end
local i = 0
local limit = tonumber(os.getenv("LIMIT") or "0")
local done = 0
request = function()
  i = i % #tokens + 1
  return wrk.format("GET", "/protected", { ["Authorization"] = "Bearer " .. tokens[i] })
end
response = function()
  done = done + 1
  if limit > 0 and done >= limit then wrk.thread:stop() end
end
LUA

start_server() { # mode
  # taskset execs the server, so $! is the server's pid.
  if command -v taskset >/dev/null; then
    PORT=$PORT MODE=$1 taskset -c "$SERVER_CPU" "$BIN" > "$WORK/server.log" 2>&1 &
  else
    PORT=$PORT MODE=$1 "$BIN" > "$WORK/server.log" 2>&1 &
  fi
  SERVER=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/protected" && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$WORK/server.log" >&2; exit 1
}
stop_server() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; }

run() { # name, extra wrk args...
  local name=$1; shift
  local out
  out=$(pin "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://127.0.0.1:$PORT/protected")
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$name $rps $p99 ${non2xx:-0}"
}

to_ms() { # wrk latency (e.g. 1.23ms, 850.00us, 1.02s) -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print v }'
}

RESULTS="$WORK/results"
start_server unguarded
run "no-auth" -H "Authorization: Bearer $VALID" >> "$RESULTS"
stop_server

start_server guarded
run "valid-token(cache-on)" -H "Authorization: Bearer $VALID" >> "$RESULTS"
run "distinct-tokens" -s "$WORK/distinct.lua" >> "$RESULTS"
run "invalid-token" -H "Authorization: Bearer $INVALID" >> "$RESULTS"
stop_server

# Memory: a fresh server, then MEMORY_REQUESTS requests cycling DISTINCT tokens.
# wrk runs for its whole duration even after the script stops its thread, so
# the duration is sized from the distinct-token rate measured above.
before=0; after=0
if [ "$MEMORY_REQUESTS" -gt 0 ]; then
distinct_rps=$(awk '$1 == "distinct-tokens" {print int($2)}' "$RESULTS")
memory_secs=$(( MEMORY_REQUESTS / (distinct_rps > 0 ? distinct_rps : 1000) * 12 / 10 + 5 ))
start_server guarded
before=$(rss_kb) || { cat "$WORK/server.log" >&2; exit 1; }
if command -v taskset >/dev/null; then
  LIMIT=$MEMORY_REQUESTS taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${memory_secs}s" \
    -s "$WORK/distinct.lua" "http://127.0.0.1:$PORT/protected" > "$WORK/memory.txt"
else
  LIMIT=$MEMORY_REQUESTS wrk -t1 -c"$CONNECTIONS" -d"${memory_secs}s" \
    -s "$WORK/distinct.lua" "http://127.0.0.1:$PORT/protected" > "$WORK/memory.txt"
fi
after=$(rss_kb)
stop_server
fi

base_rps=$(awk '$1 == "no-auth" {print $2}' "$RESULTS")
base_p99=$(to_ms "$(awk '$1 == "no-auth" {print $3}' "$RESULTS")")
printf "\n%-24s %12s %8s %10s %9s %8s\n" scenario "requests/s" ratio "p99" "p99 ratio" "non-2xx"
while read -r name rps p99 non2xx; do
  p99ms=$(to_ms "$p99")
  awk -v n="$name" -v r="$rps" -v b="$base_rps" -v p="$p99ms" -v bp="$base_p99" -v e="$non2xx" \
    'BEGIN { printf "%-24s %12.0f %8.2f %8.2fms %9.2f %8s\n", n, r, r / b, p, p / bp, e }'
done < "$RESULTS"
echo
if [ "$MEMORY_REQUESTS" -gt 0 ]; then
  echo "resident memory: ${before} kB before, ${after} kB after $(grep -Eo '[0-9]+ requests' "$WORK/memory.txt" | head -1) with $DISTINCT distinct tokens ($(( (after - before) / 1024 )) MB growth)"
fi
