#!/usr/bin/env bash
# The bash completion (sim/cli/ticketsim.bash-completion), run as bash runs
# it, with COMP_WORDS and COMP_CWORD set: it completes the commands, each
# command's options (every one its --help lists: a new option must be added
# to the script too), strategy names and lists of them. And the man page
# was built from --help by help2man, when help2man is there.
#   completion_test.sh COMPLETION TICKETSIM [MANPAGE]
set -u
completion=$1
ticketsim=$2
man=${3:-}
# shellcheck source=/dev/null
source "$completion"
failures=0

completions() {  # the words offered after "$@", the last word being completed
  COMP_WORDS=("$ticketsim" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _ticketsim
  printf '%s\n' "${COMPREPLY[@]}"
}

offers() {  # offers WANTED WORDS...: WANTED is among the completions
  local wanted=$1
  shift
  if ! completions "$@" | grep -qxF -- "$wanted"; then
    echo "FAIL: after 'ticketsim $*' expected '$wanted' among: $(completions "$@" | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
}

# Every command `ticketsim help` lists, from nothing and from a prefix.
commands=$("$ticketsim" help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || { echo "FAIL: no commands in 'ticketsim help'"; failures=$((failures + 1)); }
for command in $commands; do
  offers "$command" ""
  offers "$command" "${command:0:3}"
  # Every option of its --help (--help-all, inherited, is the man page's).
  for option in $("$ticketsim" "$command" --help | grep -oE '^  (-[A-Za-z],)?--?[a-z][a-z-]*' | tr ',' ' ' |
                  grep -v -- '--help-all'); do
    offers "$option" "$command" "-"
  done
done
offers --version ""
offers --help-all --help-
offers strategies "str"
offers --strategies compare s.toml --str
offers sqlite run s.toml --strategy sq
offers sqlite-deferred run s.toml --strategy sq
offers plain,sqlite compare s.toml --strategies plain,sq
offers until-sold-out run s.toml --attempts ""
offers serial run s.toml --mode s
offers run help r
# A scenario file, from a directory that holds one.
dir=$(mktemp -d)
touch "$dir/mine.toml" "$dir/other.json"
offers "$dir/mine.toml" run "$dir/m"
offers "$dir/other.json" report "$dir/o"
touch "$dir/h.jsonl"
offers "$dir/h.jsonl" check "$dir/h"
rm -r "$dir"

if [ -n "$man" ]; then
  if ! grep -q '^\.TH TICKETSIM "1"' "$man" || ! grep -q 'clean' "$man" || ! grep -q 'strategy' "$man" ||
     ! grep -q 'linearizable' "$man"; then
    echo "FAIL: $man is not the man page of ticketsim's --help"
    failures=$((failures + 1))
  fi
fi

if [ "$failures" -gt 0 ]; then
  echo "$failures failed"
  exit 1
fi
echo "ok"
