#!/usr/bin/env bash
# Measures examples/greeter against bare gRPC and net/http servers serving
# the same greeting, each in its own process, on loopback:
#
#   - server CPU time per request under saturating load, the server pinned
#     to CPU 0 and the load generator to CPU 1: h2load sending gRPC unary
#     calls (SayHello{name:"Ada"}), wrk sending GET /hello?name=Ada;
#   - exec → gRPC health SERVING (bench/cmd/waitserving), and the idle RSS
#     a second later.
#
# Runs of the servers alternate, and the report (Markdown, on stdout) gives
# medians and each server's ratio to bare.
#
#   bash bench/load.sh                      # from anywhere in the repository
#   ROUNDS=10 DURATION=3 STARTS=30 bash bench/load.sh
#   DECOMPOSE=1 bash bench/load.sh          # and the servers in between
#   OBSERVED=1 bash bench/load.sh           # and Mikros with tracing and metrics on
#
# Settings (environment): ROUNDS load runs per server and protocol (3),
# DURATION seconds per measured run (5), WARMUP seconds of load before each
# (1), STARTS exec → SERVING runs per server (20), H2_CONNS and H2_STREAMS
# for h2load (8 connections × 16 streams), WRK_CONNS for wrk (64).
# DECOMPOSE=1 adds two servers between bare and the greeter, to tell the
# framework's cost apart from the example's: bench/cmd/mikrosgrpc (the
# greeting through core with the grpc kind and the logger feature only:
# no HTTP kind, no reflection, no admin listener) for gRPC and start-up,
# and bench/cmd/barehttp -timeouts (bare, with the limits the http kind
# sets by default: IdleTimeout 120s besides ReadHeaderTimeout 5s, and
# MaxHeaderBytes 1 MiB; like the kind, no ReadTimeout or WriteTimeout) for
# HTTP. OBSERVED=1 adds bench/cmd/mikrosobserved, the greeting through
# core with both kinds and the logger, tracing (every trace recorded, the
# spans dropped in the process) and metrics features, for both protocols
# and start-up.
#
# Needs Linux with two CPUs or more, go, taskset, curl, and h2load
# (nghttp2-client) and wrk, which it installs with apt-get when missing and
# run as root. Everything is built into a temporary directory, listens on
# free 127.0.0.1 ports, is bounded by timeouts, and is stopped on exit.
#
# Other work on the machine skews the figures, so every run waits until
# both CPUs are idle (quiet.sh: QUIET percent idle, at most QUIET_WAIT
# seconds), and a load run in which the server was busy less than MIN_BUSY
# percent of the time (90: it was not saturated), or in which more than
# MAX_FOREIGN percent (10) of the two CPUs' time went to neither the server
# nor the load generator (other work ran), is thrown away and made again,
# ATTEMPTS times (3) at most.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-1}
STARTS=${STARTS:-20}
H2_CONNS=${H2_CONNS:-8}
H2_STREAMS=${H2_STREAMS:-16}
WRK_CONNS=${WRK_CONNS:-64}
MIN_BUSY=${MIN_BUSY:-90}
MAX_FOREIGN=${MAX_FOREIGN:-10}
ATTEMPTS=${ATTEMPTS:-3}
DECOMPOSE=${DECOMPOSE:-0}
OBSERVED=${OBSERVED:-0}

SERVER_CPU=0
LOAD_CPU=1

if ((DECOMPOSE)); then
  grpc_servers="bare-grpc mikros-grpc greeter"
  http_servers="bare-http bare-http-timeouts greeter"
  start_servers="bare-grpc mikros-grpc greeter"
else
  grpc_servers="bare-grpc greeter"
  http_servers="bare-http greeter"
  start_servers="bare-grpc greeter"
fi
if ((OBSERVED)); then
  grpc_servers+=" mikros-observed"
  http_servers+=" mikros-observed"
  start_servers+=" mikros-observed"
fi

log() { printf '%s\n' "$*" >&2; }
die() {
  log "load.sh: $*"
  exit 1
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $root/go.work ]] || die "cannot find the repository root (go.work) above bench/"
# shellcheck source=quiet.sh
source "$root/bench/quiet.sh"
(($(nproc) >= 2)) || die "needs two CPUs: one for the server, one for the load generator"

# --- tools -------------------------------------------------------------------

