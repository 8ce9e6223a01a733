#!/usr/bin/env bash
# The leaked-key drill (issue 20, item 3): a 1 000-subuser account (`--seed fleet:1000:N`) at
# the simulator's DEFAULT budget (600 requests per 60 s, one create per 2 s, a 2 s propagation
# delay), and `sgkeys revoke --leaked --yes --json` from the key's secret to "confirmed dead":
#
#   inventory  a key sgkeys created (so the inventory knows where it lives), mail.send only
#   username   a key the inventory does not know that may read its own username (Full Access)
#   sweep      a key the inventory does not know and that cannot say whose it is (mail.send
#              only), in the LAST subuser (the worst case: every context is listed)
#
# For each: the requests the simulator answered (all of them, the probe and the proof
# included; and how many were 429), the lists sent (at most one per context), the seconds from
# start to exit, and the `verified_after_ms` the proof took (≈ the propagation delay). Each
# drill starts in a fresh rate-limit window (the script waits for it).
#
#   scripts/leak_drill.sh            (SGKEYS_BIN=path to the binary; default target/release/sgkeys,
#                                     else target/debug/sgkeys; KEYS=keys per subuser, default 2)
#
# Needs curl and jq. The simulator listens on a port the OS picks on 127.0.0.1 and is stopped
# on exit; everything it writes stays under a temporary directory that is removed.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${SGKEYS_BIN:-}
if [ -z "$BIN" ]; then
    for b in "${CARGO_TARGET_DIR:-$ROOT/target}/release/sgkeys" "${CARGO_TARGET_DIR:-$ROOT/target}/debug/sgkeys"; do
        [ -x "$b" ] && BIN=$b && break
    done
fi
[ -n "$BIN" ] && [ -x "$BIN" ] || {
    echo "leak_drill.sh: no sgkeys binary (cargo build --release, or SGKEYS_BIN=…)" >&2
    exit 2
}
KEYS=${KEYS:-2}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgkeys-drill.XXXXXX")
SIM_PID=
cleanup() {
    set +e
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

"$BIN" sim --port 0 --seed "fleet:1000:$KEYS" >"$WORK/sim.log" 2>&1 &
SIM_PID=$!
for _ in $(seq 600); do
    grep -q '^  admin key ' "$WORK/sim.log" && break
    kill -0 "$SIM_PID" 2>/dev/null || {
        cat "$WORK/sim.log" >&2
        exit 1
    }
    sleep 0.05
done
URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$WORK/sim.log" | head -1)
ADMIN=$(awk '/^  admin key / { print $3; exit }' "$WORK/sim.log")
echo "simulator fleet:1000:$KEYS at $URL, default budget; binary $BIN"

sgk() {
    env -i PATH="$PATH" HOME="$WORK" XDG_STATE_HOME="$WORK/state" XDG_CONFIG_HOME="$WORK/config" \
        SENDGRID_API_KEY="$ADMIN" SGKEYS_BASE_URL="$URL" SGKEYS_JOURNAL="$WORK/journal.jsonl" \
        "$BIN" "$@"
}
ctl() { curl -fsS -H "Authorization: Bearer $ADMIN" "$@"; }

# A new key in subuser $1 (its secret on stdout); $2… are `create` flags.
mint() {
    local who=$1
    shift
    sgk --on-behalf-of "$who" create "drill leak in $who" "$@" --json | jq -r .api_key
}

# Wait for the next rate-limit window of the parent account (X-RateLimit-Reset).
fresh_window() {
    local reset now
    reset=$(curl -fsS -o /dev/null -D - -H "Authorization: Bearer $ADMIN" "$URL/v3/scopes" |
        tr -d '\r' | awk -F': ' 'tolower($1) == "x-ratelimit-reset" { print $2 }')
    now=$(date +%s)
    [ -n "$reset" ] && [ "$reset" -gt "$now" ] && sleep $((reset - now + 1))
    ctl -X POST "$URL/_sim/reset-counters" >/dev/null
}

# drill NAME SECRET [sgkeys flags…]
drill() {
    local name=$1 secret=$2 t0 t1 out
    shift 2
    fresh_window
    t0=$(date +%s%N)
    out=$(printf '%s\n' "$secret" | sgk "$@" revoke --leaked --yes --json 2>"$WORK/$name.err") || true
    t1=$(date +%s%N)
    local reqs=$WORK/$name.requests.json
    ctl "$URL/_sim/requests" >"$reqs"
    printf '%-10s found via %-9s in %-11s status %-8s verified %-5s after %6s ms; %5.1f s to exit; %4d requests (%d lists, %d × 429)\n' \
        "$name" "$(jq -r '.found_via // "-"' <<<"$out")" "$(jq -r '.account // "-"' <<<"$out")" \
        "$(jq -r .status <<<"$out")" "$(jq -r .verified <<<"$out")" "$(jq -r '.verified_after_ms // "-"' <<<"$out")" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')" \
        "$(jq '.requests | length' "$reqs")" \
        "$(jq '[.requests[] | select(.method == "GET" and .path == "/v3/api_keys")] | length' "$reqs")" \
        "$(jq '[.requests[] | select(.status == 429)] | length' "$reqs")"
}

# the keys: one the inventory knows (created by sgkeys), two it does not (--no-inventory)
# (one create per 2 s is the default create budget)
known=$(mint fleet-700 --scope mail.send)
sleep 2.1
named=$(mint fleet-800 --full --no-inventory)
sleep 2.1
hidden=$(mint fleet-1000 --scope mail.send --no-inventory)

drill inventory "$known"
drill username "$named" --no-inventory
drill sweep "$hidden" --no-inventory
