#!/usr/bin/env bash
# Contract fuzzing: schemathesis against `qianyue serve --demo`, on a fresh
# SQLite data folder and on a fresh PostgreSQL database, with a token of each
# of several roles. Fails on any 5xx, any answer the OpenAPI document does not
# describe (status, content type, schema, headers) and any error that is not a
# problem document (tests/fuzz/hooks.py), and prints per database the requests
# made, the 2xx answers to writes, the 5xx answers and the mismatches.
#
#   tests/fuzz/run.sh                      # both databases, 30 s per role
#   QIANYUE_FUZZ_SECONDS=120 QIANYUE_FUZZ_DATABASES=sqlite tests/fuzz/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore schemathesis==4.32.5

BIN=${QIANYUE_BIN:-target/debug/qianyue}
SECONDS_PER_ROLE=${QIANYUE_FUZZ_SECONDS:-30}
DATABASES=${QIANYUE_FUZZ_DATABASES:-sqlite postgres}
PG_ADMIN=${QIANYUE_FUZZ_PG:-postgres://postgres@127.0.0.1:5432/test}
# The roles whose operations differ most; each `--role …` line is one token.
ROLES=(
  "--role regional_admin"
  "--role county_admin --county 320322"
  "--role team_member --county 320322 --team team-anguo-1 --subject doctor-li"
  "--role hospital_staff --county 320322 --institution pei-hospital"
  "--role policy_officer"
)
# Checks: all of schemathesis' but positive_data_acceptance, which expects a
# 2xx for every request the schema allows, while a well-formed request is
# still refused by the policies (403), names nothing (404) or breaks a rule
# the schema cannot state (422: a citizen ID's check digit, a package not
# for this resident).
CHECKS=(--checks all --exclude-checks positive_data_acceptance)
# Not fuzzed: the limits a regional admin sets for a county's plugin. The
# fuzzer's (a megabyte of memory, a millisecond) make every later call of
# that plugin a correct 502, hiding the 5xx this run looks for;
# tests/plugins.rs tests them.
EXCLUDED=(--exclude-operation-id set_limits)

unset QIANYUE_DATABASE_URL QIANYUE_TOKEN_SECRET
WORK=$(mktemp -d)
SERVER=""
DATABASE=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "$DATABASE" ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS \"$DATABASE\" WITH (FORCE)" || true; fi
  SERVER="" DATABASE=""
}
trap 'cleanup; rm -rf "$WORK"' EXIT

failed=0
summary=()
for database in $DATABASES; do
  data="$WORK/$database"
  mkdir -p "$data"
  serve=(serve --listen 127.0.0.1:0 --data-dir "$data" --demo)
  if [ "$database" = postgres ]; then
    DATABASE="qianyue_fuzz_$(date +%s)_$$"
    psql -q "$PG_ADMIN" -c "CREATE DATABASE \"$DATABASE\""
    serve+=(--database-url "${PG_ADMIN%/*}/$DATABASE")
  fi
  "$BIN" "${serve[@]}" >"$data/stdout" 2>"$data/server.log" &
  SERVER=$!
  line=""
  for _ in $(seq 240); do
    line=$(head -n1 "$data/stdout")
    case "$line" in listening\ on\ *) break ;; esac
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.5
  done
  case "$line" in
    listening\ on\ *) base=${line#listening on } ;;
    *) echo "the kernel did not start on $database:"; cat "$data/server.log"; exit 1 ;;
  esac

  started=$(date +%s)
  for role in "${ROLES[@]}"; do
    # shellcheck disable=SC2086 # one role line is several arguments
    token=$("$BIN" token issue --data-dir "$data" $role)
    events="$data/events-$(echo "$role" | cut -d' ' -f2).ndjson"
    echo "== $database: $role"
    st --config-file tests/fuzz/schemathesis.toml run "$base/openapi.json" \
      --header "Authorization: Bearer $token" "${CHECKS[@]}" "${EXCLUDED[@]}" \
      --phases examples,coverage,fuzzing,stateful --max-time "$SECONDS_PER_ROLE" --max-examples 50 \
      --report ndjson --report-ndjson-path "$events" --request-timeout 10 --no-color \
      --workers 1 || failed=1 # more workers race in hypothesis' source parsing (a SystemError in ast)
  done
  totals=$(python3 tests/fuzz/counts.py "$data"/events-*.ndjson)
  summary+=("$database: $totals in $(($(date +%s) - started)) s")
  cleanup
done

printf '%s\n' "== contract fuzzing" "${summary[@]}"
exit "$failed"
