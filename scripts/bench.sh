#!/usr/bin/env bash
# Set up, then run the benchmarks (not part of the tests: timings need a quiet machine).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/python -m bench.bench_templates "$@"
.venv/bin/python -m bench.bench_telemetry
.venv/bin/python -m bench.bench_dashboard
.venv/bin/python -m bench.bench_dashboard --postgres
.venv/bin/python -m bench.bench_llm
.venv/bin/python -m bench.bench_speech --speech "${HEMASSIST_SPEECH_DIR:-../shared/speech}"
.venv/bin/python -m bench.bench_understanding
.venv/bin/python -m bench.bench_spoken --language en --speech "${HEMASSIST_SPEECH_DIR:-../shared/speech}"
.venv/bin/python -m bench.bench_spoken --language sv --speech "${HEMASSIST_SPEECH_DIR:-../shared/speech}"
