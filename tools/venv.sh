# Sourced by the tools: make (or reuse) .venv with everything the project needs.
# Uses uv when it can (seconds with a warm cache), plain pip otherwise.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="${ACCEL_VENV:-$top/.venv}"
want_tests="${1:-}"
stamp="$venv/.accel-installed${want_tests:+-tests}"
inputs=("$top/requirements.txt" "$top/setup.cfg")
[ -n "$want_tests" ] && inputs+=("$top/test-requirements.txt" "$top/docs/requirements.txt")
if [ -f "$stamp" ] && [ -z "$(find "${inputs[@]}" -newer "$stamp" 2>/dev/null)" ]; then
    return 0 2>/dev/null || exit 0
fi
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "ironic-accel needs Python >= 3.11 (found $("$py" --version 2>&1))" >&2
    exit 1
fi
if ! command -v uv >/dev/null 2>&1; then
    "$py" -m pip install --quiet --user uv >/dev/null 2>&1 || "$py" -m pip install --quiet uv >/dev/null 2>&1 || true
    export PATH="$HOME/.local/bin:$PATH"
fi
reqs=(-r "$top/requirements.txt")
[ -n "$want_tests" ] && reqs+=(-r "$top/test-requirements.txt" -r "$top/docs/requirements.txt")
if command -v uv >/dev/null 2>&1; then
    [ -x "$venv/bin/python" ] || uv venv --quiet --python "$py" "$venv"
    VIRTUAL_ENV="$venv" uv pip install --quiet "${reqs[@]}" -e "$top[server,agent,demo,client]"
else
    [ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
    "$venv/bin/pip" install --quiet "${reqs[@]}" -e "$top[server,agent,demo,client]"
fi
# The build leaves ironic_accel.egg-info in the checkout; the venv holds the real metadata.
# A stale copy there would shadow it for any process started in the checkout (its entry
# points: console scripts, the OSC plugin), so it goes.
rm -rf "$top"/*.egg-info
touch "$stamp"
