#!/usr/bin/env bash
# Load test: the quickstart's /protected with ClerkMiddleware (a bearer token,
# or the same token in a __session cookie; /api-key, called with one cached
# API key) vs the same route without it, one worker each, the load generator (wrk) on the other core, all
# on 127.0.0.1, in one run. Prints requests/s, p50 and p99 latency per scenario,
# with each ratio to "no auth" from the same run, and the server's resident
# memory before and after 1,000,000 requests carrying 200,000 distinct tokens.
#
#   scripts/bench-load.sh              # 3 rounds of 10 s per scenario
#   ROUNDS=5 DURATION=20s scripts/bench-load.sh
#
# Both servers run at once (pinned to the same core) and the scenarios are
# interleaved round by round; each figure is the median of the rounds, so a
# noisy neighbour slows both sides alike.
#
# Needs wrk (Debian: apt-get install wrk). Machines here are shared and noisy:
# compare the ratios, not the absolute numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-32}
DISTINCT=${DISTINCT:-200000}
MEMORY_REQUESTS=${MEMORY_REQUESTS:-1000000}
PORT=${PORT:-18080}
SERVER_CPU=${SERVER_CPU:-0}
# WORKERS=2 SERVER_CPU=0,1: the server on both cores (wrk shares them), so
# contention in the shared caches would show.
WORKERS=${WORKERS:-1}
LOAD_CPU=${LOAD_CPU:-1}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

cargo build --release --example load_server -q
BIN=target/release/examples/load_server

# Tokens live two hours; reuse a file minted within the last hour.
TOKENS="target/bench-load-tokens-$DISTINCT.txt"
if [ -z "$(find "$TOKENS" -mmin -60 2>/dev/null)" ]; then
  echo "minting $DISTINCT distinct tokens..." >&2
  "$BIN" mint "$DISTINCT" > "$TOKENS.tmp" && mv "$TOKENS.tmp" "$TOKENS"
fi
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

start_server() { # mode port -> sets SERVER
  # taskset execs the server, so $! is the server's pid.
  if command -v taskset >/dev/null; then
    WORKERS=$WORKERS PORT=$2 MODE=$1 taskset -c "$SERVER_CPU" "$BIN" > "$WORK/server-$1.log" 2>&1 &
  else
    WORKERS=$WORKERS PORT=$2 MODE=$1 "$BIN" > "$WORK/server-$1.log" 2>&1 &
  fi
  SERVER=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$2/protected" && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$WORK/server-$1.log" >&2; exit 1
}
stop_server() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

run() { # name port extra wrk args... (ROUTE: the path, /protected unless set)
  local name=$1 port=$2; shift 2
  local out
  out=$(pin "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "http://127.0.0.1:$port${ROUTE:-/protected}")
  local rps p50 p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  echo "$name $rps $p99 ${non2xx:-0} $p50"
}

to_ms() { # wrk latency (e.g. 1.23ms, 850.00us, 1.02s) -> ms
  awk -v v="$1" 'BEGIN {
    if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 }
    else if (v ~ /ms$/) { sub(/ms$/, "", v); print v }
    else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 }
    else print v }'
}

RESULTS="$WORK/results"
start_server unguarded "$PORT"; UNGUARDED=$SERVER
start_server guarded "$((PORT + 1))"; GUARDED=$SERVER
for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS..." >&2
  run "no-auth" "$PORT" -H "Authorization: Bearer $VALID" >> "$RESULTS"
  # The bare twin of distinct-tokens: the same rotation script, so wrk costs
  # both sides the same.
  run "no-auth(distinct)" "$PORT" -s "$WORK/distinct.lua" >> "$RESULTS"
  run "valid-token(cache-on)" "$((PORT + 1))" -H "Authorization: Bearer $VALID" >> "$RESULTS"
  run "valid-cookie(cache-on)" "$((PORT + 1))" -H "Cookie: __session=$VALID; __client_uat=1" >> "$RESULTS"
  run "distinct-tokens" "$((PORT + 1))" -s "$WORK/distinct.lua" >> "$RESULTS"
  run "invalid-token" "$((PORT + 1))" -H "Authorization: Bearer $INVALID" >> "$RESULTS"
  ROUTE=/api-key run "api-key(cached)" "$((PORT + 1))" -H "Authorization: Bearer ak_bench_load_key" >> "$RESULTS"
done
stop_server "$UNGUARDED"
stop_server "$GUARDED"

