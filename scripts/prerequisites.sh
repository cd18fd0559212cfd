#!/bin/sh
# Stops `make run` and `make test` with a clear message when the machine lacks a prerequisite.
missing=""
if ! command -v python3 >/dev/null 2>&1; then
  missing="$missing\n  - python3 (3.11 or newer): apt-get install python3"
elif ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  missing="$missing\n  - python3 3.11 or newer (found $(python3 --version 2>&1))"
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing="$missing\n  - python3-venv: apt-get install python3-venv"
fi
if ! command -v gpg >/dev/null 2>&1; then
  missing="$missing\n  - gpg (GnuPG): apt-get install gpg"
fi
if [ -n "$missing" ]; then
  printf "Accord needs these installed first:$missing\n" >&2
  exit 1
fi
