#!/usr/bin/env bash
# MDN HTTP Observatory score of the testproject's /api/health/ in the production profile.
#
# Serves the testproject with gunicorn over TLS on https://localhost (port 443, a certificate from
# a throwaway CA made here) and plain http on port 80 (which only redirects to https), on a fresh
# PostgreSQL database and Redis, then scans it with the Observatory's own scanner
# (npm @mdn/mdn-http-observatory). Needs root (ports 80/443), node/npm, openssl, psql.
# Prints the scan and exits non-zero below the target score (130, A+).
#
#   bench/observatory.sh                 # PYTHON=.venv/bin/python by default
#   MIN_SCORE=130 PG_URL=postgres://postgres@127.0.0.1:5432 bench/observatory.sh
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/12}"
MIN_SCORE="${MIN_SCORE:-130}"
SCAN_PATH="${SCAN_PATH:-/api/health/}"
OBSERVATORY_DIR="${OBSERVATORY_DIR:-$HOME/.cache/django-apisec-observatory}"
RESULTS="$ROOT/bench/results"
TMP="$(mktemp -d)"
DB="apisec_observatory_$$"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# The scanner, installed once (its install scripts only fetch data the scan does not need).
if [ ! -d "$OBSERVATORY_DIR/node_modules/@mdn/mdn-http-observatory" ]; then
  mkdir -p "$OBSERVATORY_DIR"
  (cd "$OBSERVATORY_DIR" && npm install --silent --no-audit --no-fund --ignore-scripts \
    @mdn/mdn-http-observatory)
fi

# The skipped install scripts download Chromium's HSTS preload list and the public suffix list
# from outside the npm registry; the scan reads only the preload list, and localhost is not on
# it: an empty list scores the same.
PACKAGE="$OBSERVATORY_DIR/node_modules/@mdn/mdn-http-observatory"
[ -f "$PACKAGE/conf/hsts-preload.json" ] || echo '{}' > "$PACKAGE/conf/hsts-preload.json"

# A throwaway certificate authority, trusted by the scanner's node process only, and a
# certificate for localhost signed by it: the scanner grades certificate validity itself (a bare
# self-signed certificate fails its redirection and HSTS tests whatever the headers are).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=django-apisec observatory CA" \
  -keyout "$TMP/ca-key.pem" -out "$TMP/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$TMP/ext.cnf"
openssl x509 -req -in "$TMP/cert.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca-key.pem" \
  -CAcreateserial -days 2 -extfile "$TMP/ext.cnf" -out "$TMP/cert.pem" 2>/dev/null
psql "$PG_URL/postgres" -qc "CREATE DATABASE \"$DB\"" >/dev/null

export APISEC_PROFILE=production
export DJANGO_SECRET_KEY="observatory-$(openssl rand -hex 40)"
export APISEC_JWT_SIGNING_KEY="observatory-jwt-$(openssl rand -hex 48)"
export DATABASE_URL="$PG_URL/$DB"
export REDIS_URL
export DJANGO_ALLOWED_HOSTS=localhost
export PYTHONPATH="$ROOT"
cd "$ROOT"
"$PYTHON" testproject/manage.py migrate --noinput >/dev/null
"$PYTHON" testproject/manage.py check --deploy --fail-level ERROR >/dev/null

"$PYTHON" -m gunicorn testproject.wsgi:application --bind 127.0.0.1:443 --workers 2 \
  --certfile "$TMP/cert.pem" --keyfile "$TMP/key.pem" --log-level warning &
PIDS+=($!)
"$PYTHON" -m gunicorn testproject.wsgi:application --bind 127.0.0.1:80 --workers 1 \
  --log-level warning &
PIDS+=($!)
for _ in $(seq 50); do
  curl -sf --cacert "$TMP/ca.pem" -o /dev/null "https://localhost$SCAN_PATH" && break
  sleep 0.2
done

mkdir -p "$RESULTS"
(cd "$OBSERVATORY_DIR" && NODE_EXTRA_CA_CERTS="$TMP/ca.pem" node --no-warnings \
  "$ROOT/bench/observatory-scan.mjs" localhost "$SCAN_PATH") > "$RESULTS/observatory.json"
curl -s --cacert "$TMP/ca.pem" -D "$RESULTS/observatory-headers.txt" -o /dev/null "https://localhost$SCAN_PATH"

"$PYTHON" - "$RESULTS/observatory.json" "$MIN_SCORE" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
scan, tests = data["scan"], data["tests"]
print(f"MDN HTTP Observatory: score {scan['score']}, grade {scan['grade']}, "
      f"{scan['testsPassed']}/{scan['testsQuantity']} tests passed")
for name, test in sorted(tests.items()):
    print(f"  {name:32} {test['scoreModifier']:+4d}  {test['result']}")
sys.exit(0 if scan["score"] >= int(sys.argv[2]) else 1)
PY
