#!/usr/bin/env bash
# Runner benchmark: 400 jobs of 50 ms with --jobs 8, against the ideal
# (400 x 50 ms / 8 = 2.5 s) and against GNU parallel and xargs -P running the
# same test script in the same run. Prints wall times, ratios, the runner's
# overhead per job and its peak RSS.
#   bench/runner.sh [build-dir]   (GNU parallel: apt-get install parallel)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$here/build}"
certify="$build/cli/certify"
[ -x "$certify" ] || { echo "no $certify: build first" >&2; exit 2; }
jobs=400 workers=8 sleep_s=0.05
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/suites/bench"
cat > "$work/suites/bench/sleep.sh" <<'SH'
#!/bin/sh
exec sleep 0.05
SH
chmod +x "$work/suites/bench/sleep.sh"
cat > "$work/suites/bench/suite.xml" <<'XML'
<?xml version="1.0"?>
<suite schema_version="1" id="bench" class="disk">
  <test id="bench.sleep" run="exec:sleep.sh" timeout="60">
    <description>Sleeps 50 ms.</description>
  </test>
</suite>
XML
python3 - "$jobs" > "$work/inventory.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"schema_version": 1, "system": {}, "os": {}, "cpu": {}, "memory": {}, "warnings": [],
                  "devices": [{"id": "disk:b%03d" % i, "class": "disk", "bus": "virtual", "props": {}} for i in range(n)]}))
PY

now_ns() { date +%s%N; }
# Runs a command, prints "<wall seconds> <peak RSS KiB of the largest process>".
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
wall = time.monotonic() - t
print("%.3f %d" % (wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

ideal=$(python3 -c "print($jobs * $sleep_s / $workers)")
read -r t_certify rss_certify < <(measure "$certify" run --inventory "$work/inventory.json" --suites "$work/suites" \
  --results "$work/results" --run-id bench -j "$workers" --quiet)
python3 - "$work/results/bench/results.json" "$jobs" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = sum(1 for j in r["jobs"] if j["status"] == "pass")
assert ok == int(sys.argv[2]), "only %d jobs passed" % ok
PY
read -r t_xargs _ < <(measure sh -c "seq $jobs | xargs -P $workers -I{} $work/suites/bench/sleep.sh")
if command -v parallel >/dev/null; then
  read -r t_parallel _ < <(measure sh -c "seq $jobs | parallel -j $workers $work/suites/bench/sleep.sh")
else
  t_parallel=""
fi

python3 - "$ideal" "$t_certify" "$rss_certify" "$t_xargs" "$t_parallel" "$jobs" "$workers" <<'PY'
import sys
ideal, tc, rss, tx = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
tp = float(sys.argv[5]) if sys.argv[5] else None
jobs, workers = int(sys.argv[6]), int(sys.argv[7])
per_job = lambda t: (t - ideal) * workers / jobs * 1000  # worker-ms lost per job
print("runner benchmark: %d jobs x 50 ms, %d workers, ideal %.3f s" % (jobs, workers, ideal))
print("  certify run    %.3f s  %.3f x ideal  overhead %.2f ms/job  peak RSS %d KiB" % (tc, tc / ideal, per_job(tc), rss))
print("  xargs -P       %.3f s  %.3f x ideal  overhead %.2f ms/job  (certify/xargs %.3f)" % (tx, tx / ideal, per_job(tx), tc / tx))
if tp is not None:
    print("  GNU parallel   %.3f s  %.3f x ideal  overhead %.2f ms/job  (certify/parallel %.3f)" % (tp, tp / ideal, per_job(tp), tc / tp))
else:
    print("  GNU parallel   not installed (apt-get install parallel)")
print("  target: <= 1.10 x ideal and < 2 ms overhead per job: %s" % ("met" if tc <= 1.10 * ideal and per_job(tc) < 2 else "NOT met"))
PY
