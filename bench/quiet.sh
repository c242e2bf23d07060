# shellcheck shell=bash
# Sourced by load.sh and gobench.sh: waiting for the machine to be quiet
# before a measurement, since other work may share it.
#
# QUIET is the idle percentage both measured CPUs must reach (90), and
# QUIET_WAIT the longest wait, in seconds (120); after it the measurement
# goes ahead, and quiet_misses counts it. quiet_idle is the idle
# percentage measured last, when the wait ended.

QUIET=${QUIET:-90}
QUIET_WAIT=${QUIET_WAIT:-120}
quiet_misses=0
quiet_idle=

# cpu_idle CPU... prints the lowest idle percentage of the given CPUs over
# the next 0.5s.
cpu_idle() {
  local a b
  a=$(grep -E '^cpu[0-9]+ ' /proc/stat)
  sleep 0.5
  b=$(grep -E '^cpu[0-9]+ ' /proc/stat)
  awk -v cpus=" $* " '
    # idle and iowait over the sum of all fields, per CPU
    FNR == NR { t = 0; for (i = 2; i <= NF; i++) t += $i; total[$1] = t; idle[$1] = $5 + $6; next }
    {
      n = substr($1, 4)
      if (index(cpus, " " n " ") == 0) next
      t = 0; for (i = 2; i <= NF; i++) t += $i
      dt = t - total[$1]; di = $5 + $6 - idle[$1]
      pct = dt > 0 ? di * 100 / dt : 100
      if (min == "" || pct < min) min = pct
    }
    END { printf "%d\n", min == "" ? 100 : min }
  ' <(echo "$a") <(echo "$b")
}

# wait_quiet CPU... waits until the given CPUs are at least QUIET percent
# idle, at most QUIET_WAIT seconds.
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) idle
  while :; do
    idle=$(cpu_idle "$@")
    # shellcheck disable=SC2034 # read by the scripts that source this one
    quiet_idle=$idle
    ((idle >= QUIET)) && return 0
    if ((SECONDS >= deadline)); then
      quiet_misses=$((quiet_misses + 1))
      echo "CPUs $* only ${idle}% idle after ${QUIET_WAIT}s; measuring anyway" >&2
      return 0
    fi
    sleep 1
  done
}
