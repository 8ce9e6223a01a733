#!/usr/bin/env bash
# Whole-process performance harness for sgkeys (release build) against its own simulator.
#
#   scripts/bench.sh [audit|ratelimit|fleet|sdk|startup|risk|idle|memory|all]...   (default: all)
#
#   audit      `sgkeys audit` of 100 keys at 50 ms latency, ≥ 10 runs       goal ≤ 0.20 s mean (issue 13)
#   ratelimit  the same audit with the simulator at 20 requests/s           goal ≤ 1.2 × N/R, exit 0
#   fleet      `audit --all-subusers` on fleet:20:100 at 1000 requests/s    goal ≤ 1.2 × N/R, 0 × 429
#              then on fleet:200:50 under a real budget compressed (--rate-limit 600/6s) (issue 20):
#              budget used ≥ 95 %, 0 × 429, peak RSS ≤ 100 MB; killed (SIGKILL) at half and run
#              again: both runs' requests ≤ 1.02 × N (the resumed run asks only the rest)
#   sdk        the official Python SDK's sequential way, same simulator     ratio to sgkeys
#   startup    `sgkeys demo` in tmux: the `first frame` ms it logs, 5 runs  goal ≤ 60 ms median
#   risk       dashboard on 100 keys at 50 ms: first frame → every risk marker drawn (the
#              `every risk marker drawn` ms it logs), 5 runs                 goal ≤ 250 ms median
#   idle       dashboard CPU over 10 s once loaded (utime+stime)            goal ≈ 0
#   memory     dashboard peak RSS with 10 000 keys' scopes loaded           goal ≤ 30 MB
#              (and `sgkeys audit` peak RSS on the same 10 000 keys)
#   creates    at the simulator's DEFAULT budget (1 creation per 2 s): `rotate` of 5 keys in
#              one run, then `create`, `recreate`, `create` back to back     goal 0 × 429, all made
#              (not in `all`: it waits for the creation budget on purpose)
#
# Knobs (environment): AUDIT_RUNS (10), RL_RUNS (3), FLEET_RUNS (3), SDK_RUNS (3), STARTUP_RUNS (5),
# IDLE_SECS (10), MEM_TIMEOUT (60), SDK_PYTHON (python3), NO_HYPERFINE=1 (time with the bash
# loop even when hyperfine is installed), BENCH_OUT (also write the results table to this file),
# CREATE_RUNS (3), SGKEYS_BIN (measure this binary instead of building one, e.g. an older one).
#
# Needs: cargo, tmux (startup, idle, memory), python3 + `pip install sendgrid` (sdk; without
# them a sequential curl loop stands in, and says so), curl. Uses hyperfine when installed
# (`apt-get install hyperfine`), else a bash loop timed with `date +%s%N`. Installs nothing.
# Every simulator listens on a port the OS picks (--port 0) on 127.0.0.1; every process and the
# private tmux server it starts are stopped on exit.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AUDIT_RUNS=${AUDIT_RUNS:-10}
RL_RUNS=${RL_RUNS:-3}
FLEET_RUNS=${FLEET_RUNS:-3}
SDK_RUNS=${SDK_RUNS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-5}
IDLE_SECS=${IDLE_SECS:-10}
MEM_TIMEOUT=${MEM_TIMEOUT:-60}
SDK_PYTHON=${SDK_PYTHON:-python3}
CREATE_RUNS=${CREATE_RUNS:-3}

usage() {
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
}

# ------------------------------------------------------------------ arguments

WHAT=()
for a in "$@"; do
    case "$a" in
        audit | ratelimit | fleet | sdk | startup | risk | idle | memory | creates) WHAT+=("$a") ;;
        all) WHAT+=(audit ratelimit fleet sdk startup risk idle memory) ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "bench.sh: unknown measurement '$a'" >&2
            usage >&2
            exit 2
            ;;
    esac
