#!/usr/bin/env bash
# Keeps the lab executor running: starts the command given as arguments and, when it exits,
# starts it again after a back-off (1 s, doubling up to 30 s; back to 1 s after a run of 60 s).
# SIGTERM/SIGINT stop the executor and this script. The restart count reaches the executor as
# LAB_EXECUTOR_RESTARTS.
set -u
child=0
stop() {
  if [ "$child" -ne 0 ]; then
    kill -TERM "$child" 2>/dev/null
    wait "$child" 2>/dev/null
  fi
  exit 0
}
trap stop TERM INT
delay=1
restarts=0
while true; do
  started=$(date +%s)
  LAB_EXECUTOR_RESTARTS=$restarts "$@" &
  child=$!
  wait "$child"
  rc=$?
  child=0
  ran=$(( $(date +%s) - started ))
  if [ "$ran" -ge 60 ]; then delay=1; fi
  echo "$(date -Iseconds) supervisor: the executor exited with status $rc after ${ran}s; restarting in ${delay}s"
  sleep "$delay" &
  child=$!
  wait "$child"
  child=0
  restarts=$((restarts + 1))
  delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
done
