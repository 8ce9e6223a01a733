#!/usr/bin/env bash
# Side by side, in one run: `sgkeys audit` of 100 keys against the official Node client
# (`@sendgrid/client`, list then every GET with Promise.all) and the official Python SDK
# (sequential, scripts/sdk_sequential.py), on the same simulator, alternating, median of RUNS.
#
#   scripts/peers.sh            # plain HTTP at --latency-ms 50, then --tls --connect-ms 50,
#                               # then the tail: --fail-rate 0.2 (30 s hangs)
#
# Knobs (environment): RUNS (7), PY_RUNS (3), LATENCY_MS (50), CONNECT_MS (50),
# CONCURRENCIES ("100 64": one sgkeys row per `--concurrency N`, the first is the default and
# the one the peers are compared with), SCENARIOS ("plain tls tail"), TAIL_RUNS (9),
# TAIL_PY_RUNS (1: each Python run waits out every hang, some 2-3 minutes).
#
# The tail (issue 21): the simulator fails 20 % of requests (429, 500, 503 HTML pages, and
# timeouts that hang 30 s). Each run is timed as a whole process and says how many of the 100
# keys it read. sgkeys runs as shipped (--timeout 10). The peers run as their examples do (no
# timeout, no retry: the official clients have neither) but are credited with every key they
# did read: Node with Promise.allSettled instead of Promise.all (which gives up at the first
# failure), Python going on past a failed key (scripts/sdk_sequential.py --keep-going).
# Installs the peers from the registries into a temporary directory (npm, python3 -m venv);
# needs cargo, node + npm, python3, curl. Prints a table; every process is stopped on exit.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-7}
PY_RUNS=${PY_RUNS:-3}
LATENCY_MS=${LATENCY_MS:-50}
CONNECT_MS=${CONNECT_MS:-50}
read -r -a CONCURRENCIES <<<"${CONCURRENCIES:-100 64}"
read -r -a SCENARIOS <<<"${SCENARIOS:-plain tls tail}"
TAIL_RUNS=${TAIL_RUNS:-9}
TAIL_PY_RUNS=${TAIL_PY_RUNS:-1}
WORK=$(mktemp -d)
SIM_PID=
cleanup() {
    [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "== building (cargo build --release)"
(cd "$ROOT" && cargo build --release --quiet)
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/sgkeys

echo "== installing the peers (npm @sendgrid/client, pip sendgrid) into $WORK"
npm install --silent --no-audit --no-fund --prefix "$WORK/node" @sendgrid/client >/dev/null
python3 -m venv "$WORK/py"
"$WORK/py/bin/pip" install --quiet sendgrid
NODE_VER=$(node -p "require('$WORK/node/node_modules/@sendgrid/client/package.json').version")
PY_VER=$("$WORK/py/bin/python" -c 'import sendgrid; print(sendgrid.__version__)')
echo "  @sendgrid/client $NODE_VER (node $(node --version)), sendgrid $PY_VER (python $("$WORK/py/bin/python" -V 2>&1 | cut -d' ' -f2))"

cat >"$WORK/peer.js" <<'EOF'
// The official Node client, the way its examples read keys: list, then every GET at once.
const client = require(process.env.SG_CLIENT);
client.setApiKey(process.env.SENDGRID_API_KEY);
client.setDefaultRequest('baseUrl', process.env.BASE_URL);
(async () => {
  const [, list] = await client.request({ method: 'GET', url: '/v3/api_keys' });
  const details = await Promise.all(list.result.map((k) =>
    client.request({ method: 'GET', url: `/v3/api_keys/${k.api_key_id}` }).then(([, b]) => b)));
  if (details.length !== list.result.length) process.exit(1);
})().catch((e) => { console.error(e.message); process.exit(1); });
EOF

cat >"$WORK/peer_tail.js" <<'EOF'
// The same client and calls, credited with every key it reads: Promise.allSettled (the
// examples' Promise.all gives up at the first failure). No timeout, no retry (it has neither).
const client = require(process.env.SG_CLIENT);
client.setApiKey(process.env.SENDGRID_API_KEY);
client.setDefaultRequest('baseUrl', process.env.BASE_URL);
(async () => {
  const [, list] = await client.request({ method: 'GET', url: '/v3/api_keys' });
  const got = await Promise.allSettled(list.result.map((k) =>
    client.request({ method: 'GET', url: `/v3/api_keys/${k.api_key_id}` })));
  const read = got.filter((r) => r.status === 'fulfilled').length;
  console.log(`read=${read}`);
  // exitCode, not exit(): stdout to a pipe is written asynchronously
  process.exitCode = read === list.result.length ? 0 : 1;
})().catch((e) => { console.log('read=0'); console.error(e.message); process.exitCode = 1; });
EOF

start_sim() {
    local log="$WORK/sim.$RANDOM.log" i
    # without SendGrid's waits (the simulator's defaults): the peers are compared on latency
    "$BIN" sim --port 0 --seed bulk:99 --latency-ms "$LATENCY_MS" \
        --rate-limit 1000/1s --create-rate 1000/1s --revoke-delay-ms 0 "$@" >"$log" 2>&1 &
    SIM_PID=$!
    for ((i = 0; i < 600; i++)); do
        grep -q '^  admin key ' "$log" && break
        sleep 0.05
    done
    SIM_URL=$(sed -n 's/.*listening on \(https\{0,1\}:[^ ]*\).*/\1/p' "$log" | head -1)
    SIM_KEY=$(awk '/^  admin key / { print $3; exit }' "$log")
    [ -n "$SIM_URL" ] && [ -n "$SIM_KEY" ] || { cat "$log" >&2; exit 1; }
}
stop_sim() { kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; SIM_PID=; }
CURL_CA=()
sim_reset() { curl -fsS "${CURL_CA[@]}" -X POST -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/_sim/reset-counters" >/dev/null; }
# Connections the run opened: the count less one, the connection of this very query (the
# simulator counts a connection when it accepts it; the reset before the run zeroed its own).
sim_connections() {
    curl -fsS "${CURL_CA[@]}" -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/_sim/requests" |
        grep -o '"connections":[0-9]*' | cut -d: -f2 | awk '{ print $1 - 1 }'
}

# run NAME CMD…: one timed run (whole process); appends seconds to $WORK/NAME.t, connections
# opened to $WORK/NAME.c.
run() {
    local name=$1 t0 t1
    shift
    sim_reset
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$WORK/err" || { echo "$name failed:" >&2; cat "$WORK/err" >&2; exit 1; }
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' >>"$WORK/$name.t"
    sim_connections >>"$WORK/$name.c"
}
# median FILE [FORMAT]: the median of the numbers in FILE (printf FORMAT, default %.3f).
median() { sort -n "$1" | awk -v f="${2:-%.3f}" '{ v[NR] = $1 } END { printf f "\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# tail_run NAME CMD…: one timed run that may fail; appends seconds to $WORK/NAME.t and the
# keys it read to $WORK/NAME.r (`read=N` on its stdout, or sgkeys' JSON audit).
tail_run() {
    local name=$1 t0 t1 out
    shift
    sim_reset
    t0=$(date +%s%N)
    out=$("$@" 2>/dev/null) || true
    t1=$(date +%s%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }' >>"$WORK/$name.t"
    if [[ $out == *read=* ]]; then
        sed -n 's/.*read=\([0-9]*\).*/\1/p' <<<"$out" | tail -1 >>"$WORK/$name.r"
    else
        grep -o '"scopes_known": *true' <<<"$out" | wc -l >>"$WORK/$name.r"
    fi
}
# maxof / minof FILE: the largest / smallest number in FILE.
maxof() { sort -n "$1" | tail -1; }
minof() { sort -n "$1" | head -1; }

# The tail scenario: a simulator failing 20 % of requests with 30 s hangs.
tail_scenario() {
    local label="fail-rate 0.2 (30 s hangs), ${LATENCY_MS} ms" tag=tail i who
    start_sim --fail-rate 0.2
    echo "== $label: $SIM_URL, $TAIL_RUNS runs (Python $TAIL_PY_RUNS), alternating"
    export SENDGRID_API_KEY=$SIM_KEY BASE_URL=$SIM_URL SG_CLIENT="$WORK/node/node_modules/@sendgrid/client"
    for ((i = 1; i <= TAIL_RUNS; i++)); do
        tail_run "$tag.sgkeys" "$BIN" --base-url "$SIM_URL" audit --format json
        tail_run "$tag.node" node "$WORK/peer_tail.js"
        if ((i <= TAIL_PY_RUNS)); then
            tail_run "$tag.python" "$WORK/py/bin/python" "$ROOT/scripts/sdk_sequential.py" --host "$SIM_URL" --keep-going
        fi
    done
    stop_sim
    for who in sgkeys node python; do
        local f="$WORK/$tag.$who" client
        [ -s "$f.t" ] || continue
        case $who in
            sgkeys) client="sgkeys audit (--timeout 10)" ;;
            node) client="Node @sendgrid/client $NODE_VER, allSettled" ;;
            python) client="Python sendgrid $PY_VER, sequential" ;;
        esac
        TAIL_ROWS+=("| $label | $client | $(median "$f.t") s | $(maxof "$f.t") s | $(median "$f.r" %g) / 100 | $(minof "$f.r") / 100 | $(wc -l <"$f.t") |")
    done
}

ROWS=()
TAIL_ROWS=()
scenario() {
    local label=$1 tag=$2 i
    shift 2
    CA=()
    CURL_CA=()
    start_sim "$@"
    if [ -s "$WORK/ca.pem" ] && [[ $SIM_URL == https:* ]]; then
        CA=(--ca-cert "$WORK/ca.pem")
        CURL_CA=(--cacert "$WORK/ca.pem")
    fi
    echo "== $label: $SIM_URL, $RUNS runs (Python $PY_RUNS), alternating"
    export SENDGRID_API_KEY=$SIM_KEY BASE_URL=$SIM_URL SG_CLIENT="$WORK/node/node_modules/@sendgrid/client"
    export NODE_EXTRA_CA_CERTS="$WORK/ca.pem" SSL_CERT_FILE="$WORK/ca.pem"
    for ((i = 1; i <= RUNS; i++)); do
        for c in "${CONCURRENCIES[@]}"; do
            run "$tag.sgkeys$c" "$BIN" --base-url "$SIM_URL" "${CA[@]}" --concurrency "$c" audit --format json
        done
        run "$tag.node" node "$WORK/peer.js"
        if ((i <= PY_RUNS)); then
            run "$tag.python" "$WORK/py/bin/python" "$ROOT/scripts/sdk_sequential.py" --host "$SIM_URL"
        fi
    done
    stop_sim
    local s n p c first=${CONCURRENCIES[0]}
    s=$(median "$WORK/$tag.sgkeys$first.t")
    n=$(median "$WORK/$tag.node.t")
    p=$(median "$WORK/$tag.python.t")
    for c in "${CONCURRENCIES[@]}"; do
        local t
        t=$(median "$WORK/$tag.sgkeys$c.t")
        ROWS+=("| $label | sgkeys audit --concurrency $c | $t s | $(median "$WORK/$tag.sgkeys$c.c" %g) | $(awk -v a="$n" -v b="$t" 'BEGIN { printf "%.2f", a / b }')× faster than Node |")
    done
    ROWS+=("| $label | Node @sendgrid/client $NODE_VER, Promise.all | $n s | $(median "$WORK/$tag.node.c" %g) | sgkeys $(awk -v a="$n" -v b="$s" 'BEGIN { printf "%.2f", a / b }')× faster |")
    ROWS+=("| $label | Python sendgrid $PY_VER, sequential | $p s | $(median "$WORK/$tag.python.c" %g) | sgkeys $(awk -v a="$p" -v b="$s" 'BEGIN { printf "%.1f", a / b }')× faster |")
}

for sc in "${SCENARIOS[@]}"; do
    case $sc in
        plain) scenario "plain HTTP, ${LATENCY_MS} ms" plain ;;
        tls) scenario "TLS, ${LATENCY_MS} ms + ${CONNECT_MS} ms per new connection" tls \
            --tls --tls-ca-out "$WORK/ca.pem" --connect-ms "$CONNECT_MS" ;;
        tail) tail_scenario ;;
        *)
            echo "peers.sh: unknown scenario '$sc' (plain, tls, tail)" >&2
            exit 2
            ;;
    esac
done

echo
echo "== results: 100 keys (list + 100 GETs), median whole-process wall time; floor = 2 × ${LATENCY_MS} ms + start-up"
echo "   (vs sgkeys: against sgkeys --concurrency ${CONCURRENCIES[0]}, the first of CONCURRENCIES)"
echo "$(nproc) CPUs · $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "| setting | client | median | connections | vs sgkeys |"
echo "|---|---|---|---|---|"
[ ${#ROWS[@]} -eq 0 ] || printf '%s\n' "${ROWS[@]}"
if [ ${#TAIL_ROWS[@]} -gt 0 ]; then
    echo
    echo "== the tail: 100 keys, 20 % of requests failing (a quarter of those hang 30 s); whole-process time and keys read"
    echo "| setting | client | median | max | keys read (median) | keys read (worst) | runs |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${TAIL_ROWS[@]}"
fi
