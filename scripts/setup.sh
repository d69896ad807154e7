#!/usr/bin/env bash
# Installs everything the project needs on Debian 12: Python, the PostgreSQL server with
# PostGIS, Chromium for the web-map test, git for the fresh-clone test, Debian's GDAL
# command-line tools for the STACIT client test and ortho-rectification (with the EGM96 geoid
# grid of proj-data), nginx for the reverse-proxy test, and the
# Python package with its dependencies in .venv. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(python3 python3-venv postgresql-15 postgresql-15-postgis-3 chromium git gdal-bin proj-data nginx)
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The Debian package starts its own cluster on 5432; the project runs its own, so that one is
# left alone.

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# The Python package again only when its requirements changed since the last install.
stamp=.venv/.dinamis-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  echo "$wanted" > "$stamp"
fi
echo "Setup done."
