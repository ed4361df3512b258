#!/usr/bin/env bash
# Uploads a county plugin N times over HTTP to a fresh `qianyue serve --demo`,
# each time another version (the configuration gains a space), and prints each
# answer's status and time beside the kernel's resident memory and the size of
# its plugin-cache (BENCHMARKS.md, "Plugin uploads").
#
#   tests/load/plugin-upload.sh COMPONENT.wasm CONFIG.json GOLDEN_DIR [N] [COUNTY]
#
# COUNTY (320322, Pei, by default) gets a 32 MiB component limit first. A
# component of another county is refused after it compiled, which measures
# refusals; one of COUNTY is stored. QIANYUE (target/release/qianyue by
# default) is the kernel binary; PORT (18087) where it listens.
set -euo pipefail
component=$1 config=$2 golden=$3 n=${4:-5} county=${5:-320322}
qianyue=${QIANYUE:-target/release/qianyue} port=${PORT:-18087}
base=http://127.0.0.1:$port
data=$(mktemp -d)
"$qianyue" serve --demo --listen "127.0.0.1:$port" --data-dir "$data" >/dev/null 2>"$data/serve.log" &
kernel=$!
trap 'kill $kernel; rm -rf "$data"' EXIT
until curl -sf "$base/healthz" >/dev/null; do sleep 0.5; done
region=$("$qianyue" token issue --data-dir "$data" --role regional_admin)
admin=$("$qianyue" token issue --data-dir "$data" --role county_admin --county "$county")
curl -sf -X PUT "$base/v1/counties/$county/plugins/limits" -H "authorization: Bearer $region" \
  -H 'content-type: application/json' \
  -d '{"fuel": 10000000, "memory_bytes": 16777216, "deadline_ms": 50, "component_bytes": 33554432}' >/dev/null
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$kernel/status"; }
cache() { du -sm "$data/plugin-cache" | cut -f1; }
echo "started: rss $(rss) MiB, cache $(cache) MiB"
for i in $(seq 1 "$n"); do
  python3 - "$component" "$config" "$golden" "$i" >"$data/body.json" <<'PY'
import base64, json, os, sys
component, config, golden, i = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], int(sys.argv[4])
files = [{"name": f, "text": open(os.path.join(golden, f)).read()} for f in sorted(os.listdir(golden)) if f.endswith(".json")]
body = {"component_base64": base64.b64encode(open(component, "rb").read()).decode(), "config": config + " " * i, "golden": files}
print(json.dumps(body))
PY
  answer=$(curl -s -o "$data/answer.json" -w '%{http_code} in %{time_total} s' -X POST "$base/v1/counties/$county/plugins" \
    -H "authorization: Bearer $admin" -H 'content-type: application/json' --data-binary @"$data/body.json")
  echo "upload $i: $answer, rss $(rss) MiB, cache $(cache) MiB: $(head -c 120 "$data/answer.json")"
done
