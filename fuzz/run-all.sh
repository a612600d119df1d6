#!/usr/bin/env bash
# Builds every fuzz target (those `cargo fuzz list` names) and runs each for
# a bounded time, with its dictionary fuzz/dict/<target>.dict when it has
# one.
#
#   fuzz/run-all.sh [SECONDS]      # per target; default 30
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Works on stable
# Rust through RUSTC_BOOTSTRAP=1, which cargo-fuzz needs for its -Z flags.
# FUZZ_SANITIZER picks the sanitizer: `none` (default; the workspace forbids
# unsafe code, and without ASan a run gets about four times the executions)
# or `address`.
#
# Exits non-zero if the build fails or any target fails; every target runs
# either way, and each failure is named with its reproducer.
set -uo pipefail

seconds="${1:-30}"
sanitizer="${FUZZ_SANITIZER:-none}"
# A fixed seed by default, so that a CI run explores the same inputs each
# time; FUZZ_SEED=0 lets libFuzzer pick one.
seed="${FUZZ_SEED:-1}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS]  (a positive number of seconds per target)" >&2
    exit 2
fi
cd "$(dirname "$0")/.." || exit 2
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz --locked" >&2
    exit 2
fi

mapfile -t targets < <(cargo fuzz list)
if [ "${#targets[@]}" -eq 0 ]; then
    echo "no fuzz targets found" >&2
    exit 2
fi

echo "== building ${targets[*]} (sanitizer: $sanitizer)"
if ! cargo fuzz build -s "$sanitizer"; then
    echo "FAILED: cargo fuzz build" >&2
    exit 1
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
failed=()
for target in "${targets[@]}"; do
    dict=()
    if [ -f "fuzz/dict/$target.dict" ]; then
        dict=(-dict="$PWD/fuzz/dict/$target.dict")
    fi
    echo "== fuzzing $target for ${seconds}s ${dict[*]}"
    cargo fuzz run -s "$sanitizer" "$target" -- \
        -max_total_time="$seconds" -timeout=10 -seed="$seed" -print_final_stats=1 "${dict[@]}" 2>&1 | tee "$log"
    if [ "${PIPESTATUS[0]}" -eq 0 ]; then
        echo "== $target: ok"
    else
        failed+=("$target")
        echo "FAILED: $target" >&2
        sed -n 's/.*Test unit written to //p' "$log" | while read -r artifact; do
            echo "  reproducer: $artifact" >&2
            echo "  replay:     RUSTC_BOOTSTRAP=1 cargo fuzz run -s $sanitizer $target $artifact" >&2
            echo "  as input:   RUSTC_BOOTSTRAP=1 cargo fuzz fmt -s $sanitizer $target $artifact" >&2
        done
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "FAILED targets: ${failed[*]}" >&2
    exit 1
fi
echo "all ${#targets[@]} fuzz targets passed (${seconds}s each)"
