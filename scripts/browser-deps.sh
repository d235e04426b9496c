#!/usr/bin/env bash
# Headless Chromium and its driver for the console's browser tests (Debian packages).
# Does nothing when they are there. Without root (and no sudo) it says how to
# install them and exits 0: the browser tests then skip and say why.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "browser-deps: chromium is missing and this user cannot install packages." >&2
    echo "  As root run: apt-get update && apt-get install -y chromium chromium-driver" >&2
    echo "  Until then the browser tests are skipped." >&2
    exit 0
fi
echo "Installing Debian's chromium and chromium-driver for the browser tests..."
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium chromium-driver >/dev/null
/usr/bin/chromium --version