need_apt=()
command -v h2load >/dev/null || need_apt+=(nghttp2-client)
command -v wrk >/dev/null || need_apt+=(wrk)
if ((${#need_apt[@]} > 0)); then
  ((EUID == 0)) || die "missing ${need_apt[*]}: install them (apt-get install ${need_apt[*]}) or run as root"
  log "installing ${need_apt[*]}"
  if ! timeout 600 apt-get install -y -qq "${need_apt[@]}" >&2; then
    timeout 600 apt-get update -qq >&2
    timeout 600 apt-get install -y -qq "${need_apt[@]}" >&2
  fi
fi
for tool in go taskset curl h2load wrk awk; do
  command -v "$tool" >/dev/null || die "missing $tool"
done

# --- clean-up ----------------------------------------------------------------

tmp=$(mktemp -d)
SRV_PID= # the server running, if any; every other process runs in the foreground
cleanup() {
  if [[ -n $SRV_PID ]]; then
    kill -KILL "$SRV_PID" 2>/dev/null || true
    wait "$SRV_PID" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build -------------------------------------------------------------------

log "building into $tmp"
(
  cd "$root"
  timeout 600 go build -o "$tmp/greeter" ./examples/greeter
  timeout 600 go build -o "$tmp/" ./bench/cmd/baregrpc ./bench/cmd/barehttp ./bench/cmd/mikrosgrpc \
    ./bench/cmd/mikrosobserved ./bench/cmd/waitserving
)

# set_key FILE TABLE KEY VALUE sets KEY = VALUE in [TABLE] of the TOML
# file, replacing the key if the table has it and adding the table if the
# file has none.
set_key() {
  local file=$1 table=$2 key=$3 value=$4
  awk -v t="[$table]" -v k="$key" -v v="$value" '
    /^[ \t]*\[/ {
      cur = $0
      sub(/^[ \t]*/, "", cur)
      sub(/\][ \t]*(#.*)?$/, "]", cur)
      print
      if (cur == t) { print k " = " v; found = 1 }
      next
    }
    cur == t && $0 ~ "^[ \t]*" k "[ \t]*=" { next }
    { print }
    END { if (!found) { print ""; print t; print k " = " v } }
  ' "$file" >"$file.new"
  mv "$file.new" "$file"
}

# The greeter's own service.toml, with errors only in the log (so that log
# lines do not dominate), no drain delay (so that it stops at once), and
# every listener on loopback. Its ports come from the environment.
config=$tmp/service.toml
cp "$root/examples/greeter/service.toml" "$config"
set_key "$config" log level '"error"'
set_key "$config" lifecycle drain_delay '"0s"'
set_key "$config" admin address '"127.0.0.1"'
set_key "$config" services.grpc address '"127.0.0.1"'
set_key "$config" services.http address '"127.0.0.1"'

# mikrosgrpc's: the same, with the gRPC kind only, and nothing else.
mikros_config=$tmp/mikrosgrpc.toml
cat >"$mikros_config" <<'EOF'
name     = "greeter"
types    = ["grpc"]
version  = "v0.1.0"
product  = "bench"
language = "go"

[log]
level = "error"

[lifecycle]
drain_delay = "0s"

[features.logger]
enabled = true

[services.grpc]
address = "127.0.0.1"
EOF

# mikrosobserved's: both kinds, the admin listener (for the metrics), and
# tracing recording every trace and metrics on.
observed_config=$tmp/mikrosobserved.toml
cat >"$observed_config" <<'EOF'
name     = "greeter"
types    = ["grpc", "http"]
version  = "v0.1.0"
product  = "bench"
language = "go"

[log]
level = "error"

[lifecycle]
drain_delay = "0s"

[admin]
address = "127.0.0.1"

[features.logger]
enabled = true

[features.tracing]
enabled  = true
sampler  = "always_on"
exporter = "none" # replaced: the spans are dropped in the process

[features.metrics]
enabled = true

[services.grpc]
address = "127.0.0.1"

[services.http]
address = "127.0.0.1"
EOF

# --- ports -------------------------------------------------------------------

used_ports=" "
# free_port VAR sets VAR to a loopback port nothing listens on, below the
# ephemeral range, and not handed out before.
free_port() {
  local p
  for _ in $(seq 1 500); do
    p=$((20000 + RANDOM % 10000))
    [[ $used_ports == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      used_ports+="$p "
      printf -v "$1" '%s' "$p"
      return
    fi
  done
  die "no free port found"
}
free_port GRPC_PORT
free_port HTTP_PORT
free_port ADMIN_PORT
free_port BARE_GRPC_PORT
free_port BARE_HTTP_PORT
free_port MIKROS_GRPC_PORT
free_port OBSERVED_GRPC_PORT
free_port OBSERVED_HTTP_PORT
free_port OBSERVED_ADMIN_PORT

# port_of PROTO SERVER prints the port SERVER serves PROTO on.
port_of() {
  case $1/$2 in
  grpc/bare-grpc) echo "$BARE_GRPC_PORT" ;;
  grpc/mikros-grpc) echo "$MIKROS_GRPC_PORT" ;;
  grpc/greeter) echo "$GRPC_PORT" ;;
  grpc/mikros-observed) echo "$OBSERVED_GRPC_PORT" ;;
  http/mikros-observed) echo "$OBSERVED_HTTP_PORT" ;;
  http/bare-http | http/bare-http-timeouts) echo "$BARE_HTTP_PORT" ;;
  http/greeter) echo "$HTTP_PORT" ;;
  *) die "no port for $1/$2" ;;
  esac
}

