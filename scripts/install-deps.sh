#!/usr/bin/env bash
# Installs the Debian 12 packages rxportal builds and tests with, only those missing.
# Runs apt-get as root, or through sudo when not root.
set -euo pipefail
packages=(
  g++ cmake make pkg-config
  libsodium-dev libsqlite3-dev sqlite3 libssl-dev
  libboost-test-dev libcereal-dev nlohmann-json3-dev libcli11-dev libcaf-dev oathtool
  libnats-dev nats-server  # SIEM export to a NATS subject; its integration test runs a server
  curl jq  # the login example the run command prints
  clang libclang-rt-14-dev  # clang++ and libFuzzer for the WebAuthn parser fuzz test
  libpq-dev postgresql  # the PostgreSQL event store; its tests start throw-away servers (pgcrypto: bench)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
