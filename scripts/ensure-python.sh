#!/usr/bin/env bash
# Makes .venv with the Parquet readers the interop tests use (pyarrow, polars, duckdb, pandas).
# Idempotent and quick when they are already there. Set FAASLOAD_PYTHON to use another
# interpreter that has them. A failure here is reported, not fatal: the interop tests then say
# loudly that they could not run (and fail under CI=true).
set -uo pipefail
cd "$(dirname "$0")/.."
py=${FAASLOAD_PYTHON:-.venv/bin/python}
check='import pyarrow, polars, duckdb, pandas, pytz'
if [[ -x $py ]] && "$py" -c "$check" 2>/dev/null; then exit 0; fi
if [[ -n ${FAASLOAD_PYTHON:-} ]]; then
  echo "ensure-python: FAASLOAD_PYTHON=$py lacks pyarrow/polars/duckdb/pandas" >&2
  exit 0
fi
echo "ensure-python: creating .venv with pyarrow, polars, duckdb, pandas (for the interop tests)" >&2
if ! { python3 -m venv .venv && .venv/bin/pip install --quiet --retries 1 pyarrow polars duckdb pandas pytz; }; then
  echo "ensure-python: could not install the Python Parquet readers; interop tests will report it" >&2
fi
exit 0
