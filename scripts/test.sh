#!/usr/bin/env bash
# Installs creditflow with every extra and the test tools, then runs the whole test suite.
# PostgreSQL tests start a throw-away server from the local PostgreSQL binaries when installed.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[all]" "pytest>=8" "hypothesis>=6.100" "aiosmtpd>=1.4" \
    "mypy>=1.10" "ruff>=0.6" "nox>=2024.4"
set +e
python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that is a failure for a suite that must run.
if [ "$status" -eq 5 ]; then echo "no tests were collected" >&2; exit 1; fi
exit "$status"
