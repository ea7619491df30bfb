#!/usr/bin/env bash
# Makes (once) the Python virtual environment of the client tests and prints its interpreter's path.
#
# The environment holds server/src/test/python/requirements.txt and lives in ~/.cache/strongroom (or
# $XDG_CACHE_HOME/strongroom), named by a hash of that file and of the interpreter, so a rerun reuses it and a
# change of either makes a new one. It is built by Debian's python3 (apt: python3-venv) from the machine's local
# package index when there is one (/opt/pypi/simple, or STRONGROOM_PIP_INDEX), otherwise from pip's default index.
# ./test runs this and hands the path to PythonClientsIT as STRONGROOM_PYTHON; run alone it does the same for an
# IDE or a single mvn -Dtest run. Progress goes to stderr; stdout is only the path.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
req="$top/server/src/test/python/requirements.txt"
python=${STRONGROOM_VENV_BASE_PYTHON:-/usr/bin/python3}

if [ ! -x "$python" ]; then
  echo "python-venv: $python is missing; install it with: apt-get install -y python3 python3-venv" >&2
  exit 1
fi
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "python-venv: $python cannot make virtual environments; install them with: apt-get install -y python3-venv" >&2
  exit 1
fi

hash=$({ cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/strongroom"
venv="$cache/python-venv-$hash"

if [ ! -f "$venv/.complete" ]; then
  echo "python-venv: making $venv (first run, or requirements changed)" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  "$python" -m venv "$venv" >&2
  index=${STRONGROOM_PIP_INDEX:-}
  if [ -z "$index" ] && [ -d /opt/pypi/simple ]; then
    index=file:///opt/pypi/simple
  fi
  args=(install --disable-pip-version-check --no-input -q -r "$req")
  if [ -n "$index" ]; then
    # Only that index: the machine's pip configuration may name others that are not there.
    PIP_CONFIG_FILE=/dev/null "$venv/bin/pip" "${args[@]}" --index-url "$index" >&2
  else
    "$venv/bin/pip" "${args[@]}" >&2
  fi
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