done
[ ${#WHAT[@]} -gt 0 ] || WHAT=(audit ratelimit fleet sdk startup risk idle memory)

# ------------------------------------------------------------------ set-up and clean-up

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sgkeys-bench.XXXXXX")
TMUX_SOCK="sgkeys-bench-$$"
PIDS=()

cleanup() {
    set +e
    if command -v tmux >/dev/null 2>&1; then
        tmux -L "$TMUX_SOCK" kill-server >/dev/null 2>&1
        rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCK"
    fi
    for p in "${PIDS[@]}"; do
        kill "$p" >/dev/null 2>&1
    done
    for p in "${PIDS[@]}"; do
        wait "$p" >/dev/null 2>&1
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Nothing of the caller's sgkeys set-up may change the numbers.
export XDG_STATE_HOME="$WORK/state" XDG_CONFIG_HOME="$WORK/config"
unset SGKEYS_PROFILE SGKEYS_BASE_URL SGKEYS_CONFIG SGKEYS_READ_ONLY SGKEYS_JOURNAL SGKEYS_LOG \
    SGKEYS_SIM_ADMIN_KEY SENDGRID_API_KEY NO_COLOR || true

# bg CMD…: run CMD as a child the clean-up knows, and wait for it (a signal to this script then
# stops it at once instead of after CMD).
bg() {
    local pid rc=0 keep=() p
    "$@" &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || rc=$?
    for p in "${PIDS[@]}"; do
        [ "$p" = "$pid" ] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
    return "$rc"
}

need() {
    command -v "$1" >/dev/null 2>&1 && return 0
    echo "bench.sh: '$1' is needed for '$2': $3" >&2
    return 1
}

# ------------------------------------------------------------------ results

ROWS=()
# row MEASURE GOAL RESULT VERDICT
row() {
    ROWS+=("| $1 | $2 | $3 | $4 |")
    printf '  => %s: %s (goal %s) %s\n' "$1" "$3" "$2" "$4"
}

# le A B: A ≤ B (decimals)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
verdict() { if le "$1" "$2"; then echo PASS; else echo MISS; fi; }
now_ns() { date +%s%N; }
# ms between two now_ns readings
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

# ------------------------------------------------------------------ build

need cargo "building" "install a Rust toolchain (rustup.rs)" || exit 1
if [ -n "${SGKEYS_BIN:-}" ]; then
    BIN=$SGKEYS_BIN
else
    echo "== building (cargo build --release)"
    (cd "$ROOT" && cargo build --release --quiet)
    TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
    case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
    BIN="$TARGET_DIR/release/sgkeys"
fi
[ -x "$BIN" ] || {
    echo "bench.sh: no release binary at $BIN" >&2
    exit 1
}

echo "== machine"
MACHINE="$(nproc) CPUs · $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) · $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM · $(uname -sr)"
echo "  $MACHINE"
echo "  $("$BIN" --version) · $(cd "$ROOT" && rustc --version 2>/dev/null || echo rustc ?)"
if [ -z "${NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null 2>&1; then
    HYPERFINE=$(command -v hyperfine)
    echo "  timing with $(hyperfine --version)"
else
    HYPERFINE=
    if [ -n "${NO_HYPERFINE:-}" ]; then
        echo "  NO_HYPERFINE is set: timing with a bash loop and date +%s%N"
    else
        echo "  hyperfine is not installed (apt-get install hyperfine, or cargo install hyperfine):"
        echo "  timing with a bash loop and date +%s%N instead"
    fi
fi

# ------------------------------------------------------------------ simulator

SIM_PID= SIM_URL= SIM_KEY=
# The simulator's defaults are as slow as SendGrid (600 requests/60 s, one key creation per 2 s,
# a 2 s propagation delay after a revoke); the benchmarks measure sgkeys, so they run without
# those waits unless a scenario sets a flag itself.
FAST_SIM=(--rate-limit 1000/1s --create-rate 1000/1s --revoke-delay-ms 0)

# start_sim ARGS…: a standalone simulator on a free port (FAST_SIM unless ARGS set the same
# flags); sets SIM_PID, SIM_URL, SIM_KEY.
start_sim() {
    local log="$WORK/sim.$RANDOM.log" i fast=() j
    for ((j = 0; j < ${#FAST_SIM[@]}; j += 2)); do
        [[ " $* " == *" ${FAST_SIM[j]} "* ]] || fast+=("${FAST_SIM[j]}" "${FAST_SIM[j + 1]}")
    done
    "$BIN" sim --port 0 "${fast[@]}" "$@" >"$log" 2>&1 &
    SIM_PID=$!
    PIDS+=("$SIM_PID")
    for ((i = 0; i < 600; i++)); do
        grep -q '^  admin key ' "$log" && break
        if ! kill -0 "$SIM_PID" 2>/dev/null; then
            echo "bench.sh: the simulator did not start:" >&2
            cat "$log" >&2
            return 1
        fi
        sleep 0.05
    done
    SIM_URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -1)
    SIM_KEY=$(awk '/^  admin key / { print $3; exit }' "$log")
    if [ -z "$SIM_URL" ] || [ -z "$SIM_KEY" ]; then
        echo "bench.sh: cannot read the simulator's URL and admin key from its banner:" >&2
        cat "$log" >&2
        return 1
    fi
    echo "  simulator $* at $SIM_URL (pid $SIM_PID)"
}

stop_sim() {
    [ -n "$SIM_PID" ] || return 0
    kill "$SIM_PID" 2>/dev/null || true
    wait "$SIM_PID" 2>/dev/null || true
    local keep=() p
    for p in "${PIDS[@]}"; do
        [ "$p" = "$SIM_PID" ] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
    SIM_PID=
}

sim_get() { curl -fsS -H "Authorization: Bearer $SIM_KEY" "$SIM_URL$1"; }
sim_reset() { curl -fsS -X POST -H "Authorization: Bearer $SIM_KEY" "$SIM_URL/_sim/reset-counters" >/dev/null; }
# Statuses of the requests the simulator logged, one per line.
sim_statuses() { sim_get /_sim/requests | grep -o '"status":[0-9]*' | cut -d: -f2; }

# sgkeys against the current simulator
sgk() { SENDGRID_API_KEY="$SIM_KEY" "$BIN" --base-url "$SIM_URL" "$@"; }

# ------------------------------------------------------------------ timing

T_MEAN= T_MIN= T_MAX= T_RUNS=
# time_runs RUNS CMD…: mean/min/max wall time in seconds (hyperfine, else a bash loop).
time_runs() {
    local runs=$1
    shift
    if [ -n "$HYPERFINE" ]; then
        local json="$WORK/hf.json" cmd
        cmd=$(printf '%q ' "$@")
        bg "$HYPERFINE" --style basic --warmup 1 --runs "$runs" --export-json "$json" "$cmd" >&2
        field() { grep -o "\"$1\": *[0-9.e+-]*" "$json" | head -1 | sed 's/.*: *//'; }
        T_MEAN=$(field mean) T_MIN=$(field min) T_MAX=$(field max)
    else
        local i s e times=()
        "$@" >/dev/null # warm-up
        for ((i = 0; i < runs; i++)); do
            s=$(now_ns)
            "$@" >/dev/null
            e=$(now_ns)
            times+=("$((e - s))")
        done
        read -r T_MEAN T_MIN T_MAX < <(printf '%s\n' "${times[@]}" | awk '
            { s += $1; if (NR == 1 || $1 < mn) mn = $1; if ($1 > mx) mx = $1 }
            END { printf "%.6f %.6f %.6f\n", s / NR / 1e9, mn / 1e9, mx / 1e9 }')
    fi
    T_RUNS=$runs
    T_MEAN=$(awk -v x="$T_MEAN" 'BEGIN { printf "%.3f", x }')
    T_MIN=$(awk -v x="$T_MIN" 'BEGIN { printf "%.3f", x }')
    T_MAX=$(awk -v x="$T_MAX" 'BEGIN { printf "%.3f", x }')
}

# ------------------------------------------------------------------ tmux

tm() { tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
# dash NAME CMD…: run CMD in a new 120×40 tmux session (exec'd: the pane's pid is sgkeys).
dash() {
    local name=$1
    shift
    tm new-session -d -s "$name" -x 120 -y 40 "exec $(printf '%q ' "$@")"
}
screen_of() { tm capture-pane -p -t "$1" 2>/dev/null || true; }
# wait_screen NAME TEXT SECONDS: poll the screen until TEXT shows.
wait_screen() {
    local deadline=$(($(date +%s) + $3))
    while [ "$(date +%s)" -lt "$deadline" ]; do
        screen_of "$1" | grep -q -- "$2" && return 0
        sleep 0.1
    done
    return 1
}
# quit NAME: press q and wait for the session to end.
quit_dash() {
    local i
    tm send-keys -t "$1" q 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        tm has-session -t "$1" 2>/dev/null || return 0
        sleep 0.05
    done
    tm kill-session -t "$1" 2>/dev/null || true
}
pane_pid() { tm display -p -t "$1" '#{pane_pid}'; }

# ------------------------------------------------------------------ a. audit

AUDIT_MEAN=
bench_audit() {
    echo "== audit: 100 keys, 50 ms latency, $AUDIT_RUNS runs"
    start_sim --seed bulk:99 --latency-ms 50
    local n
    n=$(sgk audit --format json | grep -o '"api_key_id"' | wc -l)
    [ "$n" -eq 100 ] || {
        echo "bench.sh: expected 100 keys in the audit, got $n" >&2
        return 1
    }
    SENDGRID_API_KEY="$SIM_KEY" time_runs "$AUDIT_RUNS" "$BIN" --base-url "$SIM_URL" audit --format json
    AUDIT_MEAN=$T_MEAN
    row "audit, 100 keys, 50 ms latency (whole process)" "≤ 0.20 s" \
        "mean $T_MEAN s (min $T_MIN, max $T_MAX; $T_RUNS runs)" "$(verdict "$T_MEAN" 0.20)"
    stop_sim
}

# ------------------------------------------------------------------ b. rate limit

bench_ratelimit() {
    echo "== rate limit: 100 keys, 50 ms latency, 20 requests/s, $RL_RUNS runs"
    need curl ratelimit "apt-get install curl" || return 1
    start_sim --seed bulk:99 --latency-ms 50 --rate-limit 20/1s
    local i s e rc ms statuses n n429 nbad worst=0 sum=0 total429=0 failed=0 bound=0 details=()
    for ((i = 1; i <= RL_RUNS; i++)); do
        sleep 1.1 # a fresh one-second window: runs do not eat each other's budget
        sim_reset
        s=$(now_ns)
        rc=0
        bg sgk audit --format json >/dev/null || rc=$?
        e=$(now_ns)
        ms=$(ms_between "$s" "$e")
        statuses=$(sim_statuses)
        n=$(grep -cv '^429$' <<<"$statuses" || true)
        n429=$(grep -c '^429$' <<<"$statuses" || true)
        nbad=$(grep -Ecv '^(200|429)$' <<<"$statuses" || true)
        bound=$(awk -v n="$n" 'BEGIN { printf "%.2f", 1.2 * n / 20 }')
        echo "  run $i: exit $rc, $(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }') s, $n requests answered, $n429 × 429, $nbad other errors (bound $bound s)"
        details+=("$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }')")
        [ "$rc" -eq 0 ] && [ "$nbad" -eq 0 ] || failed=$((failed + 1))
        le "$ms" "$worst" || worst=$ms
        sum=$(awk -v a="$sum" -v b="$ms" 'BEGIN { print a + b }')
        total429=$((total429 + n429))
    done
    local mean max v
    mean=$(awk -v s="$sum" -v n="$RL_RUNS" 'BEGIN { printf "%.2f", s / n / 1000 }')
    max=$(awk -v m="$worst" 'BEGIN { printf "%.2f", m / 1000 }')
    v=$(verdict "$max" "$bound")
    [ "$failed" -eq 0 ] || v="MISS ($failed runs failed)"
    row "audit at --rate-limit 20/1s (N = $n requests)" "exit 0, ≤ 1.2·N/R = $bound s" \
        "max $max s, mean $mean s ($(
            IFS=,
            echo "${details[*]}"
        )); $total429 × 429 retried in $RL_RUNS runs; $failed failed" "$v"
    stop_sim
}

# ------------------------------------------------------------------ creates at the default budget

# creates_step LABEL CMD…: one timed run of sgkeys against the current simulator (counters reset
# first); prints and appends to C_LINES "LABEL: exit, seconds, 201s, 429s".
C_LINES=()
creates_step() {
    local label=$1 s e rc=0 statuses
    shift
    sim_reset
    s=$(now_ns)
    bg sgk "$@" >/dev/null 2>"$WORK/creates.err" || rc=$?
    e=$(now_ns)
    statuses=$(sim_statuses)
    C_EXIT=$rc
    C_201=$(grep -c '^201$' <<<"$statuses" || true)
    C_429=$(grep -c '^429$' <<<"$statuses" || true)
    C_S=$(awk -v m="$(ms_between "$s" "$e")" 'BEGIN { printf "%.2f", m / 1000 }')
    echo "  $label: exit $rc, $C_S s, $C_201 created, $C_429 × 429"
    [ "$rc" -eq 0 ] || sed 's/^/    /' "$WORK/creates.err" | tail -3
}

bench_creates() {
    echo "== creates at the default budget (600/60 s, 1 creation per 2 s, 2 s revoke delay), $CREATE_RUNS runs"
    need curl creates "apt-get install curl" || return 1
    start_sim --seed bulk:$((6 * CREATE_RUNS + 5)) --rate-limit 600/60s --create-rate 1/2s \
        --revoke-delay-ms 2000
    local i ids all old bad=0 rot429=0 seq429=0 rot_s=() seq_s=() made=0 asked=0
    export SGKEYS_JOURNAL="$WORK/creates-journal.jsonl"
    mapfile -t all < <(sgk list --format json | grep -o '"api_key_id": "[^"]*"' | cut -d'"' -f4)
    for ((i = 1; i <= CREATE_RUNS; i++)); do
        sleep 2.1 # a fresh creation window: runs do not eat each other's budget
        # five keys of the seed (the admin key is the first), others each run
        ids=("${all[@]:$((6 * i - 5)):5}")
        old=${all[$((6 * i))]}
        creates_step "run $i: rotate --yes of 5 keys" rotate --yes --secrets-out "$WORK/rot$i.env" "${ids[@]}"
        rot_s+=("$C_S") rot429=$((rot429 + C_429)) made=$((made + C_201)) asked=$((asked + 5))
        [ "$C_EXIT" -eq 0 ] || bad=$((bad + 1))
        bg sgk revoke --yes "$old" >/dev/null 2>&1
        sleep 2.1
        # three runs back to back, each one create
        local t0 t1 n429=0 n201=0 ok=0
        t0=$(now_ns)
        creates_step "run $i: create" create "bench $i a" --scope mail.send
        n429=$((n429 + C_429)) n201=$((n201 + C_201))
        [ "$C_EXIT" -eq 0 ] && ok=$((ok + 1))
        creates_step "run $i: recreate" recreate "$old" --yes
        n429=$((n429 + C_429)) n201=$((n201 + C_201))
        [ "$C_EXIT" -eq 0 ] && ok=$((ok + 1))
        creates_step "run $i: create" create "bench $i b" --scope mail.send
        n429=$((n429 + C_429)) n201=$((n201 + C_201))
        [ "$C_EXIT" -eq 0 ] && ok=$((ok + 1))
        t1=$(now_ns)
        seq_s+=("$(awk -v m="$(ms_between "$t0" "$t1")" 'BEGIN { printf "%.2f", m / 1000 }')")
        seq429=$((seq429 + n429)) made=$((made + n201)) asked=$((asked + 3))
        [ "$ok" -eq 3 ] || bad=$((bad + 3 - ok))
    done
    unset SGKEYS_JOURNAL
    local v=PASS
    [ "$rot429" -eq 0 ] && [ "$seq429" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$made" -eq "$asked" ] || v=MISS
    row "rotate --yes of 5 keys in one process, default budget ($CREATE_RUNS runs)" "0 × 429, 5 made" \
        "$(IFS=,; echo "${rot_s[*]}") s; $rot429 × 429 in $CREATE_RUNS runs" "$v"
    row "create, recreate, create back to back, default budget ($CREATE_RUNS runs)" "0 × 429, 3 made" \
        "$(IFS=,; echo "${seq_s[*]}") s; $seq429 × 429; $made of $asked keys made in all; $bad commands failed" "$v"
    stop_sim
}

# ------------------------------------------------------------------ b2. a sweep of subusers

bench_fleet() {
    echo "== fleet: audit --all-subusers on fleet:20:100, rate limit 1000/1s, $FLEET_RUNS runs"
    need curl fleet "apt-get install curl" || return 1
    start_sim --seed fleet:20:100
    local i s e rc ms log n n429 nbad worst=0 sum=0 total429=0 failed=0 bound=0 conns per details=()
    for ((i = 1; i <= FLEET_RUNS; i++)); do
        sleep 1.1 # a fresh window
        sim_reset
        s=$(now_ns)
        rc=0
        bg sgk audit --all-subusers --format json >/dev/null || rc=$?
        e=$(now_ns)
        ms=$(ms_between "$s" "$e")
        log=$(sim_get /_sim/requests)
        n=$(grep -o '"status":[0-9]*' <<<"$log" | grep -cv ':429$' || true)
        n429=$(grep -o '"status":[0-9]*' <<<"$log" | grep -c ':429$' || true)
        nbad=$(grep -o '"status":[0-9]*' <<<"$log" | grep -Ecv ':(200|429)$' || true)
        # the busiest rate-limit window (requests it counted), and connections (less this query's)
        per=$(grep -o '"window":[0-9]*' <<<"$log" | sort | uniq -c | sort -n | tail -1 | awk '{ print $1 }')
        conns=$(grep -o '"connections":[0-9]*' <<<"$log" | cut -d: -f2)
        bound=$(awk -v n="$n" 'BEGIN { printf "%.2f", n / 1000 }')
        echo "  run $i: exit $rc, $(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }') s, $n requests answered (N/R = $bound s), $n429 × 429, $nbad other errors, busiest window ${per:-0}, $((conns - 1)) connections"
        details+=("$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }')")
        [ "$rc" -eq 0 ] && [ "$nbad" -eq 0 ] || failed=$((failed + 1))
        le "$ms" "$worst" || worst=$ms
        sum=$(awk -v a="$sum" -v b="$ms" 'BEGIN { print a + b }')
        total429=$((total429 + n429))
    done
    local mean max v goal
    mean=$(awk -v s="$sum" -v n="$FLEET_RUNS" 'BEGIN { printf "%.2f", s / n / 1000 }')
    max=$(awk -v m="$worst" 'BEGIN { printf "%.2f", m / 1000 }')
    goal=$(awk -v b="$bound" 'BEGIN { printf "%.2f", 1.2 * b }')
    v=$(verdict "$max" "$goal")
    [ "$failed" -eq 0 ] && [ "$total429" -eq 0 ] || v="MISS ($failed runs failed, $total429 × 429)"
    row "audit --all-subusers, fleet:20:100 (N = $n requests)" "0 × 429, ≤ 1.2·N/R = $goal s" \
        "max $max s, mean $mean s ($(
            IFS=,
            echo "${details[*]}"
        )); $total429 × 429 in $FLEET_RUNS runs" "$v"
    stop_sim
    bench_fleet_budget
}

# peak RSS (KiB) of a command, from /usr/bin/time -f %M when installed (else 0)
PEAK_RSS_FILE=
with_peak_rss() {
    PEAK_RSS_FILE="$WORK/rss.$RANDOM"
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f '%M' -o "$PEAK_RSS_FILE" "$@"
    else
        echo 0 >"$PEAK_RSS_FILE"
        "$@"
    fi
}

# statuses in the simulator's request log: answered (not 429), 429, other errors, and the
# requests each rate-limit window counted (min, max over the windows touched)
fleet_counts() {
    local log
    log=$(sim_get /_sim/requests)
    F_N=$(grep -o '"status":[0-9]*' <<<"$log" | grep -cv ':429$' || true)
    F_429=$(grep -o '"status":[0-9]*' <<<"$log" | grep -c ':429$' || true)
    F_BAD=$(grep -o '"status":[0-9]*' <<<"$log" | grep -Ecv ':(200|429)$' || true)
    F_WINDOWS=$(grep -o '"window":[0-9]*' <<<"$log" | sort -u | wc -l)
}

bench_fleet_budget() {
    echo "== fleet under a budget: audit --all-subusers on fleet:200:50 (10 000 keys), --rate-limit 600/6s"
    start_sim --seed fleet:200:50 --rate-limit 600/6s
    local s e ms rc n used half pid killed resumed total ratio rss v v2 v3 windows
    # start at the beginning of a window (epoch seconds divisible by 6), as a real minute would
    sleep "$(awk -v t="$(date +%s.%N)" 'BEGIN { printf "%.3f", 6 - (t % 6) + 0.05 }')"
    sim_reset
    s=$(now_ns)
    rc=0
    SENDGRID_API_KEY="$SIM_KEY" with_peak_rss "$BIN" --base-url "$SIM_URL" audit --all-subusers --format json \
        >"$WORK/fleet-audit.json" 2>"$WORK/fleet-audit.err" </dev/null || rc=$?
    e=$(now_ns)
    ms=$(ms_between "$s" "$e")
    rss=$(($(tail -1 "$PEAK_RSS_FILE") / 1024))
    [ "$rc" -eq 0 ] || { echo "  the sweep exited $rc:"; tail -5 "$WORK/fleet-audit.err"; }
    fleet_counts
    n=$F_N
    windows=$F_WINDOWS
    # the budget the run's time allowed: 600 requests per 6 s of it; and per window touched
    used=$(awk -v n="$n" -v m="$ms" 'BEGIN { printf "%.1f", 100 * n / (100 * m / 1000) }')
    local used_w
    used_w=$(awk -v n="$n" -v w="$windows" 'BEGIN { printf "%.1f", 100 * n / (600 * w) }')
    echo "  whole sweep: exit $rc, $(awk -v m="$ms" 'BEGIN { printf "%.1f", m / 1000 }') s, $n requests answered, $F_429 × 429, $F_BAD other errors, $windows windows ($used_w % of their budget; $used % of 100 requests/s over the run), peak RSS $rss MB"
    v=PASS
    le 95 "$used" || v=MISS
    [ "$rc" -eq 0 ] && [ "$F_429" -eq 0 ] && [ "$F_BAD" -eq 0 ] || v="MISS (exit $rc, $F_429 × 429, $F_BAD errors)"
    row "audit --all-subusers, fleet:200:50 at 600/6s (N = $n requests)" "≥ 95 % of the budget, 0 × 429" \
        "$used % of 100 req/s over $(awk -v m="$ms" 'BEGIN { printf "%.1f", m / 1000 }') s ($used_w % of the $windows windows touched); $F_429 × 429" "$v"
    v3=$(verdict "$rss" 100)
    row "peak RSS of that sweep (10 000 keys)" "≤ 100 MB" "$rss MB" "$v3"

    # killed at half, then run again: the second run asks only what the first was not answered
    sleep "$(awk -v t="$(date +%s.%N)" 'BEGIN { printf "%.3f", 6 - (t % 6) + 0.05 }')"
    sim_reset
    half=$((n / 2))
    SENDGRID_API_KEY="$SIM_KEY" "$BIN" --base-url "$SIM_URL" audit --all-subusers --format json >/dev/null 2>&1 </dev/null &
    pid=$!
    PIDS+=("$pid")
    while kill -0 "$pid" 2>/dev/null; do
        fleet_counts
        [ "$F_N" -ge "$half" ] && break
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    fleet_counts
    killed=$F_N
    sim_reset
    rc=0
    bg sgk audit --all-subusers --format json >"$WORK/fleet-resumed.json" 2>"$WORK/fleet-resumed.err" || rc=$?
    fleet_counts
    resumed=$F_N
    total=$((killed + resumed))
    ratio=$(awk -v t="$total" -v n="$n" 'BEGIN { printf "%.3f", t / n }')
    echo "  killed at half: $killed requests answered before SIGKILL, $resumed after (exit $rc: $(grep -o 'Resuming[^:]*' "$WORK/fleet-resumed.err" | head -1)); $total in all = $ratio × N"
    v2=$(verdict "$ratio" 1.02)
    [ "$rc" -eq 0 ] || { v2="MISS (exit $rc)"; tail -5 "$WORK/fleet-resumed.err"; }
    cmp -s <(grep -o '"api_key_id":"[^"]*"' "$WORK/fleet-audit.json" | sort) \
        <(grep -o '"api_key_id":"[^"]*"' "$WORK/fleet-resumed.json" | sort) ||
        v2="MISS (the resumed report's keys differ)"
    row "killed (SIGKILL) at half and run again" "≤ 1.02 × N requests in all" \
        "$killed + $resumed = $total = $ratio × N" "$v2"
    stop_sim
}

# ------------------------------------------------------------------ c. the official SDK

curl_sequential() {
    local ids id
    ids=$(sim_get /v3/api_keys | grep -o '"api_key_id":"[^"]*"' | cut -d'"' -f4)
    for id in $ids; do
        sim_get "/v3/api_keys/$id" >/dev/null
    done
}

bench_sdk() {
    echo "== the official SDK, sequential: 100 keys, 50 ms latency, $SDK_RUNS runs"
    start_sim --seed bulk:99 --latency-ms 50
    local how="sdk" inner="" i s e ms sum=0 out
    if ! command -v "$SDK_PYTHON" >/dev/null 2>&1; then
        echo "  $SDK_PYTHON is not installed (apt-get install python3 python3-pip)"
        how=curl
    elif ! "$SDK_PYTHON" -c 'import sendgrid' 2>/dev/null; then
        echo "  the official SendGrid SDK is not installed for $SDK_PYTHON: $SDK_PYTHON -m pip install sendgrid"
        how=curl
    fi
    if [ "$how" = curl ]; then
        need curl sdk "apt-get install curl" || return 1
        echo "  FALLBACK: timing a sequential curl loop (list, then one GET per key) instead of the SDK"
    fi
    local inners=()
    for ((i = 1; i <= SDK_RUNS; i++)); do
        s=$(now_ns)
        if [ "$how" = sdk ]; then
            SENDGRID_API_KEY="$SIM_KEY" bg "$SDK_PYTHON" "$ROOT/scripts/sdk_sequential.py" --host "$SIM_URL" >"$WORK/sdk.out"
            out=$(cat "$WORK/sdk.out")
            inners+=("$(sed -n 's/.*elapsed_s=\([0-9.]*\).*/\1/p' <<<"$out")")
        else
            curl_sequential
        fi
        e=$(now_ns)
        ms=$(ms_between "$s" "$e")
        echo "  run $i: $(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }') s${out:+ ($out)}"
        sum=$(awk -v a="$sum" -v b="$ms" 'BEGIN { print a + b }')
    done
    local mean ratio label
    mean=$(awk -v s="$sum" -v n="$SDK_RUNS" 'BEGIN { printf "%.3f", s / n / 1000 }')
    if [ ${#inners[@]} -gt 0 ]; then
        inner=$(printf '%s\n' "${inners[@]}" | awk '{ s += $1 } END { printf "%.3f", s / NR }')
    fi
    if [ -z "$AUDIT_MEAN" ]; then
        echo "  sgkeys audit on the same simulator, for the ratio:"
        SENDGRID_API_KEY="$SIM_KEY" time_runs 5 "$BIN" --base-url "$SIM_URL" audit --format json
        AUDIT_MEAN=$T_MEAN
    fi
    ratio=$(awk -v a="$mean" -v b="$AUDIT_MEAN" 'BEGIN { printf "%.1f", a / b }')
    if [ "$how" = sdk ]; then
        label="official Python SDK, sequential (whole process)"
    else
        label="FALLBACK curl loop, sequential (NOT the SDK)"
    fi
    row "$label, 100 keys, 50 ms latency" "— (baseline)" \
        "mean $mean s${inner:+ (API calls alone $inner s)}; sgkeys audit $AUDIT_MEAN s" "sgkeys ${ratio}× faster"
    stop_sim
}

# ------------------------------------------------------------------ d. start-up

bench_startup() {
    echo "== start-up to first frame: sgkeys demo in tmux 120×40, $STARTUP_RUNS runs"
    need tmux startup "apt-get install tmux" || return 1
    local i j log t0 ms wall ts mss=() walls=()
    for ((i = 1; i <= STARTUP_RUNS; i++)); do
        log="$WORK/startup.$i.log"
        t0=$(now_ns)
        dash "start$i" "$BIN" demo --log-file "$log"
        ms=
        for ((j = 0; j < 200; j++)); do
            if grep -q 'first frame' "$log" 2>/dev/null; then
                ms=$(sed -n 's/.*first frame.*ms=\([0-9.]*\).*/\1/p' "$log" | head -1)
                break
            fi
            sleep 0.05
        done
        if [ -z "$ms" ]; then
            echo "bench.sh: no 'first frame' line in $log after 10 s" >&2
            screen_of "start$i" >&2
            return 1
        fi
        # the log line's own time stamp, against the moment tmux was asked to start it
        ts=$(grep -m1 'first frame' "$log" | cut -d' ' -f1)
        wall=$(ms_between "$t0" "$(date -d "$ts" +%s%N 2>/dev/null || echo "$t0")")
        echo "  run $i: first frame ms=$ms (from tmux new-session to the log line: $wall ms)"
        mss+=("$ms")
        walls+=("$wall")
        quit_dash "start$i"
    done
    local med wmed
    med=$(printf '%s\n' "${mss[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.2f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    wmed=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    row "start-up to first frame, demo (logged ms=)" "≤ 60 ms median" \
        "median $med ms ($(
            IFS=,
            echo "${mss[*]}"
        )); tmux new-session → log line: median $wmed ms" "$(verdict "$med" 60)"
}

# ------------------------------------------------------------------ d2. risk picture

bench_risk() {
    echo "== first frame to every risk marker: 100 keys, 50 ms latency, tmux 120×40, $STARTUP_RUNS runs"
    need tmux risk "apt-get install tmux" || return 1
    start_sim --seed bulk:99 --latency-ms 50
    local i j log ms mss=()
    for ((i = 1; i <= STARTUP_RUNS; i++)); do
        log="$WORK/risk.$i.log"
        dash "risk$i" env SENDGRID_API_KEY="$SIM_KEY" XDG_STATE_HOME="$WORK/state" \
            "$BIN" --base-url "$SIM_URL" --log-file "$log"
        ms=
        for ((j = 0; j < 200; j++)); do
            if grep -q 'every risk marker drawn' "$log" 2>/dev/null; then
                ms=$(sed -n 's/.*every risk marker drawn.*ms=\([0-9.]*\).*/\1/p' "$log" | head -1)
                break
            fi
            sleep 0.05
        done
        quit_dash "risk$i"
        if [ -z "$ms" ]; then
            echo "bench.sh: no 'every risk marker drawn' line in $log after 10 s" >&2
            stop_sim
            return 1
        fi
        echo "  run $i: every risk marker drawn $ms ms after the first frame"
        mss+=("$ms")
    done
    stop_sim
    local med
    med=$(printf '%s\n' "${mss[@]}" | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    row "dashboard: first frame → every risk marker, 100 keys, 50 ms" "≤ 250 ms median" \
        "median $med ms ($(
            IFS=,
            echo "${mss[*]}"
        ))" "$(verdict "$med" 250)"
}

# ------------------------------------------------------------------ e. idle CPU

# cpu_ticks PID: utime + stime of the whole process (clock ticks)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# run_ns PID: CPU time of every live thread (ns, /proc/PID/task/*/schedstat)
run_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s }'; }
# switches PID: context switches of every live thread (each one a wake-up)
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }

bench_idle() {
    echo "== idle CPU: dashboard on 100 keys (50 ms latency), ${IDLE_SECS} s once loaded"
    need tmux idle "apt-get install tmux" || return 1
    start_sim --seed bulk:99 --latency-ms 50
    dash idle env SENDGRID_API_KEY="$SIM_KEY" "$BIN" --base-url "$SIM_URL" --log-file "$WORK/idle.log"
    if ! wait_screen idle 'updated' 30; then
        echo "bench.sh: the dashboard did not finish loading in 30 s:" >&2
        screen_of idle >&2
        return 1
    fi
    local pid hz t0 t1 n0 n1 c0 c1 ms precise wakeups
    pid=$(pane_pid idle)
    hz=$(getconf CLK_TCK)
    t0=$(cpu_ticks "$pid") n0=$(run_ns "$pid") c0=$(switches "$pid")
    sleep "$IDLE_SECS"
    t1=$(cpu_ticks "$pid") n1=$(run_ns "$pid") c1=$(switches "$pid")
    ms=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) * 1000 / hz }')
    precise=$(awk -v a="$n0" -v b="$n1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
    wakeups=$((c1 - c0))
    echo "  utime+stime: $((t1 - t0)) ticks of 1/$hz s; schedstat: $precise ms; $wakeups context switches"
    row "idle CPU over ${IDLE_SECS} s, dashboard loaded (100 keys)" "≈ 0 (≤ 10 ms)" \
        "$ms ms utime+stime ($precise ms by schedstat; $wakeups wake-ups)" "$(verdict "$precise" 10)"
    # The next window: the toasts of the load (8 s at most) have expired, nothing ticks.
    t0=$t1 n0=$n1 c0=$c1
    sleep "$IDLE_SECS"
    t1=$(cpu_ticks "$pid") n1=$(run_ns "$pid") c1=$(switches "$pid")
    ms=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.0f", (b - a) * 1000 / hz }')
    precise=$(awk -v a="$n0" -v b="$n1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
    wakeups=$((c1 - c0))
    echo "  next ${IDLE_SECS} s: $((t1 - t0)) ticks; schedstat: $precise ms; $wakeups context switches"
    row "idle CPU, the next ${IDLE_SECS} s (toasts expired)" "≈ 0 (≤ 10 ms)" \
        "$ms ms utime+stime ($precise ms by schedstat; $wakeups wake-ups)" "$(verdict "$precise" 10)"
    quit_dash idle
    stop_sim
}

# ------------------------------------------------------------------ f. memory

bench_memory() {
    echo "== memory: dashboard and audit on 10 000 keys"
    need tmux memory "apt-get install tmux" || return 1
    start_sim --seed bulk:10000
    local s e pid hwm rss secs
    s=$(now_ns)
    dash mem env SENDGRID_API_KEY="$SIM_KEY" "$BIN" --base-url "$SIM_URL" --log-file "$WORK/mem.log"
    if ! wait_screen mem 'updated' "$MEM_TIMEOUT"; then
        echo "bench.sh: the prefetch of 10 000 keys did not finish in $MEM_TIMEOUT s:" >&2
        screen_of mem | tail -3 >&2
        row "dashboard peak RSS, 10 000 keys loaded" "≤ 30 MB" "prefetch not done in $MEM_TIMEOUT s" MISS
        quit_dash mem
        stop_sim
        return 0
    fi
    e=$(now_ns)
    secs=$(awk -v m="$(ms_between "$s" "$e")" 'BEGIN { printf "%.1f", m / 1000 }')
    pid=$(pane_pid mem)
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
    echo "  loaded in $secs s; VmHWM $hwm kB, VmRSS $rss kB"
    # 30 MB = 30 000 000 bytes
    row "dashboard peak RSS (VmHWM), 10 001 keys' scopes loaded" "≤ 30 MB" \
        "$(awk -v k="$hwm" 'BEGIN { printf "%.1f MB", k * 1024 / 1e6 }') ($hwm kB; VmRSS $rss kB; loaded in $secs s)" \
        "$(verdict "$((hwm * 1024))" 30000000)"
    quit_dash mem

    # the audit on the same 10 000 keys
    local out="$WORK/audit10k.json" peak apid ok=0
    s=$(now_ns)
    if [ -x /usr/bin/time ]; then
        SENDGRID_API_KEY="$SIM_KEY" bg /usr/bin/time -v -o "$WORK/time.txt" \
            "$BIN" --base-url "$SIM_URL" audit --format json --out "$out" 2>/dev/null || ok=$?
        peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")
    else
        sgk audit --format json --out "$out" &
        apid=$!
        peak=0
        while kill -0 "$apid" 2>/dev/null; do
            hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$apid/status" 2>/dev/null || true)
            [ -n "$hwm" ] && [ "$hwm" -gt "$peak" ] && peak=$hwm
            sleep 0.05
        done
        wait "$apid" || ok=$?
    fi
    e=$(now_ns)
    secs=$(awk -v m="$(ms_between "$s" "$e")" 'BEGIN { printf "%.1f", m / 1000 }')
    local n
    n=$(grep -o '"api_key_id"' "$out" | wc -l)
    echo "  audit: exit $ok, $n keys, $secs s, max RSS $peak kB"
    row "sgkeys audit peak RSS, 10 001 keys" "— (reported)" \
        "$(awk -v k="$peak" 'BEGIN { printf "%.1f MB", k * 1024 / 1e6 }') ($peak kB; $n keys in $secs s, exit $ok)" \
        "$([ "$ok" -eq 0 ] && [ "$n" -eq 10001 ] && echo info || echo "FAILED")"
    stop_sim
}

# ------------------------------------------------------------------ run

for w in "${WHAT[@]}"; do
    "bench_$w"
done

echo
echo "== results ($MACHINE)"
{
    echo "| measure | goal | result | verdict |"
    echo "|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "${BENCH_OUT:-/dev/null}"
