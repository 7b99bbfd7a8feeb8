#!/usr/bin/env bash
# Load test: each protected path against its bare twin, one worker each, the
# load generator (wrk) on the other core, all on 127.0.0.1, in one run. Prints
# requests/s, p50 and p99 latency per scenario, each with its ratio to its
# twin ("vs") from the same run.
#
# Cases (CASES=core,multi,proxy,redis,ws, the default, runs them all; name
# fewer to skip the others):
#
#   core   examples/load_server.rs: the quickstart's /protected with
#          ClerkMiddleware vs the same route without it (twin "no-auth"):
#          valid-token (a bearer token, cache on), valid-cookie (the same
#          token in a __session cookie), distinct-tokens (200,000 tokens in
#          rotation: the cold path, beside its twin no-auth(distinct) that
#          rotates the same headers), invalid-token, api-key(cached) (one API
#          key on /api-key, verified once against an in-process stand-in of
#          the Backend API). Then the server's resident memory before and
#          after 1,000,000 requests carrying 200,000 distinct tokens, and the
#          cold path against its floor (benches/cold_path.rs).
#   multi  examples/load_paths.rs: a page navigation to /orgs/acme/settings
#          with a signed-in __session cookie (active organization acme), on
#          a satellite domain (satellite) and with organization sync on
#          (org-sync), vs the same route unguarded (no-auth(orgs-page)); a
#          plain primary domain (primary) beside them, as in
#          benches/multi_domain.rs.
#          Checked with curl first: 200 signed in, no handshake.
#   proxy  examples/load_paths.rs: GET /__clerk/v1/client through the
#          crate's Frontend API proxy vs a bare awc reverse proxy of the same
#          upstream (bare-proxy: one client per worker, method, path, query
#          and body forwarded, status and body copied back). The upstream is
#          a third server answering a fixed JSON body, on the servers' core.
#   redis  examples/load_server.rs with REDIS_URL: api-key(cached,redis), the
#          cached API key with the fleet's shared cache on, against a real
#          redis-server this script starts on a random port (no persistence,
#          killed on exit), vs the unguarded /api-key (no-auth(api-key)).
#          Skipped, with a line saying so, without redis-server.
#   ws     examples/load_paths.rs + examples/load_ws.rs: WebSocket echo
#          through clerk_actix::ws (ws-clerk) vs a bare actix-ws echo on the
#          same server (ws-bare), both upgrades behind ClerkMiddleware. wrk
#          speaks no WebSockets: load_ws opens CONNECTIONS sockets once with
#          a bearer token, each sending a message and awaiting its echo in a
#          loop; its "requests/s" are echoes/s, its "non-2xx" failed sockets.
#
#   scripts/bench-load.sh              # 3 rounds of 10 s per scenario
#   ROUNDS=5 DURATION=20s scripts/bench-load.sh
#   CASES=multi,ws ROUNDS=3 DURATION=5s scripts/bench-load.sh
#
# All servers run at once (pinned to the same core) and the scenarios are
# interleaved round by round; each figure is the median of the rounds, so a
# noisy neighbour slows both sides alike. A non-2xx count above 0 on a case
# makes its figure meaningless (a warning says so).
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
CASES=${CASES:-core,multi,proxy,redis,ws}
has() { [[ ",$CASES," == *",$1,"* ]]; }
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
pin() { if command -v taskset >/dev/null; then taskset -c "$1" "${@:2}"; else "${@:2}"; fi; }

cargo build --release -j 2 -q --features testing,ws,redis \
  --example load_server --example load_paths --example load_ws
BIN=target/release/examples/load_server
PATHS=target/release/examples/load_paths
LOAD_WS=target/release/examples/load_ws

if has core; then
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
fi
# The multi-domain and WebSocket cases' token: user_load, organization acme.
ORG_TOKEN=$("$PATHS" token)

