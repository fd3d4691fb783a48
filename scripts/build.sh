#!/bin/sh
# Builds dovecot-coi into ./build (a VPATH build; the source tree stays
# clean). Re-running only rebuilds what changed.
#   BUILD_DIR   where to build (default: ./build)
#   CONFIGURE_FLAGS  extra ./configure flags
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}

if [ ! -x "$top/configure" ]; then
	"$top/autogen.sh" >"$top/autogen.log" 2>&1 || { cat "$top/autogen.log" >&2; exit 1; }
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
	"$top/configure" $CONFIGURE_FLAGS >configure.log || {
		cat configure.log >&2
		exit 1
	}
fi
make -s -j"$(nproc)" >make.log 2>&1 || {
	cat make.log >&2
	exit 1
}
echo "build: plugins built in $build"
