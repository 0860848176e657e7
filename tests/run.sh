#!/bin/sh
# run.sh - run every test: the Check unit suites, then the integration
# tests (real moatd processes, real sockets, a real mosquitto).
#
# Environment: MOAT_BIN (built binaries), MOAT_TESTS (built unit tests).
# Prints one closing line "N passed, N failed" and exits non-zero if
# anything failed.  TESTS=pattern limits the integration tests run.
set -u
cd "$(dirname "$0")/.."
: "${MOAT_BIN:?}" "${MOAT_TESTS:?}"
export MOAT_BIN MOAT_TESTS
PY=/usr/bin/python3	# Debian's, which has python3-msgpack

pass=0
fail=0
failed=""

for t in "$MOAT_TESTS"/check_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks:' | tail -1)
	checks=$(printf '%s' "$line" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p')
	bad=$(printf '%s' "$line" |
	    sed -n 's/.*Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2/p' |
	    awk '{print $1 + $2}')
	[ -n "$checks" ] || { checks=1; bad=1; }
	[ "$rc" -eq 0 ] || [ "$bad" -gt 0 ] || bad=1
	pass=$((pass + checks - bad))
	fail=$((fail + bad))
	if [ "$bad" -gt 0 ]; then
		failed="$failed $name"
		printf '%s\n' "$out" | grep -v ':P:' | tail -40
	fi
	echo "unit  $name: $line"
done

# The man pages must stay clean (mandoc -Tlint).
if out=$(mandoc -Tlint -Wwarning man/*.[0-9] 2>&1) && [ -z "$out" ]; then
	pass=$((pass + 1))
	echo "lint  man pages: clean"
else
	fail=$((fail + 1))
	failed="$failed man-lint"
	printf '%s\n' "$out"
fi

for t in tests/integration/test_*.py; do
	[ -f "$t" ] || continue
	case "$t" in *${TESTS:-}*) ;; *) continue ;; esac
	name=$(basename "$t" .py)
	out=$(timeout 600 "$PY" "$t" 2>&1)
	rc=$?
	res=$(printf '%s\n' "$out" | grep -E '^RESULT [0-9]+ [0-9]+$' | tail -1)
	p=$(printf '%s' "$res" | awk '{print $2}')
	f=$(printf '%s' "$res" | awk '{print $3}')
	[ -n "$p" ] || { p=0; f=1; }
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	pass=$((pass + p))
	fail=$((fail + f))
	if [ "$f" -gt 0 ]; then
		failed="$failed $name"
		printf '%s\n' "$out" | tail -60
	fi
	echo "integ $name: $p passed, $f failed"
done

[ -z "$failed" ] || echo "FAILED:$failed"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
