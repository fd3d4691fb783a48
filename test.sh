#!/bin/sh
# Runs every test of dovecot-coi: installs missing Debian packages, builds,
# runs the unit tests and the integration tests against real Dovecot
# instances. The last line says "N passed, N failed".
set -e
top=$(cd "$(dirname "$0")" && pwd)
"$top/scripts/deps.sh"
"$top/scripts/build.sh"
exec /usr/bin/python3 "$top/tests/run-all" --full --build-dir "${BUILD_DIR:-$top/build}" "$@"
