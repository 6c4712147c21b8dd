#!/bin/sh
# The `reserve` handler of docs/serve.md: reads the request (JSON) on stdin,
# reserves the stock, answers with a datum on stdout. A real one would call
# the warehouse with $SKEIN_IDEMPOTENCY_KEY so a retried attempt reserves once.
request=$(cat)
echo "reserve: flow $SKEIN_FLOW_ID position $SKEIN_POSITION attempt $SKEIN_ATTEMPT key $SKEIN_IDEMPOTENCY_KEY" >&2
echo "{:warehouse \"north\" :key \"$SKEIN_IDEMPOTENCY_KEY\"}"
