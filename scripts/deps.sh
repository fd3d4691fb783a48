#!/bin/sh
# Installs the Debian 12 packages that dovecot-coi needs to build, to run the
# demo and to run its tests. Only missing packages are installed; nothing is
# done when all are there. Run as root.
set -e

PACKAGES="
autoconf automake libtool pkg-config make gcc
dovecot-dev libcurl4-openssl-dev libjansson-dev libssl-dev
dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve
python3 python3-cryptography openssl
debhelper dpkg-dev fakeroot
valgrind clang libclang-rt-14-dev
redis-server
nginx-light
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi

echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# The Debian packages would start the system Dovecot; the demo and the tests
# run their own private instances and don't need it.
apt-get install -y -qq --no-install-recommends $missing >/dev/null