# label SERVER prints how the report names SERVER.
label() {
  case $1 in
  bare-grpc | bare-http) echo "bare" ;;
  bare-http-timeouts) echo "bare + the kind's timeouts" ;;
  mikros-grpc) echo "Mikros, grpc kind only" ;;
  mikros-observed) echo "Mikros, tracing + metrics" ;;
  greeter) echo "greeter" ;;
  esac
}

# --- servers -----------------------------------------------------------------

# server_cmd SERVER prints the command line (for env) that runs SERVER.
server_cmd() {
  case $1 in
  bare-grpc) echo "$tmp/baregrpc -addr 127.0.0.1:$BARE_GRPC_PORT" ;;
  bare-http) echo "$tmp/barehttp -addr 127.0.0.1:$BARE_HTTP_PORT" ;;
  bare-http-timeouts) echo "$tmp/barehttp -addr 127.0.0.1:$BARE_HTTP_PORT -timeouts" ;;
  mikros-grpc) echo "MIKROS_CONFIG=$mikros_config MIKROS_GRPC_PORT=$MIKROS_GRPC_PORT $tmp/mikrosgrpc" ;;
  mikros-observed)
    echo "MIKROS_CONFIG=$observed_config MIKROS_GRPC_PORT=$OBSERVED_GRPC_PORT MIKROS_HTTP_PORT=$OBSERVED_HTTP_PORT MIKROS_ADMIN_PORT=$OBSERVED_ADMIN_PORT $tmp/mikrosobserved"
    ;;
  greeter)
    echo "MIKROS_CONFIG=$config MIKROS_GRPC_PORT=$GRPC_PORT MIKROS_HTTP_PORT=$HTTP_PORT MIKROS_ADMIN_PORT=$ADMIN_PORT $tmp/greeter"
    ;;
  esac
}

# start_server SERVER starts SERVER on CPU 0 and waits until it answers;
# sets SRV_PID and SRV_OUT. (env and taskset exec what they run, so the pid
# is the server's.)
start_server() {
  local name=$1 ok=1
  SRV_OUT=$tmp/$name.out
  # shellcheck disable=SC2046 # the command line is split on purpose
  env $(server_cmd "$name" | awk '{ for (i = 1; i <= NF && $i ~ /=/; i++) printf "%s ", $i }') \
    taskset -c $SERVER_CPU $(server_cmd "$name" | awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^MIKROS_/) printf "%s ", $i }') \
    >"$SRV_OUT" 2>&1 &
  SRV_PID=$!
  case $name in
  bare-grpc | mikros-grpc)
    timeout 15 taskset -c $LOAD_CPU "$tmp/waitserving" -addr "127.0.0.1:$(port_of grpc "$name")" -hello || ok=0
    ;;
  bare-http*) wait_http "http://127.0.0.1:$BARE_HTTP_PORT/hello?name=Ada" || ok=0 ;;
  greeter | mikros-observed)
    timeout 15 taskset -c $LOAD_CPU "$tmp/waitserving" -addr "127.0.0.1:$(port_of grpc "$name")" -hello || ok=0
    ((ok)) && { wait_http "http://127.0.0.1:$(port_of http "$name")/hello?name=Ada" || ok=0; }
    ;;
  esac
  if ((!ok)); then
    cat "$SRV_OUT" >&2
    die "$name did not start"
  fi
}

