#!/usr/bin/env bash
# Install the Debian packages Zhiliang needs (idempotent, fast when all present).
#   postgresql      - Debian's default server (15 on bookworm), used by scripts/pg.sh
#   chromium        - headless browser for Playwright screenshots/tests
#   gettext         - msgfmt, for `manage.py compilemessages`
#   fonts-noto-cjk  - Chinese glyphs for screenshots and PDFs
#   libpango-1.0-0, libpangoft2-1.0-0, libharfbuzz-subset0 - text layout for WeasyPrint (PDF documents)
set -euo pipefail

PACKAGES=(postgresql chromium gettext fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
        missing+=("$pkg")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "system-deps: all present (${PACKAGES[*]})"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "system-deps: missing packages: ${missing[*]}" >&2
    echo "system-deps: run as root:  sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp -t zhiliang-apt.XXXXXX)"
trap 'rm -f "$log"' EXIT
if ! apt-get update -q >"$log" 2>&1; then
    cat "$log" >&2
    echo "system-deps: apt-get update failed" >&2
    exit 1
fi
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "system-deps: apt-get install failed" >&2
    exit 1
fi
echo "system-deps: installed ${missing[*]}"
