#!/bin/sh
# Regenerates the build system (configure and Makefile.in) from configure.ac
# and the Makefile.am files. Needs autoconf, automake, libtool, pkg-config and
# Debian's dovecot-dev (for dovecot.m4).
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf -fi -I /usr/share/aclocal
