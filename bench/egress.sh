#!/usr/bin/env bash
# Load test of the playback hot path: bench/egress (egress.Handler with the
# real hls and dash packagers over a synthetic channel) and Debian's nginx
# serving the same segment bytes as static files, side by side, with wrk.
# For each case it reports requests/s, body bytes/s, and requests and
# bytes per CPU-second of the server process (utime+stime from /proc
# before and after the run; nginx: master and workers). wrk runs on the
# same machine, so requests/s is bounded by what it leaves of the CPUs;
# the per-CPU-second figures are the server's own cost.
#
# Usage: bench/egress.sh            (from the repository root)
# Env:   DURATION=15s CONNS=64 THREADS=2 PACKAGER=real|fixed
set -euo pipefail

DURATION=${DURATION:-15s}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
PACKAGER=${PACKAGER:-real}
TICK=$(getconf CLK_TCK)

work=$(mktemp -d /tmp/boxcar-egress-bench.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/egress-bench" ./bench/egress

# cpu_ticks PID...: utime+stime of the processes, in clock ticks.
cpu_ticks() {
	local sum=0 p f
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		# Fields after "pid (comm) ": utime is the 12th, stime the 13th.
		f=$(sed 's/^.*) //' "/proc/$p/stat")
		sum=$((sum + $(echo "$f" | awk '{print $12 + $13}')))
	done
	echo "$sum"
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_boxcar NAME ARGS...: starts bench/egress on a free port; sets
# $addr and $spid.
start_boxcar() {
	local name=$1
	shift
	"$work/egress-bench" -addr-file "$work/$name.addr" "$@" 2>"$work/$name.log" &
	spid=$!
	pids+=("$spid")
	for _ in $(seq 1 300); do
		[ -s "$work/$name.addr" ] && break
		kill -0 "$spid" 2>/dev/null || { cat "$work/$name.log" >&2; return 1; }
		sleep 0.1
	done
	addr=$(cat "$work/$name.addr")
	wait_http "http://$addr/paths"
}

wait_http() {
	for _ in $(seq 1 100); do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "server at $1 did not come up" >&2
	return 1
}

# Boxcar, cached.
start_boxcar egress -packager "$PACKAGER" -docroot "$work/www"
bpid=$spid
B="http://$addr"

# nginx on the same bytes.
NGINX_PORT=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
$( [ "$(id -u)" = 0 ] && echo "user root;" )
events { worker_connections 4096; }
http {
	sendfile on;
	tcp_nopush on;
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	types { video/mp2t ts; video/mp4 mp4; }
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $work/www;
		add_header Cache-Control "max-age=1209600, immutable";
		add_header Access-Control-Allow-Origin "*";
	}
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>>"$work/nginx/error.log" &
npid=$!
pids+=("$npid")
wait_http "http://127.0.0.1:$NGINX_PORT/seg.ts"

declare -A path
while IFS='=' read -r k v; do path[$k]=$v; done < <(curl -fs "$B/paths")

printf '| case | server | requests/s | body MB/s | CPU-s | requests per CPU-s | MB per CPU-s | body bytes |\n'
printf '|---|---|---:|---:|---:|---:|---:|---:|\n'

# measure NAME SERVER URL HEADER PIDS [WRK ARGS...]
measure() {
	local name=$1 server=$2 url=$3 header=$4 pids=$5
	shift 5
	local size out before after reqs secs
	size=$(curl -fs -o /dev/null -w '%{size_download}' ${header:+-H "$header"} "$url")
	curl -fs -o /dev/null ${header:+-H "$header"} "$url" # warm
	before=$(cpu_ticks $pids)
	if [ $# -gt 0 ]; then
		out=$(wrk -d"$DURATION" "$@")
	else
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" ${header:+-H "$header"} "$url")
	fi
	after=$(cpu_ticks $pids)
	reqs=$(echo "$out" | awk '/requests in/ {print $1}')
	secs=$(echo "$out" | awk '/requests in/ {gsub(/s,/, "", $4); print $4}')
	if echo "$out" | grep -q 'Non-2xx'; then
		echo "$name/$server: wrk saw non-2xx responses" >&2
		echo "$out" >&2
	fi
	awk -v n="$name" -v s="$server" -v r="$reqs" -v t="$secs" -v b="$size" -v c="$((after - before))" -v hz="$TICK" 'BEGIN {
		cpu = c / hz
		printf "| %s | %s | %.0f | %.1f | %.2f | %.0f | %.0f | %d |\n", n, s, r / t, r * b / t / 1e6, cpu, (cpu > 0 ? r / cpu : 0), (cpu > 0 ? r * b / cpu / 1e6 : 0), b
	}'
}

nginx_pids() { echo "$npid" $(pgrep -P "$npid"); }

N="http://127.0.0.1:$NGINX_PORT"
measure "TS segment (cached)" boxcar "$B${path[ts]}" "" "$bpid"
measure "TS segment" nginx "$N/seg.ts" "" "$(nginx_pids)"
measure "CMAF video segment (cached)" boxcar "$B${path[cmafvideo]}" "" "$bpid"
measure "CMAF video segment" nginx "$N/video.mp4" "" "$(nginx_pids)"
measure "CMAF audio segment (cached)" boxcar "$B${path[cmafaudio]}" "" "$bpid"
measure "CMAF audio segment" nginx "$N/audio.mp4" "" "$(nginx_pids)"
measure "HLS media playlist (cached, gzip)" boxcar "$B${path[playlist]}" "Accept-Encoding: gzip" "$bpid"
measure "HLS media playlist (cached, identity)" boxcar "$B${path[playlist]}" "" "$bpid"
measure "DASH MPD (cached, gzip)" boxcar "$B${path[mpd]}" "Accept-Encoding: gzip" "$bpid"
measure "DASH MPD (cached, identity)" boxcar "$B${path[mpd]}" "" "$bpid"

# TS segments packaged on every request: a second server with the output
# cache off; one wrk thread with two connections cycles over the window's
# TS segments, so no two requests in flight ask for the same one (which
# would share one packaging run).
if [ -n "${path[tsfirst]:-}" ]; then
	start_boxcar first -packager "$PACKAGER" -cache-bytes 0
	fpid=$spid
	cat >"$work/rotate.lua" <<'LUA'
local paths = {}
local i = 0
function init(args)
	for k, v in ipairs(args) do paths[k] = v end
end
function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
LUA
	# shellcheck disable=SC2086
	measure "TS segment (packaged per request)" boxcar "http://$addr${path[ts]}" "" "$fpid" \
		-t1 -c2 -s "$work/rotate.lua" "http://$addr" -- ${path[tsfirst]}
	curl -fs "http://$addr/metrics" | grep '^boxcar_egress_package_duration_seconds_\(sum\|count\){kind="segment"}' >&2 || true
fi
