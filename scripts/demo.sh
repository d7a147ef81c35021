#!/usr/bin/env bash
# Set everything up and run the demo: import the example care-data bundle into a demo data
# directory and answer a few spoken-style questions, in Swedish and English, on its day.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HEMASSIST_DATA_DIR=${HEMASSIST_DATA_DIR:-$PWD/.demo-data}
exec .venv/bin/hemassist demo --bundle tests/data/example-bundle.json "$@"
