#!/usr/bin/env bash
# scripts/bench-http.sh [--json] [--duration S] [--connections C] [--threads T] [--breakdown]
#
# The HTTP edge benchmark of issue 6: audited record reads over HTTPS with keep-alive, against
# nginx serving a static 200 over TLS on the same machine in the same run.
#
# 1. A fresh data directory (init --demo) in a temp dir; `rxportal serve` on a free loopback
#    port, with --rate-per-source and --rate-per-account raised (one address makes every request; the default of 50/s
#    would answer 429s instead of measuring the edge).
# 2. Logs in as dr.care (the demo clinician in care): password, then TOTP (oathtool, code from
#    the 0600 credentials file); the session token goes to wrk as a Bearer header (no CSRF for
#    GET). Secrets are passed through files and pipes, never on a command line or stdout.
# 3. wrk -t T -c C -d S --latency: GET /v1/patients/{pid}/medications (each answer is sent only
#    after its RecordViewed event is committed), then the same wrk against nginx (its own temp
#    config: self-signed P-256 certificate, TLS 1.2/1.3, keep-alive, `return 200`, no access log).
# 4. Checks every request was a 200 and that the log holds at least one RecordViewed per read,
#    then prints the figures (one JSON object with --json). --breakdown adds two rxportal runs
#    that separate the edge's own cost from the audited read: GET /v1/me (TLS + HTTP + session
#    check, nothing written) and GET /nonexistent (TLS + HTTP + routing only, a 404).
# Both servers are stopped and the temp dir removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

json=0 duration=20 connections=64 threads=2 breakdown=0
usage() { echo "usage: scripts/bench-http.sh [--json] [--duration S] [--connections C] [--threads T] [--breakdown]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --json) json=1 ;;
    --breakdown) breakdown=1 ;;
    --duration) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "--duration: a whole number of seconds" >&2; usage; }; duration=$2; shift ;;
    --connections) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "--connections: a positive number" >&2; usage; }; connections=$2; shift ;;
    --threads) [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || { echo "--threads: a positive number" >&2; usage; }; threads=$2; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
  shift
done
[ "$threads" -le "$connections" ] || { echo "--threads must not exceed --connections" >&2; exit 2; }
say() { [ $json -eq 1 ] || echo "$@"; }

# ---- what the benchmark needs (Debian packages), installed only when missing ----
need=(wrk nginx-light curl jq oathtool openssl)
missing=()
for p in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nginx-full or -extras do as well as nginx-light.
if [[ " ${missing[*]} " == *" nginx-light "* ]] && command -v nginx >/dev/null; then
  missing=("${missing[@]/nginx-light}")
  read -r -a missing <<<"${missing[*]}"
fi
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

bin=${RXPORTAL_BIN:-build/rxportal}
if [ ! -x "$bin" ]; then
  scripts/install-deps.sh >&2
  scripts/build.sh build >&2
fi

# ---- temp dir, servers, cleanup ----
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rxp-bench-http-XXXXXX")  # TMPDIR=/dev/shm: a store without fsync cost
chmod 700 "$tmp"
serve_pid="" nginx_pid=""
cleanup() {
  [ -n "$serve_pid" ] && kill -TERM "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback port nothing listens on (a connect that fails), below the ephemeral range, where
# wrk's and curl's own connections take their local ports.
free_port() {
  local p low
  low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 12000 ] || low=32768
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (low - 10000)))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free loopback port found" >&2
  return 1
}

