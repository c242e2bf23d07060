#!/usr/bin/env bash
# Runs the Go benchmarks of the network kinds and compares bare with
# Mikros:
#
#   roundtrip  bench/       a call over loopback, client and server in one
#                           process: bare, mikros, mikros-observed (tracing
#                           with every span recorded, and metrics)
#   chain      bench/       the server's side alone, through the kind of a
#                           running service: bare, mikros, mikros-observed
#                           with the real tracing and metrics features
#   grpcchain  kinds/grpc   the kind's interceptor inside its package:
#                           bare, noop (an interceptor that does nothing),
#                           mikros, mikros-observed (a no-op observer)
#   httpchain  kinds/http   the kind's wrapper inside its package: bare,
#                           mikros, mikros-observed (a no-op observer)
#
#   bash bench/gobench.sh                # from anywhere in the repository
#   COUNT=10 BENCHTIME=2s bash bench/gobench.sh
#   ONLY="chain httpchain" bash bench/gobench.sh   # some suites only
#   CPU=1 bash bench/gobench.sh          # GOMAXPROCS=1 (-test.cpu 1)
#
# Each test binary is built once and run COUNT times (6), every run going
# through all its benchmarks once, so that each bare/mikros pair is
# measured back to back, round after round, rather than bare six times and
# then mikros six times. The raw results, then a benchstat comparison of
# each variant with bare (golang.org/x/perf/cmd/benchstat, through go
# run), then the differences of the medians and of each round's pair, go
# to stdout.
#
# Other work on the machine skews the figures: before each run of a test
# binary the script waits until both CPUs are idle (quiet.sh: QUIET percent,
# at most QUIET_WAIT seconds), and the report gives the load average
# before and after.
set -euo pipefail

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -f $root/go.work ]] || {
  echo "gobench.sh: cannot find the repository root (go.work) above bench/" >&2
  exit 1
}
# shellcheck source=quiet.sh
source "$root/bench/quiet.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# suites: name, module directory, benchmarks.
suites=(
  "roundtrip bench ^(BenchmarkGRPCUnary|BenchmarkGRPCUnaryParallel|BenchmarkHTTP|BenchmarkHTTPParallel)$"
  "chain bench ^(BenchmarkGRPCChain|BenchmarkHTTPChain)$"
  "grpcchain kinds/grpc ^BenchmarkGRPCChain$"
  "httpchain kinds/http ^BenchmarkHTTPChain$"
)
if [[ -n ${ONLY:-} ]]; then
  all=("${suites[@]}")
  suites=()
  for s in "${all[@]}"; do
    [[ " $ONLY " == *" ${s%% *} "* ]] && suites+=("$s")
  done
fi
cpu_flag=()
[[ -n ${CPU:-} ]] && cpu_flag=(-test.cpu "$CPU")

# The variants of a benchmark, as the last element of its name but one (or
# the last): bare is the baseline, the others are compared with it.
all_variants="bare noop mikros mikros-observed"

# variants FILE splits FILE into FILE.<variant>, one per variant, dropping
# the variant from each benchmark's name, so that benchstat lines up the
# same benchmark of each: BenchmarkX/mikros-observed/caller-traced-2
# becomes BenchmarkX/caller-traced-2 in FILE.mikros-observed.
variants() {
  local v
  for v in $all_variants; do
    awk -v v="$v" '
      !/^Benchmark/ { print; next }
      {
        n = split($1, parts, "/")
        name = parts[1]; keep = 0
        for (i = 2; i <= n; i++) {
          p = parts[i]; sub(/-[0-9]+$/, "", p)
          if (!keep && p == v) { keep = 1; if (i == n) name = name substr(parts[i], length(v) + 1); continue }
          name = name "/" parts[i]
        }
        if (keep) { $1 = name; print }
      }' "$1" >"$1.$v"
  done
}

# has_results FILE says whether FILE holds a benchmark result.
has_results() { [[ -s $1 ]] && grep -q '^Benchmark' "$1"; }

for s in "${suites[@]}"; do
  read -r name dir _ <<<"$s"
  echo "building $dir ($name)" >&2
  (cd "$root/$dir" && timeout 600 go test -c -o "$tmp/$name.test" .)
  : >"$tmp/$name.txt"
  : >"$tmp/$name.pairs"
done

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$tmp/idle"
for i in $(seq 1 "$COUNT"); do
  echo "round $i of $COUNT" >&2
  for s in "${suites[@]}"; do
    read -r name dir pattern <<<"$s"
    wait_quiet 0 1
    echo "$quiet_idle" >>"$tmp/idle"
    # Run in the package's directory, as go test does; keep the header
    # (goos, cpu, ...) of the first round only.
    (cd "$root/$dir" && timeout 1200 "$tmp/$name.test" -test.run '^$' -test.bench "$pattern" \
      -test.benchtime "$BENCHTIME" -test.count 1 "${cpu_flag[@]}") |
      awk -v first="$i" '/^Benchmark/ || (first == 1 && /^(goos|goarch|pkg|cpu):/)' >"$tmp/$name.round"
    cat "$tmp/$name.round" >>"$tmp/$name.txt"
    # For the paired comparison: round, variant, benchmark, ns/op.
    variants "$tmp/$name.round"
    for v in $all_variants; do
      awk -v r="$i" -v v="$v" '/^Benchmark/ { for (j = 3; j < NF; j++) if ($(j + 1) == "ns/op") print r, v, $1, $j }' \
        "$tmp/$name.round.$v" >>"$tmp/$name.pairs"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# median prints the median of the numbers on stdin, one a line.
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "$COUNT rounds of -test.benchtime $BENCHTIME${CPU:+, -test.cpu $CPU}; load average $load_before before, $load_after after;"
echo "both CPUs $(median <"$tmp/idle")% idle (median) just before the runs; the machine was not quiet (${QUIET}% idle) within ${QUIET_WAIT}s before $quiet_misses of them."
echo

