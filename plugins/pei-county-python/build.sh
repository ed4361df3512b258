#!/usr/bin/env bash
# Builds the Pei County plugin written in Python into a WebAssembly component
# of world `county-plugin` (wit/v1.0.0): target/pei_county.wasm.
#
# Needs componentize-py at the version requirements.txt pins:
#   python3 -m pip install -r requirements.txt
set -euo pipefail
cd "$(dirname "$0")"

wit=../../wit/v1.0.0
want="componentize-py $(sed -n 's/^componentize-py==//p' requirements.txt)"
# A different componentize-py bundles a different CPython and bindings
# generator: refuse it rather than ship a component nobody pinned.
have="$(componentize-py --version 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "build.sh: need $want, found '${have:-nothing}': python3 -m pip install -r requirements.txt" >&2
  exit 1
fi

mkdir -p target
# Stub bindings for editors and type checkers only; componentize generates
# the real ones itself, on the fly.
rm -rf target/bindings
componentize-py -d "$wit" -w county-plugin bindings target/bindings
# componentize-py adds the host's site-packages (of $VIRTUAL_ENV, or of the
# python3 it finds) to the guest's path, so the component would depend on
# what the build machine has installed. The plugin needs only the standard
# library: point VIRTUAL_ENV at an empty site-packages instead.
mkdir -p target/no-site-packages/lib/site-packages
# `app` is the module holding the export classes; `-p src` finds it and the
# pei_county package. The component is pre-initialised: the interpreter and
# these modules are imported at build time, not on every call.
VIRTUAL_ENV="$PWD/target/no-site-packages" \
  componentize-py -d "$wit" -w county-plugin componentize app -p src -o target/pei_county.wasm
ls -l target/pei_county.wasm
