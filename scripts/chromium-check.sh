#!/usr/bin/env bash
# Print the path and version of Debian's chromium (for Playwright's
# executable_path). Exit 1 with a hint if it is missing or does not run.
set -euo pipefail

CHROMIUM="${ZHILIANG_CHROMIUM:-/usr/bin/chromium}"

if [[ ! -x "$CHROMIUM" ]]; then
    echo "chromium-check: $CHROMIUM not found; install Debian's package: bash scripts/system-deps.sh (or apt-get install -y --no-install-recommends chromium)" >&2
    exit 1
fi
# The Debian wrapper's /etc/chromium.d/dev-shm snippet can print a harmless
# "[: ... unexpected operator" on stderr; drop stderr.
if ! version="$("$CHROMIUM" --version 2>/dev/null)" || [[ -z "$version" ]]; then
    echo "chromium-check: $CHROMIUM is present but '$CHROMIUM --version' failed" >&2
    exit 1
fi
echo "$CHROMIUM"
echo "$version"
