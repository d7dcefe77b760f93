#!/usr/bin/env bash
# formaudit's two entry points on a fresh Debian machine; each does all set-up first (idempotent).
#   ./run.sh samples   extract and audit the bundled sample documents; reports in formaudit-out/
#   ./run.sh test      start Redis and PostgreSQL if they are not running, then run the test suite
set -euo pipefail
cd "$(dirname "$0")"
./scripts/setup.sh
case "${1:-}" in
  samples) shift; exec .venv/bin/formaudit run samples/docs --out formaudit-out "$@" ;;
  test) shift; ./scripts/services.sh; exec .venv/bin/python -m pytest -q "$@" ;;
  *) echo "usage: ./run.sh samples|test [args…]" >&2; exit 2 ;;
esac
