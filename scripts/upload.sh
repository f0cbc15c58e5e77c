#!/usr/bin/env sh
# Uploads FILE to the input bucket through the API with only curl and jq:
# GET $DDN_APIGW_ENDPOINT/presign?mode=upload&file=KEY, then PUT the file to the presigned URL.
# Usage: scripts/upload.sh [FILE] [KEY]   (defaults: DDN_TEST_IMAGE_PATH, DDN_TEST_IMAGE_KEY or the file name; read from .env)
set -eu
if [ -f .env ]; then set -a; . ./.env; set +a; fi
file=${1:-${DDN_TEST_IMAGE_PATH:-}}
[ -n "$file" ] || { echo "usage: $0 FILE [KEY] (or set DDN_TEST_IMAGE_PATH in .env)" >&2; exit 2; }
[ -f "$file" ] || { echo "$0: $file does not exist" >&2; exit 2; }
key=${2:-${DDN_TEST_IMAGE_KEY:-$(basename "$file")}}
endpoint=${DDN_APIGW_ENDPOINT:?DDN_APIGW_ENDPOINT is not set: run ./ddn up or ./ddn deploy, which write it to .env}
command -v jq >/dev/null || { echo "$0: jq is required" >&2; exit 2; }

answer=$(curl -sS --fail-with-body -G "$endpoint/presign" --data-urlencode mode=upload --data-urlencode "file=$key") || {
  echo "$0: presign failed: $answer" >&2; exit 1; }
url=$(printf '%s' "$answer" | jq -er .url) || { echo "$0: no url in the presign answer: $answer" >&2; exit 1; }
seconds=$(curl -sS --fail-with-body -o /dev/null -w '%{time_total}' -X PUT -T "$file" "$url") || {
  echo "$0: PUT to S3 failed" >&2; exit 1; }
echo "uploaded $file as $key"
echo "upload time: $(printf '%s' "$seconds" | awk '{printf "%d", $1 * 1000}') ms"
