# Sourced by setup.sh and setup-bench.sh: run one set-up step quietly, as one line on stderr.
# Everything a step prints (apt, venv, pip, setuptools) goes to one log file; a failed step shows the log's tail
# and the log's path, then exits with the step's code.

SETUP_LOG=${SETUP_LOG:-$PWD/.setup.log}
_steps_started=""

# step NAME MESSAGE COMMAND [ARGS…]: print "NAME: MESSAGE", run the command with its output in $SETUP_LOG.
step() {
  local name=$1 message=$2 rc=0
  shift 2
  if [ -z "$_steps_started" ]; then  # each set-up run starts a fresh log; a run that takes no step keeps the last
    : >"$SETUP_LOG"
    _steps_started=1
  fi
  echo "$name: $message" >&2
  printf '\n== %s %s: %s\n$ %s\n' "$(date '+%F %T')" "$name" "$message" "$*" >>"$SETUP_LOG"
  "$@" </dev/null >>"$SETUP_LOG" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    {
      echo "$name: FAILED (exit $rc): $message"
      echo "---- last 25 lines of $SETUP_LOG ----"
      tail -n 25 "$SETUP_LOG"
      echo "---- the full log: $SETUP_LOG ----"
    } >&2
    exit "$rc"
  fi
}
