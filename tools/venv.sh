#!/usr/bin/env bash
# Creates (once per requirements change) the Python venv with the test tools; prints its path.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
key=$( (cat "$here/requirements.txt"; python3 --version) | sha256sum | cut -c1-10)
venv="$cache/venv-$key"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi
echo "$venv"