# wait_http URL waits (at most 10s) until URL answers exactly the greeting.
wait_http() {
  local body
  for _ in $(seq 1 1000); do
    if body=$(curl -sf --max-time 1 "$1" 2>/dev/null) && [[ $body == '{"message":"Hello, Ada"}' ]]; then
      return 0
    fi
    sleep 0.01
  done
  log "$1 did not answer the greeting"
  return 1
}

# stop_server stops the server: SIGTERM, then SIGKILL after 10s.
stop_server() {
  kill -TERM "$SRV_PID" 2>/dev/null || true
  for _ in $(seq 1 1000); do
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.01
  done
  kill -KILL "$SRV_PID" 2>/dev/null || true
  wait "$SRV_PID" 2>/dev/null || true
  SRV_PID=
}

# --- CPU accounting ----------------------------------------------------------

CLK_TCK=$(getconf CLK_TCK)

# cpu_ticks PID prints utime+stime of process PID, in clock ticks.
cpu_ticks() {
  # The fields after the command name, which may hold spaces: utime and
  # stime are the 14th and 15th fields of the line, 12th and 13th here.
  sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# busy_ticks prints the ticks CPUs SERVER_CPU and LOAD_CPU spent busy
# (user, nice, system, irq, softirq, steal), from /proc/stat.
busy_ticks() {
  awk -v a="cpu$SERVER_CPU" -v b="cpu$LOAD_CPU" '$1 == a || $1 == b { t += $2 + $3 + $4 + $7 + $8 + $9 } END { print t }' /proc/stat
}

# times_ticks FILE prints the user+sys time of the shell's finished
# children that the output of the times builtin in FILE gives, in ticks.
times_ticks() {
  awk -v hz="$CLK_TCK" 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, "m"); sub(/s$/, "", a[2]); t += a[1] * 60 + a[2] }
    printf "%.0f\n", t * hz
  }' "$1"
}

# window_begin and window_end bracket a measured run. window_end sets
# W_TICKS, the server's CPU ticks in it; W_SECONDS, its length; and
# W_FOREIGN, the percentage of the two CPUs' time that went to neither
# the server nor the load generator (other work on the machine, and the
# kernel's network work that no process is charged with).
window_begin() {
  W_T0=$(cpu_ticks "$SRV_PID")
  times >"$tmp/times0" # in this shell: the load generators are its children
  W_S0=$(busy_ticks)
  W_W0=$(date +%s.%N)
}
window_end() {
  local t1 s1 w1 c
  w1=$(date +%s.%N)
  s1=$(busy_ticks)
  times >"$tmp/times1"
  t1=$(cpu_ticks "$SRV_PID")
  W_TICKS=$((t1 - W_T0))
  W_SECONDS=$(awk -v a="$W_W0" -v b="$w1" 'BEGIN { print b - a }')
  c=$(($(times_ticks "$tmp/times1") - $(times_ticks "$tmp/times0")))
  W_FOREIGN=$(awk -v s="$((s1 - W_S0))" -v t="$W_TICKS" -v c="$c" -v w="$W_SECONDS" -v hz="$CLK_TCK" \
    'BEGIN { f = (s - t - c) / (2 * w * hz) * 100; printf "%.1f\n", f < 0 ? 0 : f }')
}

# --- load --------------------------------------------------------------------

# SayHello{name:"Ada"} as a gRPC message: not compressed, 5 bytes long.
body=$tmp/sayhello.bin
printf '\x00\x00\x00\x00\x05\x0a\x03Ada' >"$body"
# The answer's DATA: the 5-byte prefix and SayHelloResponse{message:"Hello, Ada"}.
ok_data_bytes=17

# h2load_run PORT SECONDS OUT runs h2load on CPU 1 against PORT.
h2load_run() {
  timeout $(($2 + 30)) taskset -c $LOAD_CPU h2load -D "$2" -c "$H2_CONNS" -m "$H2_STREAMS" -t 1 \
    -d "$body" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$1/greeter.v1.GreeterService/SayHello" >"$3" 2>&1 || {
    cat "$3" >&2
    die "h2load failed"
  }
}

