#!/usr/bin/env bash
# Issue 18, item 2: the core's tests of the modules with `unsafe` blocks, run
# under valgrind's memcheck; any invalid read or write, use of uninitialised
# memory or bad free fails the run (exit 3). The core is built with the system
# allocator for this (the `system-allocator` feature, see src/lib.rs): memcheck
# checks malloc's blocks and cannot see inside mimalloc's pages. The test
# command (tasks.py, CORE_TEST_FEATURES) runs the core's tests with the same
# flags first (the workspace's, with the fuzz crate: the flags decide the
# features and so the binary), so this finds their test binary built.
#
#   bash scripts/memcheck.sh            # small tests that reach every unsafe block
#   bash scripts/memcheck.sh --all      # every test of those modules (minutes)
#   bash scripts/memcheck.sh <filter>   # other tests of the core (cargo test filters)
#
# Valgrind hides AVX-512 from the program, so `money::from_f64_slice_avx512`
# is not run here (its test compares it with the plain path on such CPUs).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v valgrind >/dev/null; then
    echo "memcheck: valgrind is not installed (Debian/Ubuntu: apt install valgrind)" >&2
    exit 1
fi
bin=$(cargo test -q --workspace --no-default-features --features custseg/system-allocator --lib --no-run \
    --message-format=json |
    python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["kind"] == ["cdylib", "rlib"]:
        print(m["executable"])')
# Which tests reach which unsafe block was checked by printing a marker in
# each block (docs/reliability.md): scatter:: reaches scatter.rs's three;
# keys::strings the four of keys/strings.rs (repeats, both hashed
# partitions, the sorted front) and keys/order.rs's; the small-batches
# segment test both of store/runs.rs.
filters=("$@")
if [ ${#filters[@]} -eq 0 ]; then
    filters=(scatter:: keys::strings segment::tests::small_batches)
elif [ "$1" = "--all" ]; then
    filters=(scatter:: store:: keys:: money:: segment::tests::small_batches segment::tests::i5_)
fi
RAYON_NUM_THREADS=2 valgrind --tool=memcheck --error-exitcode=3 --leak-check=no -q \
    "$bin" --test-threads=1 -q "${filters[@]}"
echo "memcheck: 0 errors in the tests matching ${filters[*]}"
