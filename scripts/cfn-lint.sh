#!/usr/bin/env bash
# Lints CloudFormation templates with cfn-lint (PyPI), installing it on first use into a private
# virtualenv under node_modules/.cache (no system changes, removed with node_modules).
#   scripts/cfn-lint.sh [template ...]   (default: infra/aws/templates/*.yml)
# Exit status: 0 clean, non-zero when cfn-lint reports errors or warnings (it prints each one with
# the rule id, file, line and column), or when it cannot be installed (the pip error is printed).
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION="1.58.0"
VENV="node_modules/.cache/cfn-lint-venv"
BIN="$VENV/bin/cfn-lint"

if ! "$BIN" --version 2>/dev/null | grep -q "cfn-lint ${CFN_LINT_VERSION}$"; then
  command -v python3 >/dev/null || { echo "cfn-lint: python3 is required (apt-get install python3 python3-venv)" >&2; exit 2; }
  echo "cfn-lint: installing cfn-lint ${CFN_LINT_VERSION} into ${VENV} (first run only)" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  if ! python3 -m venv "$VENV" >/dev/null 2>"$VENV.log"; then
    echo "cfn-lint: could not create a virtualenv (apt-get install python3-venv):" >&2
    cat "$VENV.log" >&2
    exit 2
  fi
  if ! "$VENV/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==${CFN_LINT_VERSION}" >"$VENV.log" 2>&1; then
    echo "cfn-lint: pip install cfn-lint==${CFN_LINT_VERSION} failed:" >&2
    cat "$VENV.log" >&2
    exit 2
  fi
fi

if [ "$#" -eq 0 ]; then
  set -- infra/aws/templates/*.yml
fi
exec "$BIN" --format parseable -- "$@"
