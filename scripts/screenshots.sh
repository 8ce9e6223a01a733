#!/usr/bin/env bash
# The README's pictures (assets/*.png), rerunnable by anyone: the real dashboard (`sgkeys demo`)
# in a detached tmux at a fixed size, driven with send-keys to each view, captured with colours
# (`tmux capture-pane -e -p`), turned into an HTML page (scripts/ansi2html.py, stdlib Python)
# and photographed by headless Chromium (then made an 8-bit palette PNG by scripts/png8.py);
# plus the HTML audit report of the demo simulator.
#
# Needs: cargo, tmux, python3, chromium-headless-shell (or chromium; CHROMIUM=path picks one).
# SGKEYS_BIN=path uses an existing binary instead of building the release one.
#
# Each view is one `shot NAME KEYS…` line (keys as tmux send-keys takes them; `@wait TEXT`
# waits until TEXT is on screen, `@sleep S` pauses). The demo's data is the fixed `demo` seed;
# its key ids and the simulator's port change per run (the simulator has no fixed-id switch).
set -euo pipefail
cd "$(dirname "$0")/.."

COLS=${COLS:-120}
ROWS=${ROWS:-34}
OUT=${OUT:-assets}
SOCK=sgkeys-shots-$$

if [ -z "${SGKEYS_BIN:-}" ]; then
  cargo build --release --locked --quiet
  SGKEYS_BIN="${CARGO_TARGET_DIR:-target}/release/sgkeys"
fi
SGKEYS_BIN=$(realpath "$SGKEYS_BIN")
if [ -z "${CHROMIUM:-}" ]; then
  CHROMIUM=$(command -v chromium-headless-shell || command -v chromium || true)
fi
[ -n "$CHROMIUM" ] || { echo "install chromium-headless-shell (apt-get install chromium-headless-shell)" >&2; exit 1; }
command -v tmux >/dev/null || { echo "install tmux" >&2; exit 1; }

WORK=$(mktemp -d)
SIM_PID=""
cleanup() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$OUT" "$WORK/home" "$WORK/state" "$WORK/config"

# A screenshot of an HTML page at W×H CSS pixels.
snap() { # snap PAGE.html PNG W H
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$WORK/chromium" --force-device-scale-factor=1 \
    --window-size="$3,$4" --screenshot="$2" "file://$1" >/dev/null 2>&1
  python3 scripts/png8.py "$2"   # an 8-bit palette: a third of Chromium's RGB file
  echo "$2 ($(($(stat -c %s "$2") / 1024)) KB)"
}

screen() { tmux -L "$SOCK" capture-pane -p -t shots; }

wait_for() { # wait_for TEXT: up to 10 s
  for _ in $(seq 100); do
    screen | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "timed out waiting for '$1' on screen:" >&2
  screen >&2
  exit 1
}

# shot NAME KEYS…: send the keys, let the screen settle, capture it, photograph it.
shot() {
  local name=$1
  shift
  for k in "$@"; do
    case "$k" in
      @wait\ *) wait_for "${k#@wait }" ;;
      @sleep\ *) sleep "${k#@sleep }" ;;
      *) tmux -L "$SOCK" send-keys -t shots "$k"; sleep 0.15 ;;
    esac
  done
  sleep 0.6
  tmux -L "$SOCK" capture-pane -e -p -t shots >"$WORK/$name.ans"
  read -r w h < <(python3 scripts/ansi2html.py "$WORK/$name.ans" "$WORK/$name.html" \
    --cols "$COLS" --rows "$ROWS" --title "sgkeys $name" --bg "$PAGE_BG" --fg "$PAGE_FG")
  snap "$WORK/$name.html" "$OUT/$name.png" "$w" "$h"
}

# The dashboard on the embedded simulator, its state and journal in a scratch directory.
# demo THEME: (re)start it in the given theme; the pictures' page takes a matching background.
demo() {
  tmux -L "$SOCK" kill-server 2>/dev/null || true
  case "$1" in
    light) PAGE_BG="#ffffff"; PAGE_FG="#1d1f21" ;;
    *) PAGE_BG="#14161b"; PAGE_FG="#d7dae0" ;;
  esac
  tmux -L "$SOCK" -f /dev/null new-session -d -s shots -x "$COLS" -y "$ROWS" \
    -e HOME="$WORK/home" -e XDG_STATE_HOME="$WORK/state" -e XDG_CONFIG_HOME="$WORK/config" \
    -e TERM=xterm-256color -e COLORTERM=truecolor \
    "$SGKEYS_BIN" demo --latency-ms 0 --theme "$1"
  tmux -L "$SOCK" set-option -t shots status off >/dev/null
  wait_for "updated"
}
demo dark

# list + detail: the leaked key found with the filter, the filter cleared (the selection stays
# on it), its findings and scopes on the right
shot list-detail / LEAKED Enter Escape "@wait 45 keys"
# revoke confirm (Cancel is focused: nothing is revoked), closed with Esc
shot revoke-confirm d "@wait Cancel"
# the scope editor of the key above (a Custom key: Partial, Read and No), closed with Esc
shot scope-editor Escape k e "@wait Edit scopes"
# the permission matrix: every key × every category, sorted by API Keys (who can mint keys first)
shot matrix Escape m l s "@wait sorted by"
# the same on a light terminal (--theme light; `auto` picks it from the terminal's background)
demo light
shot matrix-light m l s "@wait sorted by"

tmux -L "$SOCK" send-keys -t shots q
sleep 0.3

# The HTML audit report of the demo simulator, every subuser included.
"$SGKEYS_BIN" sim --port 0 --seed demo >"$WORK/sim.out" 2>/dev/null &
SIM_PID=$!
for _ in $(seq 100); do grep -q "Press Ctrl-C" "$WORK/sim.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^sgkeys SendGrid simulator listening on //p' "$WORK/sim.out" | tr -d '[:space:]')
EU=$(sed -n 's/^ *EU host *//p' "$WORK/sim.out" | awk '{print $1}')
KEY=$(sed -n 's/^ *admin key *//p' "$WORK/sim.out" | tr -d '[:space:]')
HOME="$WORK/home" XDG_STATE_HOME="$WORK/state" XDG_CONFIG_HOME="$WORK/config" \
  SENDGRID_API_KEY="$KEY" SGKEYS_BASE_URL="$URL" SGKEYS_EU_BASE_URL="$EU" \
  "$SGKEYS_BIN" audit --all-subusers --format html --out "$WORK/audit.html"
snap "$WORK/audit.html" "$OUT/audit-html.png" 1720 1000