# Waits until `file` matches `regex` (20 s) while process `pid` lives; prints the first capture.
wait_for() {
  local file=$1 regex=$2 pid=$3
  for _ in $(seq 1 200); do
    if [[ -f $file && $(cat "$file") =~ $regex ]]; then echo "${BASH_REMATCH[1]}"; return 0; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "no '$regex' in $file:" >&2
  cat "$file" >&2 || true
  return 1
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

data=$tmp/data
"$bin" init --data "$data" --demo >/dev/null
creds=$data/demo-credentials.json
"$bin" serve --data "$data" --listen 127.0.0.1:0 --rate-per-source 1000000 --rate-per-account 1000000 >"$tmp/serve.log" 2>&1 &
serve_pid=$!
port=$(wait_for "$tmp/serve.log" 'serving https://127\.0\.0\.1:([0-9]+)' "$serve_pid")
base=https://127.0.0.1:$port
cert=$data/tls/server.crt

# ---- log in as the clinician in care (secrets via files and pipes only) ----
ua=rxp-bench-http  # the session is bound to the User-Agent: curl and wrk send the same one
jar=$tmp/cookies
(umask 077; : >"$jar")
field() { jq -r --arg u "$1" ".[] | select(.username == \$u) | .$2" "$creds"; }
pid=$(field pat.adult patient_id)
login=$(jq --arg u dr.care '.[] | select(.username == $u) | {username, password}' "$creds" |
  curl -sS --fail-with-body --cacert "$cert" -A "$ua" -c "$jar" -b "$jar" \
    -H 'Content-Type: application/json' --data-binary @- "$base/v1/auth/login")
login_id=$(jq -r .login_id <<<"$login")
code=$(field dr.care totp_secret | oathtool --totp -b -)
printf '{"login_id":"%s","code":"%s"}' "$login_id" "$code" |
  curl -sS --fail-with-body --cacert "$cert" -A "$ua" -c "$jar" -b "$jar" -o /dev/null \
    -H 'Content-Type: application/json' --data-binary @- "$base/v1/auth/mfa/totp"
unset code
token=$(awk '$6 == "__Host-rxp_session" { print $7 }' "$jar")
[ -n "$token" ] || { echo "login failed: no session cookie" >&2; exit 1; }

# wrk's script: the Bearer header (kept out of argv) and a machine-readable summary.
script=$tmp/bench.lua
(umask 077; cat >"$script" <<EOF
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["User-Agent"] = "$ua"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKRESULT {"requests":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end
EOF
)
unset token

path=/v1/patients/$pid/medications
status=$(curl -sS --cacert "$cert" -A "$ua" -H @<(echo "Authorization: Bearer $(awk '$6 == "__Host-rxp_session" { print $7 }' "$jar")") \
  -o /dev/null -w '%{http_code}' "$base$path")
[ "$status" = 200 ] || { echo "a single audited read answered $status, not 200" >&2; exit 1; }

# Runs wrk against a URL; prints its summary JSON.
run_wrk() {
  local out
  out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "$script" "$1")
  grep '^WRKRESULT ' <<<"$out" | cut -d' ' -f2-
}

say "rxportal: wrk -t$threads -c$connections -d${duration}s --latency GET $base$path (Bearer, audited)"
rxp=$(run_wrk "$base$path")
say "  $rxp"
me="" notfound="" two="" fsyncs=null
if [ $breakdown -eq 1 ]; then
  me=$(run_wrk "$base/v1/me")
  say "  GET /v1/me (session check, nothing written): $me"
  notfound=$(run_wrk "$base/nonexistent")
  say "  GET /nonexistent (TLS + HTTP + routing, 404): $notfound"
  # Both demo records in turn: a record answers one command at a time (each read awaits its
  # own durable RecordViewed), so two records should give about twice one.
  pid2=$(field pat.teen patient_id)
  cp "$script" "$tmp/two.lua"
  cat >>"$tmp/two.lua" <<EOF
local paths = {"$path", "/v1/patients/$pid2/medications"}
local n = 0
request = function() n = n + 1; return wrk.format("GET", paths[n % 2 + 1]) end
EOF
  script_one=$script
  script=$tmp/two.lua
  two=$(run_wrk "$base$path")
  script=$script_one
  say "  both demo records in turn (audited): $two"
  # Durable 4 KiB writes per second on the file system of the data directory.
  secs=$(LC_ALL=C dd if=/dev/zero of="$tmp/fsync.probe" bs=4k count=300 oflag=dsync 2>&1 | awk '/copied/ { print $(NF-3) }')
  fsyncs=$(awk -v s="$secs" 'BEGIN { printf "%.0f", 300 / s }')
  rm -f "$tmp/fsync.probe"
  say "  dd oflag=dsync on the data directory's file system: $fsyncs synchronous 4 KiB writes/s"
fi

# ---- stop rxportal, count the audit events it wrote ----
kill -TERM "$serve_pid"
wait "$serve_pid" || { echo "rxportal serve did not stop cleanly" >&2; exit 1; }
serve_pid=""
"$bin" verify --data "$data" >/dev/null
viewed=$("$bin" replay --data "$data" --stream "record/$pid" | grep -c '"RecordViewed"' || true)

# ---- nginx with its own config ----
ngx=$tmp/nginx
mkdir -p "$ngx/tmp"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
  -keyout "$ngx/server.key" -out "$ngx/server.crt" 2>/dev/null
chmod 600 "$ngx/server.key"
user_line=""
[ "$(id -u)" -ne 0 ] || user_line="user $(id -un) $(id -gn);"  # workers as the current user
# A port can be taken between the check and nginx's bind: then another port, up to 5 times.
for attempt in 1 2 3 4 5; do
  nport=$(free_port)
  cat >"$ngx/nginx.conf" <<EOF
$user_line
worker_processes $(nproc);
daemon off;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ngx/tmp/body;
  proxy_temp_path $ngx/tmp/proxy;
  fastcgi_temp_path $ngx/tmp/fastcgi;
  uwsgi_temp_path $ngx/tmp/uwsgi;
  scgi_temp_path $ngx/tmp/scgi;
  keepalive_timeout 65s;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$nport ssl;
    ssl_certificate $ngx/server.crt;
    ssl_certificate_key $ngx/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {
      default_type application/json;
      return 200 '{"status":"ok"}';
    }
  }
}
EOF
  "$nginx_bin" -p "$ngx" -c "$ngx/nginx.conf" -e "$ngx/error.log" &
  nginx_pid=$!
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$nport/" && break 2
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -QUIT "$nginx_pid" 2>/dev/null || true  # not answering: stop it before the next try
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
  [ "$attempt" -lt 5 ] || { echo "nginx did not start:" >&2; cat "$ngx/error.log" >&2; exit 1; }
