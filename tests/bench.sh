#!/bin/sh
# bench.sh - `make bench': moatd against Redis on the same machine, in
# the same run.
#
# Starts a fresh moatd (and, if redis-server is installed, a Redis) on
# free loopback ports in a temp dir, runs a fixed matrix (set and get at
# -c 1 -P 1, -c 50 -P 1, -c 50 -P 16, 10-byte values) with moatctl bench
# and redis-benchmark alternating row by row, prints the ratios, then
# loads 1,000,000 entries into fresh servers and compares resident
# memory per entry.  Everything it starts dies at exit.
#
# Redis runs without persistence (--save '' --appendonly no), so for a
# like-for-like comparison moatd runs with kv.server.start=memory (no
# state directory, no change log); BENCH_DURABLE=1 keeps moatd's default
# durable setup (change log with group-commit fsync) instead, which adds
# the fdatasync to every acknowledged write.
#
# Environment: MOAT_BIN (built binaries), BENCH_N (requests per row,
# default 100000), BENCH_KEYS (entries for the memory test, 1000000),
# BENCH_DURABLE (see above).
set -u
cd "$(dirname "$0")/.."
: "${MOAT_BIN:?}"
N=${BENCH_N:-100000}
KEYS=${BENCH_KEYS:-1000000}
R=100000			# key space of the matrix (-r)
D=10				# value size (-d)
CTL="$MOAT_BIN/moatctl"
PY=/usr/bin/python3
if [ "${BENCH_DURABLE:-0}" = 1 ]; then
	MODE=storage
else
	MODE=memory
fi

T=$(mktemp -d /tmp/moat-bench.XXXXXX)
MOATD_PID=
REDIS_PID=

stop_servers() {
	if [ -n "$MOATD_PID" ]; then
		kill -TERM "$MOATD_PID" 2>/dev/null
		wait "$MOATD_PID" 2>/dev/null
		MOATD_PID=
	fi
	if [ -n "$REDIS_PID" ]; then
		kill -TERM "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
		REDIS_PID=
	fi
}
cleanup() {
	stop_servers
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

free_port() {
	"$PY" -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Redis is only needed here, never for the tests: install it on demand.
have_redis() {
	command -v redis-server >/dev/null && command -v redis-benchmark \
	    >/dev/null && command -v redis-cli >/dev/null
}
if ! have_redis && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null
then
	echo "bench: installing redis-server and redis-tools for comparison"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends redis-server redis-tools >"$T/apt.log" \
	    2>&1 || echo "bench: could not install Redis (see apt-get)"
fi
REDIS=0
have_redis && REDIS=1

start_moatd() {
	MP=$(free_port)
	rm -rf "$T/state"
	"$MOAT_BIN/moatd" -D "$T/state" \
	    -C kv.server.bind_default.port="$MP" \
	    -C kv.server.bind_default.host=127.0.0.1 \
	    -C kv.server.mqtt.uri= -C kv.server.start="$MODE" \
	    bench >"$T/moatd.log" 2>&1 &
	MOATD_PID=$!
	i=0
	until "$CTL" -h 127.0.0.1 -p "$MP" status >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] ||
		    { tail "$T/moatd.log"; die "moatd does not start"; }
		sleep 0.1
	done
}

start_redis() {
	[ "$REDIS" -eq 1 ] || return 0
	RP=$(free_port)
	mkdir -p "$T/redis"
	redis-server --port "$RP" --bind 127.0.0.1 --save '' \
	    --appendonly no --dir "$T/redis" --daemonize no \
	    >"$T/redis.log" 2>&1 &
	REDIS_PID=$!
	i=0
	until redis-cli -p "$RP" ping >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "redis-server does not start"
		sleep 0.1
	done
}

# The resident set of a process in bytes.
rss_of() {
	awk '/^VmRSS:/ { print $2 * 1024 }' "/proc/$1/status"
}

# The pid of moatd's child with this role, from /proc (no procps needed).
child_pid() {
	for d in /proc/[0-9]*; do
		ppid=$(sed 's/.*) //' "$d/stat" 2>/dev/null | cut -d' ' -f2)
		[ "$ppid" = "$MOATD_PID" ] || continue
		tr '\0' ' ' <"$d/cmdline" 2>/dev/null | grep -q "^moatd: $1 " &&
		    echo "${d#/proc/}"
	done
}

# One CSV row, without the header: field $2 in the header's order.
csvrow() {
	grep -v '^"test"' | head -1 | tr -d '"'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b;
	    else printf "-" }'
}

start_moatd
start_redis
rv=
[ "$REDIS" -eq 1 ] && rv=", $(redis-server --version | cut -d' ' -f1-3) on \
port $RP"
echo "moatd on port $MP (kv.server.start=$MODE)$rv; $N requests per row, -r $R -d $D"
[ "$REDIS" -eq 1 ] || echo "bench: redis-server not installed;" \
    "moatd only (as root, bench installs it)"
echo
printf '%-5s %3s %3s | %11s %8s | %11s %8s | %6s %6s\n' test c P \
    "moatd rps" "p50 ms" "redis rps" "p50 ms" "rps" "p50"
