#!/usr/bin/env bash
# The main job on the embedded default store: install what is missing, build, create the data
# directory with the demo population when it is new (init --demo), verify it, say how to log in,
# then serve the API over HTTPS in the foreground until Ctrl-C (SIGINT) or SIGTERM.
#   RXPORTAL_DATA    the data directory (default: ./data in the repository)
#   RXPORTAL_LISTEN  HOST:PORT to serve on (default: 127.0.0.1:8443)
# Passwords and TOTP secrets are never printed: they stay in DIR/demo-credentials.json (0600).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
data=${RXPORTAL_DATA:-data}
listen=${RXPORTAL_LISTEN:-127.0.0.1:8443}
bin=build/rxportal
if [ ! -e "$data/events.db" ]; then
  echo "--- new data directory $data: creating the demo population"
  $bin init --data "$data" --demo
fi
$bin verify --data "$data"

base=https://$listen
cert=$data/tls/server.crt
creds=$data/demo-credentials.json
# serve runs as a child so the login instructions come after its own lines; Ctrl-C (SIGINT to
# the whole foreground group) or SIGTERM to this script stops it cleanly (it waits for both).
$bin serve --data "$data" --listen "$listen" &
serve=$!
trap 'kill -TERM "$serve" 2>/dev/null || true' INT TERM
for _ in $(seq 1 300); do
  kill -0 "$serve" 2>/dev/null || { wait "$serve" || exit $?; exit 1; }  # it could not start
  [ -f "$cert" ] && curl -sf --cacert "$cert" -o /dev/null "$base/healthz" && break
  sleep 0.1
done
echo "--- rxportal on $base (data directory $data; self-signed certificate $cert)"
if [ -f "$creds" ]; then
  cat <<EOF
Demo accounts (role, username, password, TOTP secret, ids): $creds (mode 0600; not shown here).
Log in as the clinician in care (dr.care) with curl; the cookie jar 'jar' then holds the session:
  F=$creds C=$cert B=$base
  jq '.[] | select(.username=="dr.care") | {username, password}' \$F |
    curl -sS --cacert \$C -c jar -b jar -H 'Content-Type: application/json' --data-binary @- \$B/v1/auth/login
  # answers {"status":"mfa_required","methods":[...],"login_id":"..."}; then, with that login_id:
  code=\$(jq -r '.[] | select(.username=="dr.care") | .totp_secret' \$F | oathtool --totp -b -)
  curl -sS --cacert \$C -c jar -b jar -H 'Content-Type: application/json' \\
    -d "{\"login_id\":\"LOGIN_ID\",\"code\":\"\$code\"}" \$B/v1/auth/mfa/totp
  curl -sS --cacert \$C -b jar \$B/v1/me
  pid=\$(jq -r '.[] | select(.username=="pat.adult") | .patient_id' \$F)
  curl -sS --cacert \$C -b jar \$B/v1/patients/\$pid/medications   # recorded: a RecordViewed event
  # POST/DELETE with the cookie also need -H "X-CSRF-Token: <csrf_token from the mfa answer>".
Health: curl --cacert \$C \$B/healthz (200 while the store takes writes).
EOF
else
  echo "No demo credentials in $data (not made with --demo): log in with the accounts made there."
fi
echo "Stop with Ctrl-C."
status=0
wait "$serve" || status=$?
# A trapped signal ends the first wait early: wait again for serve's own exit status.
while kill -0 "$serve" 2>/dev/null; do
  status=0
  wait "$serve" || status=$?
done
exit "$status"
