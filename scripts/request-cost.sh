#!/usr/bin/env bash
# Instructions and allocations per request for each path of
# benches/request_cost.rs: callgrind counts the measured loop alone
# (instructions are repeatable on a busy machine, where time is not).
#
#   scripts/request-cost.sh                  # every path
#   PATHS="no_auth bearer_cached" N=5000 scripts/request-cost.sh
#   ANNOTATE=1 scripts/request-cost.sh       # + the top functions of each path
#
# Needs valgrind. Prints, per path: instructions per request, the difference
# to no_auth (what authentication adds), and allocations per request.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-2000}
PATHS=${PATHS:-"no_auth bearer_cached cookie_cached api_key_cached cold rsa_floor"}
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"' EXIT

# Line tables only: function names for the annotation, the same code.
BIN=$(CARGO_PROFILE_BENCH_DEBUG=line-tables-only cargo bench -q --bench request_cost --no-run \
  --message-format=json 2>/dev/null | sed -n 's/.*"executable":"\([^"]*request_cost[^"]*\)".*/\1/p' | tail -1)
[ -x "$BIN" ] || { echo "could not build benches/request_cost.rs" >&2; exit 1; }

printf "%-16s %14s %14s %12s\n" path "instr/request" "- no_auth" "allocs/req"
base=""
for path in $PATHS; do
  out="$WORK/$path.out"
  REQUEST_COST_PATH=$path REQUEST_COST_N=$N valgrind --tool=callgrind \
    --callgrind-out-file="$out" --toggle-collect='*request_cost::measure*' \
    "$BIN" > "$WORK/$path.txt" 2> "$WORK/$path.err"
  total=$(awk '/^summary:/ {print $2}' "$out")
  per=$(( total / N ))
  allocs=$(awk -v p="$path" '$1 == p {print $2}' "$WORK/$path.txt")
  [ "$path" = no_auth ] && base=$per
  delta="-"
  [ -n "$base" ] && delta=$(( per - base ))
  printf "%-16s %14s %14s %12s\n" "$path" "$per" "$delta" "$allocs"
  if [ -n "${ANNOTATE:-}" ]; then
    callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/^-* *$/,$p' | grep -v '^-' | head -n "${TOP:-25}" \
      | sed 's/^/    /' || true # head closes the pipe early: not a failure
  fi
done
