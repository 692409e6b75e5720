#!/bin/sh
# Long fault runs: the suite's fault tests in release mode with a long Slack
# outage / 429 storm (NEEDFUL_OUTAGE_SECS, default 180) and any other kill -9
# seed (NEEDFUL_FAULTS_SEED). Results are printed per test (--nocapture).
set -eu
cd "$(dirname "$0")/.."
export NEEDFUL_OUTAGE_SECS="${NEEDFUL_OUTAGE_SECS:-180}"
exec cargo test --release --test e2e -- --include-ignored --nocapture faults:: "$@"
