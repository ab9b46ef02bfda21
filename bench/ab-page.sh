#!/usr/bin/env bash
# Two builds of `pacta` serving the same database in turn, under the same incident-page
# load: the way to quote a speed-up on a shared, noisy machine (a ratio from one run).
#
#   bench/ab-page.sh OLD_BINARY NEW_BINARY sqlite:///tmp/bench/pacta-1m.db [ROUNDS]
#
# Each round starts one binary, warms it up for 3 s, runs wrk for 8 s with 2 and then 32
# connections, and stops it; then the other. The ids come from the first server started
# (bench/make_ids.py), so both serve the same pages. Needs wrk and curl.
set -eu
old=$1 new=$2 db=$3 rounds=${4:-3}
addr=127.0.0.1:18080
lua=$(mktemp --suffix=.lua)
trap 'rm -f "$lua"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ab-lib.sh"
for round in $(seq 1 "$rounds"); do
  for bin in "$old" "$new"; do
    serve "$bin" "$db" "$addr"
    [ -s "$lua" ] || python3 "$here/make_ids.py" "http://$addr" /incidents/ "$lua" >/dev/null
    wrk -t2 -c2 -d3s -s "$lua" "http://$addr" >/dev/null
    for c in 2 32; do
      echo "== round $round $bin, $c connections"
      wrk -t2 -c"$c" -d8s --latency -s "$lua" "http://$addr" | grep -E "^ +(50|99)%|Requests/sec|Non-2xx"
    done
    unserve
  done
done
