#!/usr/bin/env bash
# Run the whole pytest suite on SQLite, then on PostgreSQL (the cluster of scripts/test-services.sh).
# Both runs must pass; a run that collects no test (pytest exit 5) fails too.
#
# Usage: bash scripts/run-tests.sh [pytest args...]     e.g.  bash scripts/run-tests.sh -x tests/e2e
#   GOVSITE_TEST_DATABASES="sqlite"       run on one database only ("sqlite postgres" by default)
#   GOVSITE_TEST_POSTGRES_URL=postgres://...  another PostgreSQL than the private test cluster
# Under CI=true the private cluster is stopped at the end, so the machine is left as it was found.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
ROOT="$(pwd -P)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
RESULTS="$ROOT/var/test-results"
DATABASES="${GOVSITE_TEST_DATABASES:-sqlite postgres}"

[ -x "$PYTHON" ] || { echo "[run-tests] no venv at .venv: run 'make install' first" >&2; exit 1; }
mkdir -p "$RESULTS"

# Production-like settings: DEBUG off, a real (random, per run) secret key, plain-http cookies on localhost.
export GOVSITE_DEBUG="${GOVSITE_DEBUG:-0}"
export GOVSITE_SECRET_KEY="${GOVSITE_SECRET_KEY:-test-$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')}"
export GOVSITE_SECURE_COOKIES="${GOVSITE_SECURE_COOKIES:-0}"
export PYTHONDONTWRITEBYTECODE=1
unset DATABASE_URL   # each run below chooses its database
[ "${CI:-}" = "true" ] && export HYPOTHESIS_PROFILE="${HYPOTHESIS_PROFILE:-ci}"

if [ "${CI:-}" = "true" ]; then
    trap 'bash scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
fi

declare -A STATUS SUMMARY SECONDS_TAKEN
overall=0
total_passed=0 total_failed=0 total_skipped=0

# "passed failed skipped" from pytest's JUnit XML.
counts() {
    "$PYTHON" - "$1" <<'PY'
import sys
import xml.etree.ElementTree as ET

try:
    root = ET.parse(sys.argv[1]).getroot()
except (OSError, ET.ParseError):
    print("0 0 0")
    raise SystemExit
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
total = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(total - failed - skipped, failed, skipped)
PY
}

run_suite() {
    local name=$1 label=$2 start rc
    shift 2
    echo
    echo "================ $label ================"
    start=$(date +%s)
    rm -f "$RESULTS/$name.xml"
    "$PYTHON" -m pytest --junitxml="$RESULTS/$name.xml" -o junit_family=xunit2 "$@"
    rc=$?
    SECONDS_TAKEN[$name]=$(($(date +%s) - start))
    local passed failed skipped
    read -r passed failed skipped < <(counts "$RESULTS/$name.xml")
    SUMMARY[$name]="$passed passed, $failed failed, $skipped skipped"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    total_skipped=$((total_skipped + skipped))
    case $rc in
        0) STATUS[$name]="ok" ;;
        5) STATUS[$name]="FAILED (no tests collected)"; overall=1 ;;
        *) STATUS[$name]="FAILED (pytest exit $rc)"; overall=1 ;;
    esac
}

for db in $DATABASES; do
    case $db in
        sqlite)
            run_suite sqlite "SQLite (default settings)" "$@"
            ;;
        postgres)
            url="${GOVSITE_TEST_POSTGRES_URL:-}"
            if [ -z "$url" ] && bash scripts/test-services.sh status >/dev/null 2>&1; then
                url="$(bash scripts/test-services.sh url)"
            fi
            if [ -z "$url" ]; then
                echo "[run-tests] PostgreSQL test cluster is not running: bash scripts/test-services.sh" >&2
                STATUS[postgres]="FAILED (no PostgreSQL)"; SUMMARY[postgres]="not run"; SECONDS_TAKEN[postgres]=0
                overall=1
                continue
            fi
            DATABASE_URL="$url" run_suite postgres "PostgreSQL ($url)" "$@"
            ;;
        *) echo "[run-tests] unknown database '$db' in GOVSITE_TEST_DATABASES" >&2; exit 2 ;;
    esac
done

echo
echo "================ summary ================"
for db in $DATABASES; do
    printf '%-10s %-30s %s (%ss)\n' "$db" "${STATUS[$db]}" "${SUMMARY[$db]}" "${SECONDS_TAKEN[$db]}"
done
if [ "$overall" -eq 0 ]; then
    echo "[run-tests] all runs passed"
else
    echo "[run-tests] FAILED"
fi
echo "total: $total_passed passed, $total_failed failed, $total_skipped skipped"
exit "$overall"
