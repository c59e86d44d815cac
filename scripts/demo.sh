#!/usr/bin/env bash
# Installs creditflow and runs the demo: sixty days of dunning for one unpaid invoice.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet -e ".[cli]"
python examples/quickstart.py
