"""Copies one evidence export line into a quarter: PROJECTS projects x DAYS daily runs,
one JSON Lines file per project in OUT_DIR.

Each copy gets a new run id, project, time (payload's too) and payload digest; each project's
inventory has one version changed, so every project has its own inventory (stored once).
Digest: SHA-256 of the payload as compact JSON, which is how chainwarden serialises it.
"""
import datetime
import os
import hashlib
import json
import secrets
import sys

line = json.loads(open(sys.argv[1]).readline())
projects, days, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
start = datetime.date(2026, 10, 1)
for p in range(projects):
    # One file per project: an import file is capped at 64 MiB.
    f = open(os.path.join(out, f"p{p:03d}.jsonl"), "w")
    for d in range(days):
        run = json.loads(json.dumps(line["run"]))
        when = (start + datetime.timedelta(days=d)).isoformat() + "T06:00:00Z"
        run["run_id"] = secrets.token_hex(16)
        run["project_id"] = f"p{p:03d}"
        run["time"] = when
        run["payload"]["time"] = when
        inventory = run["payload"].get("inventory") or []
        if inventory:
            inventory[0]["version"] = f"0.0.{p}"
        text = json.dumps(run["payload"], separators=(",", ":"), ensure_ascii=False)
        run["payload_sha256"] = hashlib.sha256(text.encode()).hexdigest()
        print(json.dumps({"run": run}, separators=(",", ":"), ensure_ascii=False), file=f)
    f.close()
