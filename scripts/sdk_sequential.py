#!/usr/bin/env python3
"""Read every API key's scopes the way SendGrid's official Python SDK examples do: list the keys,
then GET each key in turn. The baseline `scripts/bench.sh sdk` compares `sgkeys audit` with.

    pip install sendgrid
    SENDGRID_API_KEY=SG.… python3 scripts/sdk_sequential.py --host http://127.0.0.1:3030

Prints one line: `sdk_sequential keys=N requests=N elapsed_s=S` (the time of the API calls,
from creating the client to the last answer; `--json` prints the same as JSON). Exits 1 when a
request fails, 3 when the SDK is not installed. With `--keep-going` a failed key does not stop
the loop (the SDK has no retry; the key is counted as not read) and the line ends `read=N`.
"""

import argparse
import json
import os
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", required=True, help="API base URL, e.g. http://127.0.0.1:3030")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--keep-going", action="store_true", help="go on past a failed key; print read=N"
    )
    args = parser.parse_args()

    try:
        from sendgrid import SendGridAPIClient
    except ImportError:
        print(
            "sdk_sequential.py: the official SendGrid SDK is not installed.\n"
            "  install it with:  pip install sendgrid   (or: python3 -m pip install --user sendgrid)",
            file=sys.stderr,
        )
        return 3

    api_key = os.environ.get("SENDGRID_API_KEY")
    if not api_key:
        print("sdk_sequential.py: set SENDGRID_API_KEY", file=sys.stderr)
        return 2

    start = time.perf_counter()
    sg = SendGridAPIClient(api_key=api_key, host=args.host)
    requests = 0
    try:
        # GET /v3/api_keys (as in the SDK's examples/apikeys/apikeys.py)
        response = sg.client.api_keys.get()
        requests += 1
        keys = json.loads(response.body)["result"]
        scopes = {}
        # GET /v3/api_keys/{api_key_id}, one after the other
        for key in keys:
            try:
                response = sg.client.api_keys._(key["api_key_id"]).get()
            except Exception:
                if not args.keep_going:
                    raise
                requests += 1
                continue
            requests += 1
            scopes[key["api_key_id"]] = json.loads(response.body).get("scopes", [])
    except Exception as e:  # python_http_client raises HTTPError subclasses for 4xx/5xx
        if args.keep_going:
            print("read=0")
        status = getattr(e, "status_code", None)
        print(
            f"sdk_sequential.py: request {requests + 1} failed"
            + (f" with HTTP {status}" if status else "")
            + f": {type(e).__name__}",
            file=sys.stderr,
        )
        return 1
    elapsed = time.perf_counter() - start

    if args.json:
        print(json.dumps({"keys": len(keys), "requests": requests, "elapsed_s": round(elapsed, 4),
                          "read": len(scopes)}))
    else:
        print(f"sdk_sequential keys={len(keys)} requests={requests} elapsed_s={elapsed:.4f}"
              + (f" read={len(scopes)}" if args.keep_going else ""))
    return 0 if len(scopes) == len(keys) else 1


if __name__ == "__main__":
    sys.exit(main())
