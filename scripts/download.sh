#!/usr/bin/env sh
# Downloads KEY from the output bucket through the API with only curl and jq:
# GET $DDN_APIGW_ENDPOINT/presign?mode=download&file=KEY, then GET the presigned URL into OUT (atomically).
# Usage: scripts/download.sh [KEY] [OUT]   (defaults: DDN_TEST_IMAGE_KEY from .env, the key's file name)
set -eu
if [ -f .env ]; then set -a; . ./.env; set +a; fi
key=${1:-${DDN_TEST_IMAGE_KEY:-}}
[ -n "$key" ] || { echo "usage: $0 KEY [OUT] (or set DDN_TEST_IMAGE_KEY in .env)" >&2; exit 2; }
out=${2:-$(basename "$key")}
endpoint=${DDN_APIGW_ENDPOINT:?DDN_APIGW_ENDPOINT is not set: run ./ddn up or ./ddn deploy, which write it to .env}
command -v jq >/dev/null || { echo "$0: jq is required" >&2; exit 2; }

answer=$(curl -sS --fail-with-body -G "$endpoint/presign" --data-urlencode mode=download --data-urlencode "file=$key") || {
  echo "$0: presign failed: $answer" >&2; exit 1; }
url=$(printf '%s' "$answer" | jq -er .url) || { echo "$0: no url in the presign answer: $answer" >&2; exit 1; }
tmp="$out.part.$$"
trap 'rm -f "$tmp"' EXIT
seconds=$(curl -sS --fail-with-body -o "$tmp" -w '%{time_total}' "$url") || {
  echo "$0: GET from S3 failed: $(cat "$tmp" 2>/dev/null)" >&2; exit 1; }
mv "$tmp" "$out"
echo "downloaded $key to $out"
echo "download time: $(printf '%s' "$seconds" | awk '{printf "%d", $1 * 1000}') ms"
