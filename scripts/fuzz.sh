#!/usr/bin/env bash
# Runs every `fuzz_*` property (the slash-command parsers, mention parsing and
# Slack body decoding) with a million cases each, one at a time, and prints how
# long each took. Built with the `fuzz` profile: release optimisations plus
# overflow checks and debug assertions, so silent overflow fails too.
#
#   scripts/fuzz.sh                    # a million cases each
#   PROPTEST_CASES=10000 scripts/fuzz.sh   # a quick pass
#   scripts/fuzz.sh fuzz_kudos         # only the properties matching a filter
#
# A failure is shrunk to a minimal input, saved under proptest-regressions/
# (commit it) and printed; keep it as a named regression test beside the parser.
set -euo pipefail
cd "$(dirname "$0")/.."

export PROPTEST_CASES="${PROPTEST_CASES:-1000000}"
filter="${1:-fuzz_}"

cargo test --profile fuzz --lib --no-run --quiet
names=$(cargo test --profile fuzz --lib --quiet -- --list "$filter" 2>/dev/null | sed -n 's/: test$//p')
if [ -z "$names" ]; then
    echo "no property matches $filter" >&2
    exit 1
fi

printf '%s cases per property\n' "$PROPTEST_CASES"
failed=0
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
total_start=$(now)
for name in $names; do
    start=$(now)
    if cargo test --profile fuzz --lib --quiet -- --exact "$name" >"/tmp/fuzz-$$.log" 2>&1; then
        outcome=ok
    else
        outcome=FAILED
        failed=1
        cat "/tmp/fuzz-$$.log"
    fi
    printf '%-60s %8s s  %s\n' "$name" "$(elapsed "$start")" "$outcome"
done
rm -f "/tmp/fuzz-$$.log"
printf 'total %s s\n' "$(elapsed "$total_start")"
exit "$failed"
