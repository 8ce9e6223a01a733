#!/usr/bin/env bash
# Peak memory and time of `sgkeys journal` over a big journal (issue: a 200 MB journal read in
# bounded memory). Usage: scripts/journal_rss.sh [SGKEYS_BINARY] [MIB]
# Writes a synthetic journal of MIB MiB (default 200): write-ahead pairs of every action, each
# rotation's old key revoked a few entries later except 1 in 50 (left pending), then runs
# `journal` in each format under /usr/bin/time -v.
set -euo pipefail
bin=${1:-target/release/sgkeys}
mib=${2:-200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/journal.jsonl" "$mib" <<'PY'
import json, random, sys
path, mib = sys.argv[1], int(sys.argv[2])
random.seed(7)
alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
scopes = ["mail.send", "stats.read", "alerts.read", "templates.read", "suppression.read"]
kid = lambda: ''.join(random.choice(alpha) for _ in range(22))
size, i, olds = 0, 0, []
with open(path, 'w') as out:
    while size < mib * 1024 * 1024:
        action = ["revoke", "create", "rename", "set_scopes", "rotate"][i % 5]
        e = {"time": "2026-11-27T03:01:10Z", "op": f"{i:x}-{random.getrandbits(32):08x}",
             "phase": "intent", "base_url": "https://api.sendgrid.com", "action": action,
             "api_key_id": kid(), "name": f"service key {i}", "scopes_before": scopes,
             "status": None, "ok": False, "source": "cli"}
        if action == "revoke" and olds:
            e["api_key_id"] = olds.pop(0)
        if action == "rotate":
            old = kid()
            e["replaces"], e["api_key_id"], e["secret_delivered"] = old, "", False
            if i % 50:
                olds.append(old)
        o = dict(e, phase="outcome", status=204, ok=True, outcome="ok")
        if action == "rotate":
            o["api_key_id"], o["secret_delivered"] = kid(), True
        for line in (e, o):
            text = json.dumps(line, separators=(',', ':')) + "\n"
            out.write(text)
            size += len(text)
        i += 1
PY
ls -l "$dir/journal.jsonl" | awk '{print "journal:", $5, "bytes"}'
for f in table json csv; do
  /usr/bin/time -v "$bin" --journal "$dir/journal.jsonl" journal --format "$f" >/dev/null 2>"$dir/time.$f" || true
  printf '%-6s %s; %s\n' "$f" "$(grep -o 'Maximum resident set size (kbytes): [0-9]*' "$dir/time.$f")" \
    "$(grep -o 'Elapsed (wall clock) time (h:mm:ss or m:ss): .*' "$dir/time.$f")"
done
