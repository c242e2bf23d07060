#!/usr/bin/env bash
# Runs the Go benchmarks of the network kinds — the round trips of this
# module and the server-side chains of kinds/grpc and kinds/http, which
# reach inside those packages — and compares bare with Mikros.
#
#   bash bench/gobench.sh                # from anywhere in the repository
#   COUNT=10 BENCHTIME=2s bash bench/gobench.sh
#   ONLY="grpcchain httpchain" bash bench/gobench.sh   # some suites only
#
# Each test binary is built once and run COUNT times (6), every run going
# through all its benchmarks once, so that each bare/mikros pair is
# measured back to back, round after round, rather than bare six times and
# then mikros six times. The raw results, then a benchstat comparison of
# bare with mikros (golang.org/x/perf/cmd/benchstat, through go run), then
# the differences of the medians, go to stdout.
#
# Other work on the machine skews the figures: before each run of a test
# binary the script waits until both CPUs are idle (quiet.sh: QUIET percent,
# at most QUIET_WAIT seconds).
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

# variants FILE splits FILE into FILE.bare, FILE.mikros and FILE.noop,
# dropping the variant from each benchmark's name, so that benchstat lines
# up the same benchmark of each.
variants() {
  local v
  for v in bare mikros noop; do
    awk -v v="$v" '
      !/^Benchmark/ { print; next }
      {
        n = split($1, parts, "/")
        name = parts[1]; keep = 0
        for (i = 2; i <= n; i++) {
          p = parts[i]; sub(/-[0-9]+$/, "", p)
          if (p == v) { keep = 1; if (i == n) name = name substr(parts[i], length(v) + 1); continue }
          name = name "/" parts[i]
        }
        if (keep) { $1 = name; print }
      }' "$1" >"$1.$v"
  done
}

for s in "${suites[@]}"; do
  read -r name dir _ <<<"$s"
  echo "building $dir" >&2
  (cd "$root/$dir" && timeout 600 go test -c -o "$tmp/$name.test" .)
  : >"$tmp/$name.txt"
  : >"$tmp/$name.pairs"
done

for i in $(seq 1 "$COUNT"); do
  echo "round $i of $COUNT" >&2
  for s in "${suites[@]}"; do
    read -r name dir pattern <<<"$s"
    wait_quiet 0 1
    # Run in the package's directory, as go test does; keep the header
    # (goos, cpu, ...) of the first round only.
    (cd "$root/$dir" && timeout 1200 "$tmp/$name.test" -test.run '^$' -test.bench "$pattern" \
      -test.benchtime "$BENCHTIME" -test.count 1) |
      awk -v first="$i" '/^Benchmark/ || (first == 1 && /^(goos|goarch|pkg|cpu):/)' >"$tmp/$name.round"
    cat "$tmp/$name.round" >>"$tmp/$name.txt"
    # For the paired comparison: round, variant, benchmark, ns/op.
    variants "$tmp/$name.round"
    for v in bare mikros; do
      awk -v r="$i" -v v="$v" '/^Benchmark/ { for (j = 3; j < NF; j++) if ($(j + 1) == "ns/op") print r, v, $1, $j }' \
        "$tmp/$name.round.$v" >>"$tmp/$name.pairs"
    done
  done
done
echo "$COUNT rounds of -test.benchtime $BENCHTIME; the machine was not quiet within ${QUIET_WAIT}s before $quiet_misses of the runs."
echo

# median prints the median of the numbers on stdin, one a line.
median() {
  sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# medians FILE prints, for each benchmark of FILE, its median sec/op and
# allocs/op.
medians() {
  awk '/^Benchmark/ {
      for (i = 3; i < NF; i++) {
        if ($(i + 1) == "ns/op") ns[$1] = ns[$1] " " $i
        if ($(i + 1) == "allocs/op") al[$1] = al[$1] " " $i
      }
    }
    END { for (b in ns) print b, ns[b] "|" al[b] }' "$1" |
    while read -r bench rest; do
      printf '%s %s %s\n' "$bench" \
        "$(tr ' ' '\n' <<<"${rest%%|*}" | grep . | median)" \
        "$(tr ' ' '\n' <<<"${rest#*|}" | grep . | median)"
    done | sort
}

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
  inputs=(bare="$f.bare" mikros="$f.mikros")
  [[ -s $f.noop ]] && grep -q '^Benchmark' "$f.noop" && inputs=(bare="$f.bare" noop="$f.noop" mikros="$f.mikros")
  echo '```'
  (cd "$tmp" && timeout 600 go run golang.org/x/perf/cmd/benchstat@latest "${inputs[@]}")
  echo '```'
  echo
  echo "| benchmark | bare | mikros | difference | allocs bare | allocs mikros | difference |"
  echo "|---|---|---|---|---|---|---|"
  join <(medians "$f.bare") <(medians "$f.mikros") |
    awk '{ printf "| %s | %.0f ns | %.0f ns | %+.0f ns (%.3f×) | %g | %g | %+g |\n", $1, $2, $4, $4 - $2, $4 / $2, $3, $5, $5 - $3 }'
  echo
  echo "Paired by round (mikros − bare of the same round, which ran back to back):"
  echo
  echo "| benchmark | median difference | median ratio | rounds mikros slower |"
  echo "|---|---|---|---|"
  # round bench difference ratio, one line per round and benchmark
  awk '$2 == "bare" { b[$1 " " $3] = $4 } $2 == "mikros" { m[$1 " " $3] = $4 }
    END { for (k in m) if (k in b) print k, m[k] - b[k], m[k] / b[k] }' "$tmp/$name.pairs" >"$tmp/$name.paired"
  awk '{ print $2 }' "$tmp/$name.paired" | sort -u | while read -r bench; do
    printf '| %s | %+.0f ns | %.3f× | %s of %s |\n' "$bench" \
      "$(awk -v b="$bench" '$2 == b { print $3 }' "$tmp/$name.paired" | median)" \
      "$(awk -v b="$bench" '$2 == b { print $4 }' "$tmp/$name.paired" | median)" \
      "$(awk -v b="$bench" '$2 == b && $3 > 0' "$tmp/$name.paired" | wc -l)" \
      "$(awk -v b="$bench" '$2 == b' "$tmp/$name.paired" | wc -l)"
  done
  echo
done
