#!/bin/sh
# valgrind_children.sh - run test_fuzz.py against a moatd whose children
# run under valgrind (memcheck, full leak check), then fail if any
# child's valgrind log shows an error or a leak.
#
# Only definite and indirect leaks count: a bufferevent freed just
# before exit is freed by libevent's loop, which no longer runs, so it
# shows as "possibly lost".
# Needs a build without seccomp filters (make valgrind-children builds
# one with VG=1): valgrind's own system calls would violate them.
# Environment: MOAT_BIN (that build's binaries); MOAT_FUZZ_ROUNDS
# (default 4 here: valgrind is slow).
set -u
cd "$(dirname "$0")/.."
: "${MOAT_BIN:?}"
dir=$(mktemp -d /tmp/moat-vg.XXXXXX)
trap 'rm -rf "$dir"' INT TERM HUP
chmod 755 "$dir"
for p in core netd syncd authd runnerd; do
	cat > "$dir/moat-$p" <<EOT
#!/bin/sh
exec valgrind -q --vgdb=no --leak-check=full \\
    --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --log-file=$dir/$p-%p.vg \\
    $MOAT_BIN/moat-$p "\$@"
EOT
	chmod 755 "$dir/moat-$p"
done
MOAT_FUZZ_LIBEXEC=$dir MOAT_FUZZ_ROUNDS=${MOAT_FUZZ_ROUNDS:-4} \
    MOAT_BIN=$MOAT_BIN /usr/bin/python3 tests/integration/test_fuzz.py
rc=$?
# valgrind's findings are the "==pid==" lines; "--pid--" are notes
bad=$(grep -l '^==[0-9]*==' "$dir"/*.vg 2>/dev/null)
n=$(ls "$dir"/*.vg 2>/dev/null | wc -l)
for f in $bad; do
	echo "== $f"
	grep -E 'lost|Invalid|uninitialised|ERROR SUMMARY' "$f" | head -20
done
echo "valgrind: $n child logs, $(echo $bad | wc -w) with findings"
if [ "$rc" -eq 0 ] && [ -z "$bad" ] && [ "$n" -gt 0 ]; then
	rm -rf "$dir"
	exit 0
fi
echo "valgrind logs kept in $dir"
exit 1