done
say "nginx:    wrk -t$threads -c$connections -d${duration}s --latency GET https://127.0.0.1:$nport/ (static 200)"
ng=$(run_wrk "https://127.0.0.1:$nport/")
say "  $ng"
kill -QUIT "$nginx_pid"
wait "$nginx_pid" || true
nginx_pid=""

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
result=$(jq -n --argjson rxp "$rxp" --argjson ng "$ng" --argjson viewed "$viewed" \
  --argjson me "${me:-null}" --argjson nf "${notfound:-null}" --argjson two "${two:-null}" --argjson fs "$fsyncs" \
  --argjson c "$connections" --argjson t "$threads" --argjson d "$duration" \
  --arg kernel "$(uname -r)" --argjson nproc "$(nproc)" --arg lb "$load_before" --arg la "$load_after" '
  ($rxp.rps / $ng.rps) as $ratio
  | {rxportal: ($rxp + {audited_reads_recorded: $viewed}), nginx: $ng,
     ratio: (($ratio * 1000 | round) / 1000),
     targets: {ratio_min: 0.5, p99_max_ms: 20, ratio_met: ($ratio >= 0.5), p99_met: ($rxp.p99_ms <= 20)},
     connections: $c, wrk_threads: $t, duration_s: $d,
     machine: {nproc: $nproc, kernel: $kernel, load_avg_before: $lb, load_avg_after: $la}}
  + (if $me == null then {} else {breakdown: {me: $me, not_found: $nf, two_records: $two, dsync_writes_per_s: $fs}} end)')

# Every audited read must have been a 200 and have its RecordViewed in the log.
ok=$(jq '.rxportal.non2xx == 0 and .rxportal.socket_errors == 0 and .nginx.non2xx == 0
         and .rxportal.audited_reads_recorded >= .rxportal.requests' <<<"$result")
if [ $json -eq 1 ]; then
  echo "$result"
else
  jq -r '"rxportal \(.rxportal.rps) req/s (p50 \(.rxportal.p50_ms) ms, p99 \(.rxportal.p99_ms) ms); RecordViewed events: \(.rxportal.audited_reads_recorded) for \(.rxportal.requests) reads",
         "nginx    \(.nginx.rps) req/s (p50 \(.nginx.p50_ms) ms, p99 \(.nginx.p99_ms) ms)",
         "ratio \(.ratio) (target >= 0.5: \(.targets.ratio_met)); p99 target <= 20 ms: \(.targets.p99_met)",
         "machine: \(.machine.nproc) CPUs, kernel \(.machine.kernel), load average \(.machine.load_avg_before) before, \(.machine.load_avg_after) after"' <<<"$result"
fi
[ "$ok" = true ] || { echo "bench-http: errors, non-200 answers or missing audit events (see the figures)" >&2; exit 1; }
