#!/usr/bin/env bash
# Builds the template county's plugin written in JavaScript into a
# WebAssembly component of world `county-plugin` (wit/v1.0.0):
#
#   ./build.sh             target/template.wasm, componentize-js (SpiderMonkey)
#   ./build.sh --quickjs   target/template-quickjs.wasm, jco's QuickJS backend
#
# The tools are the versions package-lock.json pins (npm ci, run here when
# node_modules is missing or older than the lock file).
set -euo pipefail
cd "$(dirname "$0")"

wit=../../wit/v1.0.0
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
mkdir -p target

case "${1:-}" in
  "")
    # componentize-js's default engine has the `http` and `fetch-event`
    # features, which import wasi:http: the kernel refuses a component
    # importing anything beyond the world's interfaces and the WASI it links.
    # Without them the component imports qianyue:county/logging and
    # wasi:cli, clocks, filesystem, io and random (all granting nothing).
    node_modules/.bin/componentize-js src/component.js --wit "$wit" --world-name county-plugin \
      --disable http fetch-event -o target/template.wasm
    ls -l target/template.wasm
    ;;
  --quickjs)
    # jco's QuickJS backend (componentize-qjs), without component-model async,
    # which the kernel refuses to load ("`task.cancel` requires the component
    # model async feature"). jco hands it the
    # entry path wrongly when it is relative with a folder, so the path is
    # absolute. QuickJS's s64 is a Number: hence its own entry file.
    node_modules/.bin/jco componentize "$PWD/src/component-quickjs.js" --wit "$wit" --world-name county-plugin \
      --backend quickjs --backend-qjs-disable-async -o target/template-quickjs.wasm
    ls -l target/template-quickjs.wasm
    ;;
  *)
    echo "usage: $0 [--quickjs]" >&2
    exit 2
    ;;
esac
