# scripts/trillian/common.sh — settings shared by up.sh, down.sh and signer.sh (sourced).
# Every setting may be overridden from the environment.
: "${TRILLIAN_STATE:=${EVIDCTL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/evidctl}/trillian-run}"
: "${TRILLIAN_DB:=evidctl_trillian}"
: "${MYSQL_HOST:=127.0.0.1}"
: "${MYSQL_PORT:=3306}"
: "${MYSQL_USER:=root}"
: "${MYSQL_PASSWORD:=}"
: "${TRILLIAN_SERVER_RPC:=127.0.0.1:18090}"
: "${TRILLIAN_SERVER_HTTP:=127.0.0.1:18091}"
: "${TRILLIAN_SIGNER_RPC:=127.0.0.1:18092}"
: "${TRILLIAN_SIGNER_HTTP:=127.0.0.1:18093}"
: "${TRILLIAN_SEQUENCER_INTERVAL:=100ms}"
: "${TRILLIAN_BATCH_SIZE:=1000}"
# Database connections per process: the two must stay below the server's max_connections
# (151 by default on MariaDB), or a burst of RPCs fails with "Error 1040: Too many connections".
: "${TRILLIAN_SERVER_MAX_CONNS:=96}"
: "${TRILLIAN_SIGNER_MAX_CONNS:=16}"
mysql_uri="$MYSQL_USER${MYSQL_PASSWORD:+:$MYSQL_PASSWORD}@tcp($MYSQL_HOST:$MYSQL_PORT)/$TRILLIAN_DB"
mysql_cli=(mysql -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER")
if [[ -n $MYSQL_PASSWORD ]]; then mysql_cli+=("-p$MYSQL_PASSWORD"); fi
env_file="$TRILLIAN_STATE/env"

# start NAME ARGS...: starts a daemon in the background, its output in STATE/NAME.log and
# its PID in STATE/NAME.pid.
start() {
	local name=$1
	shift
	"$@" >>"$TRILLIAN_STATE/$name.log" 2>&1 &
	echo $! >"$TRILLIAN_STATE/$name.pid"
}

# stop NAME: stops the daemon whose PID is in STATE/NAME.pid (TERM, then KILL after 10 s).
stop() {
	local pidfile="$TRILLIAN_STATE/$1.pid" pid
	[[ -f $pidfile ]] || return 0
	pid=$(<"$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
}

# wait_port HOST:PORT: waits (30 s at most) until something listens there.
wait_port() {
	local host=${1%:*} port=${1##*:}
	for _ in $(seq 300); do
		if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	echo "trillian: nothing listens on $1 after 30 s" >&2
	return 1
}

# start_signer starts trillian_log_signer, unless the one recorded is still running.
start_signer() {
	if [[ -f $TRILLIAN_STATE/signer.pid ]] && kill -0 "$(<"$TRILLIAN_STATE/signer.pid")" 2>/dev/null; then
		return 0
	fi
	start signer "$TRILLIAN_BIN/trillian_log_signer" \
		--storage_system=mysql --mysql_uri="$mysql_uri" --quota_system=mysql \
		--rpc_endpoint="$TRILLIAN_SIGNER_RPC" --http_endpoint="$TRILLIAN_SIGNER_HTTP" \
		--force_master --sequencer_interval="$TRILLIAN_SEQUENCER_INTERVAL" \
		--batch_size="$TRILLIAN_BATCH_SIZE" --mysql_max_conns="$TRILLIAN_SIGNER_MAX_CONNS" --logtostderr
	wait_port "$TRILLIAN_SIGNER_RPC"
}
