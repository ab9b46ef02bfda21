#!/usr/bin/env bash
# Two builds of `pacta` serving the same database in turn, under the same full-text search
# load (bench/search.lua): a ratio from one run, on a shared and noisy machine.
#
#   bench/ab-search.sh OLD_BINARY NEW_BINARY sqlite:///tmp/bench/pacta-1m.db [ROUNDS]
#
# Each round starts one binary, times its first search with curl (cold: the new build
# then counts the public totals it caches per index generation), warms it up for 3 s with
# the same load (the new build remembers each word's public count per generation), runs
# wrk for 8 s with 2 connections, and stops it; then the other. Needs wrk and curl.
set -eu
old=$1 new=$2 db=$3 rounds=${4:-3}
addr=127.0.0.1:18080
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ab-lib.sh"
for round in $(seq 1 "$rounds"); do
  for bin in "$old" "$new"; do
    serve "$bin" "$db" "$addr"
    echo "== round $round $bin"
    curl -s -o /dev/null -w "first search %{time_total} s\n" "http://$addr/api/v1/incidents?q=energy"
    wrk -t2 -c2 -d3s -s "$here/search.lua" "http://$addr" >/dev/null
    wrk -t2 -c2 -d8s --latency -s "$here/search.lua" "http://$addr" | grep -E "^ +(50|99)%|Requests/sec|Non-2xx"
    unserve
  done
done
