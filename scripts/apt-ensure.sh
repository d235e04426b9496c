#!/usr/bin/env bash
# Installs Debian packages when the program they bring is missing.
#   apt-ensure.sh [--optional] PROGRAM PACKAGE...
# Does nothing when PROGRAM is there. Without root (and no sudo) it says how to
# install the packages; with --optional it then exits 0 (the tests that need the
# program skip and say why), otherwise it fails.
set -euo pipefail

optional=0
if [[ ${1:-} == --optional ]]; then optional=1; shift; fi
program=$1; shift

if [[ -x $program ]] || command -v "$program" >/dev/null 2>&1; then
    exit 0
fi
if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "$program is missing and this user cannot install packages." >&2
    echo "  As root run: apt-get update && apt-get install -y $*" >&2
    exit $((1 - optional))
fi
echo "Installing Debian's $* ..."
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "$@" >/dev/null
