#!/usr/bin/env bash
# Create .venv/ with balancebc, its pipeline tools and test dependencies (safe to rerun).
# As root on Debian it also installs Mesa's EGL and OSMesa, which MuJoCo renders camera
# images with on a machine without a GPU (scenarios with `cameras`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  if ! dpkg -s libegl-mesa0 libosmesa6 libgl1 >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libegl1 libegl-mesa0 libosmesa6 libgl1 >/dev/null
  fi
else
  echo "setup: not root or not Debian: install Mesa's EGL (libegl-mesa0) or OSMesa (libosmesa6) yourself for camera scenarios" >&2
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