# wrk_run PORT SECONDS OUT runs wrk on CPU 1 against PORT.
wrk_run() {
  timeout $(($2 + 30)) taskset -c $LOAD_CPU wrk -t1 -c "$WRK_CONNS" -d "${2}s" \
    "http://127.0.0.1:$1/hello?name=Ada" >"$3" 2>&1 || {
    cat "$3" >&2
    die "wrk failed"
  }
}

# h2load_check OUT prints the succeeded requests of an h2load run, after
# checking that every request succeeded with a 2xx and carried the
# answer's DATA (an error status comes in a trailers-only response, with
# no DATA).
h2load_check() {
  local succeeded failed errored n2xx data
  read -r succeeded failed errored < <(awk '/^requests:/ { print $8, $10, $12 }' "$1")
  n2xx=$(awk '/^status codes:/ { print $3 }' "$1")
  data=$(awk '/^traffic:/ { gsub(/[()]/, "", $0); print $(NF - 1) }' "$1")
  [[ -n $succeeded && $succeeded -gt 0 ]] || die "h2load: no request succeeded: $(cat "$1")"
  ((failed == 0 && errored == 0)) || die "h2load: $failed failed, $errored errored"
  ((n2xx == succeeded)) || die "h2load: $n2xx 2xx for $succeeded succeeded"
  ((data == succeeded * ok_data_bytes)) || die "h2load: $data bytes of DATA for $succeeded answers, want $((succeeded * ok_data_bytes))"
  echo "$succeeded"
}

# wrk_check OUT prints the requests of a wrk run, after checking that none
# failed or answered other than 2xx or 3xx.
wrk_check() {
  local n
  n=$(awk '/requests in/ { print $1 }' "$1")
  [[ -n $n && $n -gt 0 ]] || die "wrk: no request: $(cat "$1")"
  ! grep -q 'Non-2xx or 3xx responses' "$1" || die "wrk: $(grep 'Non-2xx' "$1")"
  ! grep -q 'Socket errors' "$1" || die "wrk: $(grep 'Socket errors' "$1")"
  echo "$n"
}

results=$tmp/results.tsv # protocol server round requests ticks seconds foreign%
checks=$tmp/checks.txt
: >"$results"
: >"$checks"
discarded=0

# load_run PROTO SERVER ROUND: one measured run, made again (ATTEMPTS times
# at most) while the server was not saturated or other work ran.
load_run() {
  local attempt busy foreign
  for attempt in $(seq 1 "$ATTEMPTS"); do
    wait_quiet $SERVER_CPU $LOAD_CPU
    measure "$@"
    busy=$(tail -n 1 "$results" | awk -F'\t' -v hz="$CLK_TCK" '{ printf "%d", $5 / hz / $6 * 100 }')
    foreign=$(tail -n 1 "$results" | awk -F'\t' '{ printf "%d", $7 }')
    if ((busy >= MIN_BUSY && foreign <= MAX_FOREIGN)); then
      return
    fi
    if ((attempt < ATTEMPTS)); then
      log "$1 $2 round $3: the server was busy $busy% of the run, other work took $foreign% of the CPUs; making it again"
      sed -i '$d' "$results"
      sed -i '$d' "$checks"
      discarded=$((discarded + 1))
    fi
  done
}

# measure PROTO SERVER ROUND: one measured run; appends its line to
# results and checks.
measure() {
  local proto=$1 server=$2 round=$3 port warm=$tmp/warm.txt out=$tmp/$1-$2-$3.txt
  local warm_n n answered run=h2load_run check=h2load_check
  if [[ $proto == http ]]; then run=wrk_run check=wrk_check; fi
  port=$(port_of "$proto" "$server")
  start_server "$server"
  $run "$port" "$WARMUP" "$warm"
  warm_n=$($check "$warm")
  window_begin
  $run "$port" "$DURATION" "$out"
  window_end
  n=$($check "$out")
  stop_server
  # The bare servers count what they answered: the readiness probe, the
  # warm-up, the run, and the calls in flight when a run ended, which the
  # load generator does not count.
  if [[ $server == bare-* ]]; then
    answered=$(awk '/^answered/ { print $2 }' "$SRV_OUT")
    local counted=$((1 + warm_n + n)) slack
    if [[ $proto == grpc ]]; then slack=$((2 * H2_CONNS * H2_STREAMS)); else slack=$((2 * WRK_CONNS)); fi
    if [[ -z $answered ]] || ((answered < counted || answered > counted + slack)); then
      die "$server answered ${answered:-?} greetings; the load generator counted $counted"
    fi
    echo "$proto $server round $round: server answered $answered greetings, load generator counted $counted (probe + warm-up + run)" >>"$checks"
  else
    echo "$proto $server round $round: $n answers, each a 2xx$([[ $proto == grpc ]] && echo " with ${ok_data_bytes} bytes of DATA (the greeting)")" >>"$checks"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$proto" "$server" "$round" "$n" "$W_TICKS" "$W_SECONDS" "$W_FOREIGN" >>"$results"
  log "$proto $server round $round: $n requests, $W_TICKS ticks, ${W_FOREIGN}% foreign"
}

