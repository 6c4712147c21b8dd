#!/bin/sh
# The `deliver` handler of docs/serve.md: the mail server is down for the
# first attempt of each message (tag (deliver ID 1)) and up afterwards.
request=$(cat)
case "$request" in
  *'"tag":[{"symbol":"deliver"},"m-1",1]'*)
    echo "mail server unreachable" >&2
    exit 1 ;;
esac
echo "(sent :key \"$SKEIN_IDEMPOTENCY_KEY\")"
