#!/usr/bin/env bash
# Set everything up and run the demo: import the example care-data bundle into a demo data
# directory and answer a few spoken-style questions, in Swedish and English, on its day.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HEMASSIST_DATA_DIR=${HEMASSIST_DATA_DIR:-$PWD/.demo-data}
# The example bundle is for 2026-11-24; keep it past the normal retention so the demo always runs.
export HEMASSIST_STORE__RETENTION_DAYS=${HEMASSIST_STORE__RETENTION_DAYS:-3650}
exec .venv/bin/hemassist demo --bundle tests/data/example-bundle.json "$@"
