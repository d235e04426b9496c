#!/usr/bin/env bash
# Debian's nginx, the load balancer of `make run-production` in front of the two Rasa
# instances. Does nothing when it is there. Without root (and no sudo) it says how
# to install it and fails: production cannot start without its front door.
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "nginx-deps: nginx is missing and this user cannot install packages." >&2
    echo "  As root run: apt-get update && apt-get install -y nginx" >&2
    exit 1
fi
echo "Installing Debian's nginx for make run-production..."
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Debian starts its own nginx on port 80; the line runs its own instance instead.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
    "${as_root[@]}" systemctl disable --now nginx >/dev/null 2>&1 || true
fi
/usr/sbin/nginx -v
