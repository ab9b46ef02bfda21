#!/bin/bash
# usage (from the repository root): bench/restart-search.sh LABEL [serve args...]
# Seconds from starting `pacta serve` on $PACTA_BENCH_DB to its log line about the search
# index, and the time of one search right after it.
label=$1; shift
U=${PACTA_BENCH_DB:-postgres://postgres@127.0.0.1:5432/pacta_bench}
t0=$(date +%s.%N)
PACTA_LOG_KEY=${TMPDIR:-/tmp}/pacta-bench.key PACTA_VAULT=${TMPDIR:-/tmp}/pacta-bench-vault target/release/pacta --db $U serve --listen 127.0.0.1:18080 --rate-limit 0 --log info "$@" > ${TMPDIR:-/tmp}/pacta-serve.out 2> ${TMPDIR:-/tmp}/pacta-serve.err &
pid=$!
while ! grep -q "search index" ${TMPDIR:-/tmp}/pacta-serve.err; do
  kill -0 $pid 2>/dev/null || { echo "$label: the server stopped:"; cat ${TMPDIR:-/tmp}/pacta-serve.err; exit 1; }
  sleep 0.05
done
t1=$(date +%s.%N)
code=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:18080/api/v1/incidents?q=ransomware")
echo "$label: $(echo "$t1 - $t0" | bc) s to ready; first search $code; $(grep 'search index' ${TMPDIR:-/tmp}/pacta-serve.err | sed 's/.*search index/search index/')"
kill $pid; wait $pid 2>/dev/null
