#!/usr/bin/env bash
# Load check (not a test): `tia serve` answering POST /api/assess under wrk.
#
#   benches/load.sh                     # 2 threads, 32 connections, 30 s
#   DURATION=10s CONNECTIONS=64 benches/load.sh
#
# Builds the release binary, starts the server on a temporary SQLite database with a random API
# token, checks one request, runs wrk with benches/assess.lua (examples/stockholm-m365.yaml, or
# TIA_LOAD_MODEL), prints requests/s, latency percentiles and errors, and stops the server.
# Exits 1 when the target is missed: MIN_RPS (2000) requests/s, p99 under MAX_P99_MS (50),
# no non-2xx responses and no socket errors. Needs wrk (`sudo apt-get install -y wrk`) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-32}"
DURATION="${DURATION:-30s}"
MIN_RPS="${MIN_RPS:-2000}"
MAX_P99_MS="${MAX_P99_MS:-50}"
export TIA_LOAD_MODEL="${TIA_LOAD_MODEL:-examples/stockholm-m365.yaml}"

for tool in wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "error: $tool is not installed (sudo apt-get install -y $tool)" >&2; exit 1; }
done

echo "== cargo build --release"
cargo build --release --locked --quiet
tia="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/tia"

work="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

TIA_API_TOKEN="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
export TIA_API_TOKEN
# Port 0: the system picks a free port; the server logs the address it listens on.
env -u TIA_AUTH_FILE -u TIA_USER -u TIA_PASSWORD_HASH \
  "$tia" serve --db "$work/tia.db" --addr 127.0.0.1:0 --log-json >"$work/serve.log" 2>&1 &
server=$!
addr=""
for _ in $(seq 100); do
  addr="$(grep -o '"addr":"[^"]*"' "$work/serve.log" | head -n1 | cut -d'"' -f4 || true)"
  [ -n "$addr" ] && break
  kill -0 "$server" 2>/dev/null || { echo "error: tia serve exited:" >&2; cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$addr" ] || { echo "error: tia serve did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }
url="http://$addr"

# One request first: a wrong token or an invalid model would make every request fail.
status="$(curl -s -o "$work/first.json" -w '%{http_code}' -X POST "$url/api/assess" \
  -H "Authorization: Bearer $TIA_API_TOKEN" -H 'Content-Type: application/yaml' \
  --data-binary "@$TIA_LOAD_MODEL")"
if [ "$status" != 200 ]; then
  echo "error: POST /api/assess answered $status:" >&2
  cat "$work/first.json" >&2
  exit 1
fi
echo "== $(nproc) cores; POST $url/api/assess ($TIA_LOAD_MODEL, $(wc -c <"$TIA_LOAD_MODEL") bytes)"
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s benches/assess.lua "$url" | tee "$work/wrk.txt"

line="$(grep '^LOAD ' "$work/wrk.txt")"
value() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$line"; }
rps="$(value rps)"; p99="$(value p99_ms)"; errors="$(value errors)"
echo
echo "requests/s: $rps (target >= $MIN_RPS)"
echo "p99:        $p99 ms (target < $MAX_P99_MS ms)"
echo "errors:     $errors (non-2xx $(value non2xx), socket $(value socket_errors); target 0)"
if awk -v r="$rps" -v p="$p99" -v e="$errors" -v mr="$MIN_RPS" -v mp="$MAX_P99_MS" \
  'BEGIN { exit !(r >= mr && p < mp && e == 0) }'; then
  echo "target met"
else
  echo "target MISSED"
  exit 1
fi