printf '%-5s %3s %3s | %11s %8s | %11s %8s | %6s %6s\n' "" "" "" "" "" \
    "" "" "ratio" "ratio"
: >"$T/results"
errors=0
for cp in "1 1" "50 1" "50 16"; do
	set -- $cp
	for t in set get; do
		m=$("$CTL" -h 127.0.0.1 -p "$MP" bench -t $t -c "$1" -P "$2" \
		    -n "$N" -r "$R" -d "$D" --csv 2>"$T/err" | csvrow)
		[ -s "$T/err" ] && { cat "$T/err" >&2; errors=1; }
		mrps=$(echo "$m" | cut -d, -f2)
		mp50=$(echo "$m" | cut -d, -f5)
		rrps=- rp50=-
		if [ "$REDIS" -eq 1 ]; then
			r=$(redis-benchmark -h 127.0.0.1 -p "$RP" -t $t \
			    -c "$1" -P "$2" -n "$N" -r "$R" -d "$D" --csv \
			    2>/dev/null | csvrow)
			rrps=$(echo "$r" | cut -d, -f2)
			rp50=$(echo "$r" | cut -d, -f5)
		fi
		printf '%-5s %3s %3s | %11s %8s | %11s %8s | %6s %6s\n' \
		    "$(echo $t | tr a-z A-Z)" "$1" "$2" "$mrps" "$mp50" \
		    "$rrps" "$rp50" "$(ratio "$mrps" "$rrps")" \
		    "$(ratio "$mp50" "$rp50")"
		echo "$t $1 $2 $mrps $mp50 $rrps $rp50" >>"$T/results"
	done
done

# Memory: fresh servers, KEYS entries of D bytes, key:NNNNNNNNNNNN (the
# moatd path is bench.key:NNNNNNNNNNNN, one shared "bench" node).
stop_servers
start_moatd
start_redis
echo
core=$(child_pid core)
netd=$(child_pid netd)
[ -n "$core" ] && [ -n "$netd" ] || die "cannot find moatd's children"
m0=$(rss_of "$core")
"$CTL" -h 127.0.0.1 -p "$MP" bench -t set --sequential -n "$KEYS" \
    -c 50 -P 16 -d "$D" -q >/dev/null 2>"$T/err" ||
    { cat "$T/err" >&2; die "loading moatd failed"; }
m1=$(rss_of "$core")
n1=$(rss_of "$netd")
mper=$(awk -v a="$m1" -v n="$KEYS" 'BEGIN { printf "%.1f", a / n }')
mdelta=$(awk -v a="$m1" -v b="$m0" -v n="$KEYS" \
    'BEGIN { printf "%.1f", (a - b) / n }')
echo "memory after $KEYS entries of $D bytes:"
printf '  moatd core: %6.1f MiB RSS, %s bytes/entry (%s above empty);' \
    "$(awk -v a="$m1" 'BEGIN { print a / 1048576 }')" "$mper" "$mdelta"
printf ' netd %.1f MiB\n' "$(awk -v a="$n1" 'BEGIN { print a / 1048576 }')"
rper=- rdelta=-
if [ "$REDIS" -eq 1 ]; then
	r0=$(rss_of "$REDIS_PID")
	awk -v n="$KEYS" -v d="$D" 'BEGIN { v = sprintf("%*s", d, "");
	    gsub(/ /, "x", v); for (i = 0; i < n; i++)
	    printf "*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$%d\r\n%s\r\n",
	    i, d, v }' | redis-cli -p "$RP" --pipe >"$T/pipe.log" 2>&1 ||
	    die "loading redis failed"
	r1=$(rss_of "$REDIS_PID")
	rper=$(awk -v a="$r1" -v n="$KEYS" 'BEGIN { printf "%.1f", a / n }')
	rdelta=$(awk -v a="$r1" -v b="$r0" -v n="$KEYS" \
	    'BEGIN { printf "%.1f", (a - b) / n }')
	printf '  redis:      %6.1f MiB RSS, %s bytes/entry' \
	    "$(awk -v a="$r1" 'BEGIN { print a / 1048576 }')" "$rper"
	printf ' (%s above empty)\n' "$rdelta"
	echo "  ratio (above empty): $(ratio "$mdelta" "$rdelta")"
fi

# The targets of issue 5, when there is a Redis to compare with.
if [ "$REDIS" -eq 1 ]; then
	echo
	echo "targets:"
	awk -v md="$mdelta" -v rd="$rdelta" '
	function verdict(ok) { return ok ? "ok" : "MISSED" }
	$2 == 50 && $3 == 16 {
		printf "  %-3s -c 50 -P 16 rps >= 0.5 x redis: %.2f %s\n",
		    toupper($1), $4 / $6, verdict($4 >= 0.5 * $6) }
	$2 == 1 && $3 == 1 {
		printf "  %-3s -c 1 -P 1 p50 <= 2 x redis:     %.2f %s\n",
		    toupper($1), $5 / $7, verdict($5 <= 2 * $7) }
	END {
		printf "  memory per entry <= 1.5 x redis:    %.2f %s\n",
		    md / rd, verdict(md <= 1.5 * rd) }' "$T/results"
fi
[ "$errors" -eq 0 ] || die "moatctl bench reported errors"