start_server() { # mode port [binary, load_server unless set] -> sets SERVER
  local bin=${3:-$BIN}
  # taskset execs the server, so $! is the server's pid.
  if command -v taskset >/dev/null; then
    WORKERS=$WORKERS PORT=$2 MODE=$1 taskset -c "$SERVER_CPU" "$bin" > "$WORK/server-$2.log" 2>&1 &
  else
    WORKERS=$WORKERS PORT=$2 MODE=$1 "$bin" > "$WORK/server-$2.log" 2>&1 &
  fi
  SERVER=$!
  for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$2/protected" && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$WORK/server-$2.log" >&2; exit 1
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
# Servers and the checks that make their figures mean something, before the
# timed rounds.
fail() { echo "$*" >&2; exit 1; }
if has core || has redis; then
  start_server unguarded "$PORT"; UNGUARDED=$SERVER
fi
if has core; then
  start_server guarded "$((PORT + 1))"; GUARDED=$SERVER
fi
ORGS_PAGE=/orgs/acme/settings
org_headers=(-H "sec-fetch-dest: document" -H "accept: text/html" -H "Cookie: __session=$ORG_TOKEN; __client_uat=1")
if has multi; then
  start_server unguarded "$((PORT + 3))" "$PATHS"; MULTI_BARE=$SERVER
  start_server satellite "$((PORT + 4))" "$PATHS"; SATELLITE=$SERVER
  start_server org-sync "$((PORT + 5))" "$PATHS"; ORG_SYNC=$SERVER
  start_server primary "$((PORT + 11))" "$PATHS"; PRIMARY=$SERVER
  for port in $((PORT + 3)) $((PORT + 4)) $((PORT + 5)) $((PORT + 11)); do
    code=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' "${org_headers[@]}" "http://127.0.0.1:$port$ORGS_PAGE")
    if [ "$code" != 200 ] || [ "$(cat "$WORK/body")" != acme ] || grep -qi '^x-clerk-auth' "$WORK/headers"; then
      cat "$WORK/headers" >&2
      fail "multi: $ORGS_PAGE on port $port answered $code, not 200 signed in without a handshake"
    fi
  done
fi
if has proxy; then
  start_server upstream "$((PORT + 6))" "$PATHS"; UPSTREAM_PID=$SERVER
  UPSTREAM="http://127.0.0.1:$((PORT + 6))" start_server proxy "$((PORT + 7))" "$PATHS"; PROXY=$SERVER
  UPSTREAM="http://127.0.0.1:$((PORT + 6))" start_server bare-proxy "$((PORT + 8))" "$PATHS"; BARE_PROXY=$SERVER
  want=$(curl -s "http://127.0.0.1:$((PORT + 6))/v1/client")
  for port in $((PORT + 7)) $((PORT + 8)); do
    code=$(curl -s -o "$WORK/body" -w '%{http_code}' "http://127.0.0.1:$port/__clerk/v1/client")
    [ "$code" = 200 ] && [ "$(cat "$WORK/body")" = "$want" ] ||
      fail "proxy: /__clerk/v1/client on port $port answered $code, not the upstream's 200"
  done
fi
# One Redis command over bash's /dev/tcp (no redis-cli needed): its reply line.
redis_cmd() { # port command
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf '%s\r\n' "$2" >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  printf '%s' "${reply%$'\r'}"
}
REDIS_RUN=
if has redis; then
  if ! command -v redis-server >/dev/null; then
    echo "redis: skipped, redis-server is not installed (apt-get install redis-server)" >&2
  else
    # A random free port: a few tries, each bounded to 5 s.
    for _ in 1 2 3 4 5; do
      REDIS_PORT=$((30000 + RANDOM % 20000))
      redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --maxmemory 64mb > "$WORK/redis.log" 2>&1 &
      REDIS_PID=$!
      for _ in $(seq 50); do
        [ "$(redis_cmd "$REDIS_PORT" PING 2>/dev/null)" = +PONG ] && { REDIS_RUN=1; break; }
        kill -0 "$REDIS_PID" 2>/dev/null || break
        sleep 0.1
      done
      [ -n "$REDIS_RUN" ] && break
      kill "$REDIS_PID" 2>/dev/null || true
    done
    [ -n "$REDIS_RUN" ] || { cat "$WORK/redis.log" >&2; fail "redis: redis-server did not start"; }
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" start_server guarded "$((PORT + 9))"; GUARDED_REDIS=$SERVER
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ak_bench_load_key" "http://127.0.0.1:$((PORT + 9))/api-key")
    [ "$code" = 200 ] || fail "redis: /api-key answered $code, not 200"
    keys=$(redis_cmd "$REDIS_PORT" DBSIZE); keys=${keys#:}
    [ "${keys:-0}" -ge 1 ] || fail "redis: the verified API key was not shared through Redis"
    echo "redis: redis-server on port $REDIS_PORT holds $keys shared entr$([ "$keys" = 1 ] && echo y || echo ies) after the first request" >&2
  fi
fi
if has ws; then
  start_server ws "$((PORT + 10))" "$PATHS"; WS=$SERVER
fi

run_ws() { # name port path: load_ws, one line like run's
  local out
  out=$(pin "$LOAD_CPU" "$LOAD_WS" "ws://127.0.0.1:$2$3" "$ORG_TOKEN" "$CONNECTIONS" "$DURATION")
  read -r rate p50 p99 failed <<<"$out"
  echo "$1 $rate $p99 $failed $p50"
}

for round in $(seq "$ROUNDS"); do
  echo "round $round of $ROUNDS..." >&2
  if has core; then
    run "no-auth" "$PORT" -H "Authorization: Bearer $VALID" >> "$RESULTS"
    # The bare twin of distinct-tokens: the same rotation script, so wrk costs
    # both sides the same.
    run "no-auth(distinct)" "$PORT" -s "$WORK/distinct.lua" >> "$RESULTS"
    run "valid-token(cache-on)" "$((PORT + 1))" -H "Authorization: Bearer $VALID" >> "$RESULTS"
    run "valid-cookie(cache-on)" "$((PORT + 1))" -H "Cookie: __session=$VALID; __client_uat=1" >> "$RESULTS"
    run "distinct-tokens" "$((PORT + 1))" -s "$WORK/distinct.lua" >> "$RESULTS"
    run "invalid-token" "$((PORT + 1))" -H "Authorization: Bearer $INVALID" >> "$RESULTS"
    ROUTE=/api-key run "api-key(cached)" "$((PORT + 1))" -H "Authorization: Bearer ak_bench_load_key" >> "$RESULTS"
  fi
  if has multi; then
    ROUTE=$ORGS_PAGE run "no-auth(orgs-page)" "$((PORT + 3))" "${org_headers[@]}" >> "$RESULTS"
    ROUTE=$ORGS_PAGE run "primary" "$((PORT + 11))" "${org_headers[@]}" >> "$RESULTS"
    ROUTE=$ORGS_PAGE run "satellite" "$((PORT + 4))" "${org_headers[@]}" >> "$RESULTS"
    ROUTE=$ORGS_PAGE run "org-sync" "$((PORT + 5))" "${org_headers[@]}" >> "$RESULTS"
  fi
  if has proxy; then
    ROUTE=/__clerk/v1/client run "bare-proxy" "$((PORT + 8))" >> "$RESULTS"
    ROUTE=/__clerk/v1/client run "frontend-api-proxy" "$((PORT + 7))" >> "$RESULTS"
  fi
  if [ -n "$REDIS_RUN" ]; then
    ROUTE=/api-key run "no-auth(api-key)" "$PORT" -H "Authorization: Bearer ak_bench_load_key" >> "$RESULTS"
    ROUTE=/api-key run "api-key(cached,redis)" "$((PORT + 9))" -H "Authorization: Bearer ak_bench_load_key" >> "$RESULTS"
  fi
  if has ws; then
    run_ws "ws-bare" "$((PORT + 10))" /bare >> "$RESULTS"
    run_ws "ws-clerk" "$((PORT + 10))" /clerk >> "$RESULTS"
  fi
done
for pid in ${UNGUARDED:-} ${GUARDED:-} ${MULTI_BARE:-} ${PRIMARY:-} ${SATELLITE:-} ${ORG_SYNC:-} ${UPSTREAM_PID:-} ${PROXY:-} ${BARE_PROXY:-} ${GUARDED_REDIS:-} ${WS:-}; do
  stop_server "$pid"
done
[ -n "$REDIS_RUN" ] && stop_server "$REDIS_PID"

# Memory: a fresh server, then MEMORY_REQUESTS requests cycling DISTINCT tokens.
# wrk runs for its whole duration even after the script stops its thread, so
# the duration is sized from the distinct-token rate measured above.
before=0; after=0
if has core && [ "$MEMORY_REQUESTS" -gt 0 ]; then
  distinct_rps=$(awk '$1 == "distinct-tokens" {print int($2)}' "$RESULTS" | sort -n | head -1)
  memory_secs=$(( MEMORY_REQUESTS / (distinct_rps > 0 ? distinct_rps : 1000) * 12 / 10 + 5 ))
  start_server guarded "$((PORT + 2))"; MEMORY=$SERVER
  before=$(rss_kb "$MEMORY")
  LIMIT=$MEMORY_REQUESTS pin "$LOAD_CPU" wrk -t1 -c"$CONNECTIONS" -d"${memory_secs}s" \
    -s "$WORK/distinct.lua" "http://127.0.0.1:$((PORT + 2))/protected" > "$WORK/memory.txt"
  after=$(rss_kb "$MEMORY")
  stop_server "$MEMORY"
fi

# The median of the rounds, per scenario, in the order they ran, with the
# twin each ratio is to.
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
SUMMARY="$WORK/summary"
while read -r name twin; do
  awk -v n="$name" '$1 == n {found = 1} END {exit !found}' "$RESULTS" || continue
  rps=$(awk -v n="$name" '$1 == n {print $2}' "$RESULTS" | median)
  p99=$(awk -v n="$name" '$1 == n {print $3}' "$RESULTS" | while read -r v; do to_ms "$v"; done | median)
  p50=$(awk -v n="$name" '$1 == n {print $5}' "$RESULTS" | while read -r v; do to_ms "$v"; done | median)
  non2xx=$(awk -v n="$name" '$1 == n {s += $4} END {print s + 0}' "$RESULTS")
  echo "$name $rps $p99 $non2xx $p50 $twin" >> "$SUMMARY"
done <<'CASES'
no-auth no-auth
no-auth(distinct) no-auth
valid-token(cache-on) no-auth
valid-cookie(cache-on) no-auth
distinct-tokens no-auth
invalid-token no-auth
api-key(cached) no-auth
no-auth(orgs-page) no-auth(orgs-page)
primary no-auth(orgs-page)
satellite no-auth(orgs-page)
org-sync no-auth(orgs-page)
bare-proxy bare-proxy
frontend-api-proxy bare-proxy
no-auth(api-key) no-auth(api-key)
api-key(cached,redis) no-auth(api-key)
ws-bare ws-bare
ws-clerk ws-bare
CASES

printf "\nmedian of %s rounds of %s, %s connections, %s server worker(s) on CPU %s\n" "$ROUNDS" "$DURATION" "$CONNECTIONS" "$WORKERS" "$SERVER_CPU"
printf "%-24s %12s %-20s %8s %10s %9s %10s %9s %8s\n" scenario "requests/s" vs ratio "p50" "p50 ratio" "p99" "p99 ratio" "non-2xx"
while read -r name rps p99 non2xx p50 twin; do
  read -r _ base_rps base_p99 _ base_p50 _ < <(awk -v t="$twin" '$1 == t' "$SUMMARY")
  awk -v n="$name" -v t="$twin" -v r="$rps" -v b="$base_rps" -v p="$p99" -v bp="$base_p99" -v m="$p50" -v bm="$base_p50" -v e="$non2xx" \
    'BEGIN { printf "%-24s %12.0f %-20s %8.3f %8.3fms %9.2f %8.3fms %9.2f %8s\n", n, r, t, r / b, m, m / bm, p, p / bp, e }'
done < "$SUMMARY"
echo
awk '$4 > 0 && $1 !~ /^invalid-token$/ {
  printf "WARNING: %s had %d non-2xx answers (or failed sockets): its figure is meaningless\n", $1, $4 }' "$SUMMARY"
if has core && [ "$MEMORY_REQUESTS" -gt 0 ]; then
  echo "resident memory: ${before} kB before, ${after} kB after $(grep -Eo '[0-9]+ requests' "$WORK/memory.txt" | head -1) with $DISTINCT distinct tokens ($(( (after - before) / 1024 )) MB growth)"
fi

# The cold path against its floor: a bare request (the distinct-token twin)
# plus one bare aws-lc-rs RSA check with a parsed key (benches/cold_path.rs,
# same tokens, measured now).
if has core; then
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
fi
