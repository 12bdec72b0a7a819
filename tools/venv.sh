#!/usr/bin/env bash
# Creates (once per requirements change) the Python venv with the test tools; prints its path.
# pip's output goes to a log file under ~/.cache/hookwright/logs, named on failure.
# An optional argument names another requirements file (e.g. tools/bench-requirements.txt, the
# chart tools of `make bench`): its own venv, so the test venv does not change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HOOKWRIGHT_CACHE:-$HOME/.cache/hookwright}
reqs=${1:-$here/requirements.txt}
key=$( (cat "$reqs"; python3 --version) | sha256sum | cut -c1-10)
venv="$cache/venv-$key"
if [ ! -f "$venv/.complete" ]; then
  mkdir -p "$cache/logs"
  log="$cache/logs/venv.log"
  echo "python venv: installing the tools of $reqs from PyPI into $venv" >&2
  rm -rf "$venv"
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install --disable-pip-version-check -r "$reqs"; } >"$log" 2>&1; then
    echo "python venv: FAILED; the last lines of $log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  touch "$venv/.complete"
fi
echo "$venv"
