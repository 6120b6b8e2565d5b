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

# CALVIN's simulator for the calvin_pick / calvin_open scenarios (calvin_env, not on the
# package index): from the folder CALVIN_ENV_SOURCE names if set, else from its public
# repository. Without it everything else installs and works; those scenarios say at
# `balancebc check-params` what to install.
install_calvin_env() {
  local dest=.venv/src/calvin_env
  if .venv/bin/python -c "import calvin_env, pybullet" 2>/dev/null && [ -d "$dest/.git" ]; then
    return 0
  fi
  rm -rf "$dest" && mkdir -p .venv/src
  if [ -n "${CALVIN_ENV_SOURCE:-}" ]; then
    cp -r "$CALVIN_ENV_SOURCE" "$dest"
    # calvin_env records its git commit whenever an env is made: the copy gets a repository of its own
    git -C "$dest" init -q && git -C "$dest" add -A \
      && git -C "$dest" -c user.name=setup -c user.email=setup@localhost commit -qm "calvin_env from $CALVIN_ENV_SOURCE"
  else
    git clone -q https://github.com/mees/calvin_env.git "$dest" && git -C "$dest" checkout -q 797142c
  fi
  .venv/bin/python -m pip install --quiet "pybullet==3.2.7" && .venv/bin/python -m pip install --quiet -e "$dest"
}
install_calvin_env || echo "setup: calvin_env could not be installed; the CALVIN scenarios (calvin_pick, calvin_open) need it" >&2