# in_order ROUND LIST prints LIST as it is in odd rounds and reversed in
# even ones (ABBA), so that no server always goes first.
in_order() {
  if (($1 % 2)); then echo "$2"; else echo "$2" | awk '{ for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "\n") }'; fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)

for proto in grpc http; do
  servers=$grpc_servers
  [[ $proto == http ]] && servers=$http_servers
  for round in $(seq 1 "$ROUNDS"); do
    for server in $(in_order "$round" "$servers"); do
      load_run "$proto" "$server" "$round"
    done
  done
done

# --- start-up ----------------------------------------------------------------

startup=$tmp/startup.tsv # server serving_us rss_kib
: >"$startup"
# start_run SERVER: one exec → SERVING run, with the RSS a second later.
start_run() {
  local server=$1 line
  # shellcheck disable=SC2046 # the command line is split on purpose
  line=$(env $(server_cmd "$server" | awk '{ for (i = 1; i <= NF && $i ~ /=/; i++) printf "%s ", $i }') \
    timeout 60 taskset -c $LOAD_CPU "$tmp/waitserving" -addr "127.0.0.1:$(port_of grpc "$server")" -rss-after 1s -- \
    taskset -c $SERVER_CPU $(server_cmd "$server" | awk '{ for (i = 1; i <= NF; i++) if ($i !~ /^MIKROS_/) printf "%s ", $i }') |
    grep '^serving_us=' || true)
  [[ -n $line ]] || die "$server: no start-up measurement"
  awk -v s="$server" '{ split($1, a, "="); split($2, b, "="); print s "\t" a[2] "\t" b[2] }' <<<"$line" >>"$startup"
}
for i in $(seq 1 "$STARTS"); do
  wait_quiet $SERVER_CPU $LOAD_CPU
  for server in $(in_order "$i" "$start_servers"); do
    start_run "$server"
  done
done
log "start-up: $STARTS runs each"

load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- report ------------------------------------------------------------------

# median: of the numbers on stdin, one per line.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# p90: nearest-rank 90th percentile of the numbers on stdin.
p90() {
  sort -g | awk '{ v[NR] = $1 } END { i = int(NR * 0.9 + 0.999999); if (i < 1) i = 1; print v[i] }'
}
# calc EXPR evaluates EXPR with awk and prints it.
calc() { awk "BEGIN { print $1 }"; }
# verdict RATIO LIMIT prints "met" or "**not met**".
verdict() { awk -v r="$1" -v l="$2" 'BEGIN { if (r <= l) print "met"; else print "**not met**" }'; }

# per_run PROTO SERVER WHAT prints one value a line for each run of
# SERVER: cpu (µs per request), rps, busy (%) or foreign (%).
per_run() {
  awk -F'\t' -v p="$1" -v s="$2" -v w="$3" -v hz="$CLK_TCK" '$1 == p && $2 == s {
    if (w == "cpu") printf "%.3f\n", $5 / hz * 1e6 / $4
    if (w == "rps") printf "%.0f\n", $4 / $6
    if (w == "busy") printf "%.1f\n", $5 / hz / $6 * 100
    if (w == "foreign") printf "%.1f\n", $7
  }' "$results"
}
# paired PROTO SERVER prints SERVER's CPU per request ÷ bare's, for each
# round, one a line.
paired() {
  awk -F'\t' -v p="$1" -v s="$2" -v hz="$CLK_TCK" '
    $1 == p { c[$2 " " $3] = $5 / hz * 1e6 / $4; rounds[$3] = 1 }
    END { for (r in rounds) if ((s " " r) in c && (("bare-" p " " r) in c)) printf "%s %.3f\n", r, c[s " " r] / c["bare-" p " " r] }
  ' "$results" | sort -n | awk '{ print $2 }'
}
commas() { paste -sd' ' | sed 's/ /, /g'; }