# medians FILE prints, for each benchmark of FILE, its median ns/op,
# allocs/op and cpu-ns/op ("-" when not reported).
medians() {
  awk '/^Benchmark/ {
      for (i = 3; i < NF; i++) {
        if ($(i + 1) == "ns/op") ns[$1] = ns[$1] " " $i
        if ($(i + 1) == "allocs/op") al[$1] = al[$1] " " $i
        if ($(i + 1) == "cpu-ns/op") cpu[$1] = cpu[$1] " " $i
      }
    }
    END { for (b in ns) print b, ns[b] "|" al[b] "|" cpu[b] }' "$1" |
    while IFS='|' read -r head al cpu; do
      read -r bench ns <<<"$head"
      printf '%s %s %s %s\n' "$bench" \
        "$(tr ' ' '\n' <<<"$ns" | grep . | median)" \
        "$(tr ' ' '\n' <<<"$al" | grep . | median)" \
        "$(if [[ -n ${cpu// /} ]]; then tr ' ' '\n' <<<"$cpu" | grep . | median; else echo -; fi)"
    done | sort
}

# base is an awk function: the name of the bare benchmark a variant's
# benchmark compares with, when bare has none of that name: its last
# element dropped (BenchmarkX/caller-traced-2 → BenchmarkX-2).
base='function base(n,   s) {
  s = ""
  if (match(n, /-[0-9]+$/)) { s = substr(n, RSTART); n = substr(n, 1, RSTART - 1) }
  if (match(n, /\/[^\/]*$/)) n = substr(n, 1, RSTART - 1)
  return n s
}'

for s in "${suites[@]}"; do
  read -r name dir _ <<<"$s"
  f=$tmp/$name.txt
  echo "### $name ($dir)"
  echo
  echo '```'
  cat "$f"
  echo '```'
  echo
  variants "$f"
  inputs=()
  for v in $all_variants; do
    has_results "$f.$v" && inputs+=("$v=$f.$v")
  done
  echo '```'
  (cd "$tmp" && timeout 600 go run golang.org/x/perf/cmd/benchstat@latest "${inputs[@]}")
  echo '```'
  echo
  echo "Medians, each variant against bare (the same benchmark, or the one it is a case of):"
  echo
  echo "| benchmark | variant | bare | variant | difference | ratio | allocs bare | allocs | difference | CPU bare | CPU | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  medians "$f.bare" >"$tmp/$name.med.bare"
  for v in $all_variants; do
    [[ $v == bare ]] && continue
    has_results "$f.$v" || continue
    medians "$f.$v" | awk -v v="$v" "$base"'
      FNR == NR { ns[$1] = $2; al[$1] = $3; cpu[$1] = $4; next }
      {
        b = ($1 in ns) ? $1 : base($1)
        if (!(b in ns)) next
        c = (cpu[b] != "-" && $4 != "-") ? sprintf("%.0f ns | %.0f ns | %.3f×", cpu[b], $4, $4 / cpu[b]) : "- | - | -"
        printf "| %s | %s | %.0f ns | %.0f ns | %+.0f ns | %.3f× | %g | %g | %+g | %s |\n", $1, v, ns[b], $2, $2 - ns[b], $2 / ns[b], al[b], $3, $3 - al[b], c
      }' "$tmp/$name.med.bare" -
  done
  echo
  echo "Paired by round (variant − bare of the same round, which ran back to back):"
  echo
  echo "| benchmark | variant | median difference | median ratio | rounds slower than bare |"
  echo "|---|---|---|---|---|"
  # round variant bench difference ratio, one line per round, variant and benchmark
  awk "$base"'
    $2 == "bare" { b[$1 " " $3] = $4; next }
    { m[$1 " " $2 " " $3] = $4 }
    END {
      for (k in m) {
        split(k, f, " ")
        kb = f[1] " " f[3]
        if (!(kb in b)) kb = f[1] " " base(f[3])
        if (kb in b) print f[1], f[2], f[3], m[k] - b[kb], m[k] / b[kb]
      }
    }' "$tmp/$name.pairs" >"$tmp/$name.paired"
  awk '{ print $2, $3 }' "$tmp/$name.paired" | sort -u | while read -r v bench; do
    printf '| %s | %s | %+.0f ns | %.3f× | %s of %s |\n' "$bench" "$v" \
      "$(awk -v v="$v" -v b="$bench" '$2 == v && $3 == b { print $4 }' "$tmp/$name.paired" | median)" \
      "$(awk -v v="$v" -v b="$bench" '$2 == v && $3 == b { print $5 }' "$tmp/$name.paired" | median)" \
      "$(awk -v v="$v" -v b="$bench" '$2 == v && $3 == b && $4 > 0' "$tmp/$name.paired" | wc -l)" \
      "$(awk -v v="$v" -v b="$bench" '$2 == v && $3 == b' "$tmp/$name.paired" | wc -l)"
  done
  echo
done
