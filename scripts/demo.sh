#!/usr/bin/env bash
# Set everything up and run the demo: import the example care-data bundle, answer spoken-style
# questions in Swedish and English on its day, and send the anonymous usage statistics to a
# private Mosquitto started for the demo (its files live in .demo-data/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HEMASSIST_DATA_DIR=${HEMASSIST_DATA_DIR:-$PWD/.demo-data}
# `hemassist demo` places the example bundle's visits on today, so the demo works on any date
# with the normal retention.
exec .venv/bin/python scripts/demo.py "$@"
