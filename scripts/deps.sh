#!/bin/sh
# deps.sh - install what moat-kv needs to build and test on Debian 12.
#
# Called by every make target that builds.  It is a quick no-op when all
# packages are present, so it costs nothing on a developer machine; on a
# fresh machine (CI, a new admin box) it installs them with apt-get.
# It also creates the unprivileged user the daemon's children drop to.
set -eu

PKGS="build-essential pkg-config libevent-dev libmsgpack-dev libmosquitto-dev
mosquitto mosquitto-clients libsodium-dev libyaml-dev check libseccomp-dev
libpython3-dev libbsd-dev python3 python3-msgpack mandoc valgrind"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	# The mosquitto package starts a system broker; tests run their own.
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now mosquitto >/dev/null 2>&1 || true
	fi
fi

# The user every child drops to when moatd runs as root.
if [ "$(id -u)" -eq 0 ] && ! getent passwd _moatd >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin _moatd
fi
exit 0
