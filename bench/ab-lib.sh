# Shared by the A/B scripts: one `pacta` binary serving a database, started and stopped.
# Source it; `serve BIN DB ADDR` starts BIN and returns once it answers (the pid is in
# $pid), `unserve` stops it.
serve() {
  "$1" --db "$2" serve --listen "$3" --rate-limit 0 --log warn >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://$3/api/v1/incidents?limit=1" && return 0; sleep 1; done
  echo "$1 did not answer on $3 within 120 s" >&2
  return 1
}

unserve() {
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
