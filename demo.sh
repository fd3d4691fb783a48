#!/bin/sh
# The dovecot-coi demo: installs missing Debian packages, builds, and starts
# a private COI-enabled Dovecot on 127.0.0.1 (embedded defaults, no external
# service). "./demo.sh stop" stops it.
set -e
top=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-start}" = start ]; then
	"$top/scripts/deps.sh"
	"$top/scripts/build.sh"
fi
COI_BUILD_DIR="${BUILD_DIR:-$top/build}" exec /usr/bin/python3 "$top/scripts/demo.py" "$@"
