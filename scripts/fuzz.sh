#!/usr/bin/env bash
# Coverage-guided fuzzing of the core (issue 18, item 1): each cargo-fuzz
# target (fuzz/fuzz_targets/) under libFuzzer for SECONDS (default 60), adding
# what it finds to fuzz/corpus/<target>/ (kept in the repository, replayed by
# the test command). A failure is written to fuzz/artifacts/<target>/: move it
# to fuzz/regressions/<target>/ with a name that says what it found, once fixed.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]    # targets: ingest interning periods text btyd
#
# Runs on stable Rust without a sanitizer (the unsafe blocks are checked under
# valgrind by scripts/memcheck.sh); CUSTSEG_FUZZ_SANITIZER=address with a
# nightly toolchain (`RUSTUP_TOOLCHAIN=nightly`) adds AddressSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(ingest interning periods text btyd)
fi
# The package's release profile (fat LTO, stripped) suits the wheel, not a fuzzer.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_STRIP=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_DEBUG=1
for t in "${targets[@]}"; do
    cargo fuzz run "$t" --features libfuzzer -s "${CUSTSEG_FUZZ_SANITIZER:-none}" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1
done
