#!/usr/bin/env bash
# Set everything up and run the demo: import the example care-data bundle, answer spoken-style
# questions in Swedish and English on its day, and send the anonymous usage statistics to a
# private Mosquitto started for the demo (its files live in .demo-data/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HEMASSIST_DATA_DIR=${HEMASSIST_DATA_DIR:-$PWD/.demo-data}
# The example bundle is for 2026-11-24; keep it past the normal retention so the demo always runs.
export HEMASSIST_STORE__RETENTION_DAYS=${HEMASSIST_STORE__RETENTION_DAYS:-3650}
exec .venv/bin/python scripts/demo.py "$@"