# Memory: a fresh server, then MEMORY_REQUESTS requests cycling DISTINCT tokens.
# wrk runs for its whole duration even after the script stops its thread, so
# the duration is sized from the distinct-token rate measured above.
before=0; after=0
if [ "$MEMORY_REQUESTS" -gt 0 ]; then
  distinct_rps=$(awk '$1 == "distinct-tokens" {print int($2)}' "$RESULTS" | sort -n | head -1)
  memory_secs=$(( MEMORY_REQUESTS / (distinct_rps > 0 ? distinct_rps : 1000) * 12 / 10 + 5 ))
  start_server guarded "$((PORT + 2))"; MEMORY=$SERVER
  before=$(rss_kb "$MEMORY")
  LIMIT=$MEMORY_REQUESTS pin "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${memory_secs}s" \
    -s "$WORK/distinct.lua" "http://127.0.0.1:$((PORT + 2))/protected" > "$WORK/memory.txt"
  after=$(rss_kb "$MEMORY")
  stop_server "$MEMORY"
fi

# The median of the rounds, per scenario, in the order they ran.
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
SUMMARY="$WORK/summary"
for name in no-auth "no-auth(distinct)" "valid-token(cache-on)" "valid-cookie(cache-on)" distinct-tokens invalid-token "api-key(cached)"; do
  rps=$(awk -v n="$name" '$1 == n {print $2}' "$RESULTS" | median)
  p99=$(awk -v n="$name" '$1 == n {print $3}' "$RESULTS" | while read -r v; do to_ms "$v"; done | median)
  p50=$(awk -v n="$name" '$1 == n {print $5}' "$RESULTS" | while read -r v; do to_ms "$v"; done | median)
  non2xx=$(awk -v n="$name" '$1 == n {s += $4} END {print s + 0}' "$RESULTS")
  echo "$name $rps $p99 $non2xx $p50" >> "$SUMMARY"
done

base_rps=$(awk '$1 == "no-auth" {print $2}' "$SUMMARY")
base_p99=$(awk '$1 == "no-auth" {print $3}' "$SUMMARY")
base_p50=$(awk '$1 == "no-auth" {print $5}' "$SUMMARY")
printf "\nmedian of %s rounds of %s, %s connections, %s server worker(s) on CPU %s\n" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$WORKERS" "$SERVER_CPU"
printf "%-24s %12s %8s %10s %9s %10s %9s %8s\n" scenario "requests/s" ratio "p50" "p50 ratio" "p99" "p99 ratio" "non-2xx"
while read -r name rps p99 non2xx p50; do
  awk -v n="$name" -v r="$rps" -v b="$base_rps" -v p="$p99" -v bp="$base_p99" -v m="$p50" -v bm="$base_p50" -v e="$non2xx" \
    'BEGIN { printf "%-24s %12.0f %8.3f %8.3fms %9.2f %8.3fms %9.2f %8s\n", n, r, r / b, m, m / bm, p, p / bp, e }'
done < "$SUMMARY"
echo
if [ "$MEMORY_REQUESTS" -gt 0 ]; then
  echo "resident memory: ${before} kB before, ${after} kB after $(grep -Eo '[0-9]+ requests' "$WORK/memory.txt" | head -1) with $DISTINCT distinct tokens ($(( (after - before) / 1024 )) MB growth)"
fi

# The cold path against its floor: a bare request (the distinct-token twin)
# plus one bare aws-lc-rs RSA check with a parsed key (benches/cold_path.rs,
# same tokens, measured now).
rsa_ns=$(cargo bench -q --bench cold_path -- "$TOKENS" 3000 5 2>/dev/null | awk '{print $5}')
if [ -n "$rsa_ns" ]; then
  bare=$(awk '$1 == "no-auth(distinct)" {print $2}' "$SUMMARY")
  cold=$(awk '$1 == "distinct-tokens" {print $2}' "$SUMMARY")
  awk -v bare="$bare" -v cold="$cold" -v rsa="$rsa_ns" 'BEGIN {
    floor = 1 / (1 / bare + rsa / 1e9)
    printf "cold path: %.0f requests/s; floor (bare + one RSA check of %.1f us): %.0f requests/s\n", cold, rsa / 1000, floor
    printf "cold ratio %.3f   floor ratio %.3f   cold / floor %.3f\n", cold / bare, floor / bare, cold / floor
  }'
fi
