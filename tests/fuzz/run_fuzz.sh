#!/usr/bin/env bash
# tests/fuzz/run_fuzz.sh SOURCE_DIR OUT_DIR [SECONDS]
# Builds tests/fuzz/webauthn_fuzz.cpp with clang++ and libFuzzer (+ ASan + UBSan) straight from
# the sources it needs, then fuzzes for SECONDS (default 20) starting from the checked-in seeds
# in tests/fuzz/corpus (new inputs go to OUT_DIR/corpus, never into the source tree).
# Exit status: 0 when the run finished without a finding; non-zero when the fuzzer found a
# crash, leak, timeout or sanitizer report (the input is saved under OUT_DIR/artifacts/), or
# when clang++ / libFuzzer is missing: this test never skips silently.
# libFuzzer on Debian 12: packages clang-14 (clang++) and libclang-rt-14-dev
# (libclang_rt.fuzzer-x86_64.a); the compiler is RXP_FUZZ_CXX, default clang++.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 SOURCE_DIR OUT_DIR [SECONDS]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
out=$2
secs=${3:-20}
cxx=${RXP_FUZZ_CXX:-clang++}
mkdir -p "$out/corpus" "$out/artifacts"
out=$(cd "$out" && pwd)

fail() {
  echo "FUZZ FAILED: $*" >&2
  exit 1
}

command -v "$cxx" >/dev/null 2>&1 ||
  fail "$cxx not found: install clang-14 and libclang-rt-14-dev (libFuzzer)"

# Probe for the libFuzzer runtime first, so that a missing package is named plainly.
probe="$out/probe.cpp"
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
  'extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }' >"$probe"
"$cxx" -fsanitize=fuzzer,address,undefined "$probe" -o "$out/probe" 2>"$out/probe.log" ||
  fail "$cxx cannot link -fsanitize=fuzzer (see $out/probe.log): install libclang-rt-14-dev"

sources=(
  "$src/tests/fuzz/webauthn_fuzz.cpp"
  "$src/actors/identity/cbor.cpp"
  "$src/actors/identity/cose.cpp"
  "$src/actors/identity/webauthn.cpp"
  "$src/infra/bytes.cpp"
  "$src/infra/result.cpp"
  "$src/infra/secure.cpp"
)
echo "building $out/webauthn_fuzz with $cxx"
"$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wextra -Werror -I"$src" "${sources[@]}" -lsodium -lcrypto -o "$out/webauthn_fuzz" ||
  fail "could not build the fuzzer"

rm -f "$out/artifacts"/*
echo "fuzzing for ${secs}s"
status=0
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$out/webauthn_fuzz" "$out/corpus" "$src/tests/fuzz/corpus" \
  -max_total_time="$secs" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$out/artifacts/" -print_final_stats=1 || status=$?
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$out/artifacts")" ]; then
  fail "libFuzzer exit status $status; findings in $out/artifacts: $(ls "$out/artifacts" | tr '\n' ' ')"
fi
echo "fuzz run clean"
