#!/bin/sh
# Builds the libFuzzer targets listed in fuzz/targets with clang, ASan and
# UBSan into OUT (default: build/fuzz). Usage: fuzz/build.sh [OUT]
set -e
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/fuzz}
mkdir -p "$out"
CC=${FUZZ_CC:-clang}
CFLAGS="-Wall -Werror -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
INC="-DHAVE_CONFIG_H -I/usr/include/dovecot -I$top/src/plugins/coi -I$top/src/plugins/push-coi -I$top/fuzz"
LIBS="-L/usr/lib/dovecot -Wl,-rpath,/usr/lib/dovecot -ldovecot $(pkg-config --cflags --libs jansson libcrypto)"
# The pure modules, as the plugins' Makefile.am list them.
pure_sources() {
	sed -n "/^$2 =/,/^\$/p" "$top/$1/Makefile.am" | tr -d '\\' |
		tr ' \t' '\n\n' | grep '\.c$' | sed "s|^|$top/$1/|"
}
srcs="$(pure_sources src/plugins/coi coi_pure_sources) $(pure_sources src/plugins/push-coi push_coi_pure_sources)"

grep -v '^#' "$top/fuzz/targets" | while read -r name; do
	[ -n "$name" ] || continue
	$CC $CFLAGS $INC -o "$out/fuzz-$name" "$top/fuzz/fuzz-$name.c" $srcs $LIBS
	echo "fuzz: built $out/fuzz-$name"
done
