#!/usr/bin/env bash
# The benchmark-only environment: the PyPI `matching` package (hospital–residents, 1.4.x)
# shares its import name with ours, so it lives in its own venv and is run in a subprocess
# (benchmarks/hr_worker.py); LEMON's network simplex (pylmcf) is the second min-cost-flow
# algorithm of `make bench-solve` (benchmarks/flow_worker.py). Idempotent; uses only the
# package registry. The stamp names the package set: a new set reinstalls.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-baselines"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
stamp="$venv/.installed-v2"
if [[ -f "$stamp" ]]; then
    exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "matching>=1.4,<1.5" "numpy>=1.26" "pylmcf>=1.3,<2"
"$venv/bin/python" -I -c "import matching.games, numpy, pylmcf; print('baseline venv ready:', matching.__version__, pylmcf.__version__)"
touch "$stamp"
