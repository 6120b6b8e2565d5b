#!/usr/bin/env bash
# Create .venv/ with balancebc, its pipeline tools and test dependencies (safe to rerun).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