cpu_model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
cat <<EOF
### Setup

$(nproc) CPUs ($cpu_model), $(uname -sr), $(go version | awk '{ print $3 }'), $(date -u +%Y-%m-%d).
Load average $load_before before, $load_after after (other work shares the machine).

Servers (built with \`go build\`, each pinned to CPU $SERVER_CPU with taskset):

- **greeter**: examples/greeter, its own service.toml with \`[log] level = "error"\`,
  \`drain_delay = "0s"\` and every address 127.0.0.1 (MIKROS_CONFIG; ports from
  MIKROS_GRPC_PORT, MIKROS_HTTP_PORT, MIKROS_ADMIN_PORT). It serves gRPC, HTTP and the admin
  endpoints at once, as the example does.
- **bare**: bench/cmd/baregrpc (grpc.Server, the greeting and the standard health
  service) and bench/cmd/barehttp (net/http.Server with ReadHeaderTimeout, a ServeMux
  with the greeting).
EOF
if ((DECOMPOSE)); then
  cat <<EOF
- **Mikros, grpc kind only**: bench/cmd/mikrosgrpc, the bare greeting run by core with
  the grpc kind and the logger feature (errors only): no HTTP kind, no reflection, no
  admin listener.
- **bare + the kind's timeouts**: barehttp -timeouts, with the http kind's defaults:
  ReadHeaderTimeout 5s, IdleTimeout 120s, MaxHeaderBytes 1 MiB, no ReadTimeout or
  WriteTimeout.
EOF
fi
if ((OBSERVED)); then
  cat <<EOF
- **Mikros, tracing + metrics**: bench/cmd/mikrosobserved, the bare greeting run by core
  with the grpc and http kinds, the admin listener, and the logger (errors only), tracing
  (sampler always_on: a recorded span for every call, handed to an exporter that drops
  each batch in the process) and metrics features.
EOF
fi
cat <<EOF

Load generators, pinned to CPU $LOAD_CPU: h2load $(h2load --version | awk '{ print $2 }'), ${H2_CONNS} connections × ${H2_STREAMS} streams,
one thread, unary SayHello{name:"Ada"} calls (a pre-encoded gRPC message, content-type
application/grpc, te: trailers); wrk, ${WRK_CONNS} keep-alive connections, one thread,
GET /hello?name=Ada. Each run: start the server, ${WARMUP}s of warm-up load, ${DURATION}s measured, stop
the server. $ROUNDS rounds, the servers alternating (ABBA). Before each run the script
waits for both CPUs to be idle, and a run in which the server was busy less than ${MIN_BUSY}%
of the time (not saturated) or in which more than ${MAX_FOREIGN}% of the two CPUs' time went to
neither the server nor the load generator (other work ran) is made again.

Server CPU per request = (utime + stime of the server, /proc/PID/stat, over the measured
run) / requests the load generator completed in it.

### Server CPU per request, saturating load

| protocol | server | CPU per request (median) | ratio to bare: of medians, median of rounds | requests/s (median) | server busy (median) | runs |
|---|---|---|---|---|---|---|
EOF
declare -A ratio
for proto in grpc http; do
  servers=$grpc_servers
  [[ $proto == http ]] && servers=$http_servers
  b=$(per_run "$proto" "bare-$proto" cpu | median)
  for server in $servers; do
    c=$(per_run "$proto" "$server" cpu | median)
    if [[ $server == "bare-$proto" ]]; then
      r="1×"
    else
      ratio[$proto/$server]=$(calc "$c / $b")
      r=$(printf '**%.3f×**, %.3f×' "${ratio[$proto/$server]}" "$(paired "$proto" "$server" | median)")
    fi
    printf '| %s | %s | %.2f µs | %s | %.0f | %.1f%% | %s |\n' "$proto" "$(label "$server")" "$c" "$r" \
      "$(per_run "$proto" "$server" rps | median)" "$(per_run "$proto" "$server" busy | median)" \
      "$(per_run "$proto" "$server" cpu | wc -l)"
  done
done
cat <<EOF

Every run (in round order), CPU µs per request, and the share of the two CPUs other
work took:

| protocol | server | CPU µs per request | other work |
|---|---|---|---|
EOF
for proto in grpc http; do
  servers=$grpc_servers
  [[ $proto == http ]] && servers=$http_servers
  for server in $servers; do
    printf '| %s | %s | %s | %s |\n' "$proto" "$(label "$server")" "$(per_run "$proto" "$server" cpu | commas)" \
      "$(per_run "$proto" "$server" foreign | sed 's/$/%/' | commas)"
  done
done
cat <<EOF

$discarded runs were thrown away and made again (server busy less than ${MIN_BUSY}% of the
time, or other work over ${MAX_FOREIGN}%); the machine was not quiet (both CPUs ${QUIET}% idle)
within ${QUIET_WAIT}s before $quiet_misses of the measurements.

Checks made: every h2load request succeeded with a 2xx and carried exactly the
greeting's ${ok_data_bytes} bytes of DATA (a gRPC error is a trailers-only response, without
DATA); before each run a gRPC client called SayHello and got "Hello, Ada" with status
OK, and curl got the exact JSON; wrk saw no error and no non-2xx answer; the bare
servers' own counts of the greetings they answered match the load generators' (the
Mikros servers keep no count):

\`\`\`
$(cat "$checks")
\`\`\`

### exec → gRPC health SERVING, and idle RSS

The server started by bench/cmd/waitserving (on CPU $LOAD_CPU; the server on CPU $SERVER_CPU), which calls
grpc.health.v1.Health/Check every millisecond from just before the exec until it
answers SERVING, then reads VmRSS from /proc/PID/status 1s later. $STARTS runs each,
alternating.

| server | exec → SERVING median | p90 | ratio | idle RSS median | ratio | runs |
|---|---|---|---|---|---|---|
EOF
sb=$(awk -F'\t' '$1 == "bare-grpc" { print $2 / 1000 }' "$startup" | median)
rb=$(awk -F'\t' '$1 == "bare-grpc" { print $3 / 1024 }' "$startup" | median)
for server in $start_servers; do
  s=$(awk -F'\t' -v s="$server" '$1 == s { print $2 / 1000 }' "$startup" | median)
  r=$(awk -F'\t' -v s="$server" '$1 == s { print $3 / 1024 }' "$startup" | median)
  ratio[start/$server]=$(calc "$s / $sb")
  ratio[rss/$server]=$(calc "$r / $rb")
  printf '| %s | %.2f ms | %.2f ms | %.2f× | %.1f MiB | %.2f× | %s |\n' "$(label "$server")" "$s" \
    "$(awk -F'\t' -v s="$server" '$1 == s { print $2 / 1000 }' "$startup" | p90)" "${ratio[start/$server]}" \
    "$r" "${ratio[rss/$server]}" "$(awk -F'\t' -v s="$server" '$1 == s' "$startup" | wc -l)"
done

cat <<EOF

### Targets

| goal | budget | measured (greeter ÷ bare) | |
|---|---|---|---|
EOF
printf '| server CPU per gRPC request | ≤ 1.08× | %.3f× | %s |\n' "${ratio[grpc/greeter]}" "$(verdict "${ratio[grpc/greeter]}" 1.08)"
printf '| server CPU per HTTP request | ≤ 1.08× | %.3f× | %s |\n' "${ratio[http/greeter]}" "$(verdict "${ratio[http/greeter]}" 1.08)"
printf '| exec → SERVING | ≤ 1.2× | %.3f× | %s |\n' "${ratio[start/greeter]}" "$(verdict "${ratio[start/greeter]}" 1.2)"
printf '| idle RSS | ≤ 1.2× | %.3f× | %s |\n' "${ratio[rss/greeter]}" "$(verdict "${ratio[rss/greeter]}" 1.2)"
if ((OBSERVED)); then
  cat <<EOF

With tracing and metrics on (mikrosobserved ÷ bare; no budget):

| measure | ratio to bare |
|---|---|
EOF
  printf '| server CPU per gRPC request | %.3f× |\n' "${ratio[grpc/mikros-observed]}"
  printf '| server CPU per HTTP request | %.3f× |\n' "${ratio[http/mikros-observed]}"
  printf '| exec → SERVING | %.3f× |\n' "${ratio[start/mikros-observed]}"
  printf '| idle RSS | %.3f× |\n' "${ratio[rss/mikros-observed]}"
fi
