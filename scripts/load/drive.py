#!/usr/bin/env python3
"""Plays requests one after another over one keep-alive connection (for instr-count.sh).

  drive.py conversations PORT N BOT REPLIES   # N whole conversations (startChat + replies)
  drive.py engine PORT N BOT REPLIES          # the same through the engine API (a trigger of
                                              # the intent BOT, then resumes, each carrying
                                              # the wait token of the envelope before it)
  drive.py turns PORT N BOT REPLIES           # N conversations started first, then only their
  drive.py resumes PORT N BOT REPLIES         # turns (resumes) counted: with INSTR_ZERO="PID
                                              # ...", callgrind_control -z zeroes those
                                              # processes' counters between the two phases
  drive.py baseline PORT N                    # N baseline requests
Prints the number of requests sent (counted); exits non-zero on any non-200 answer.
The engine API token is ENGINE_TOKEN (default load-engine-token), its tenant the default one.
"""
import http.client
import json
import os
import subprocess
import sys

mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Content-Type": "application/json"}


def post(path, body, h=headers):
    con.request("POST", path, body=body, headers=h)
    r = con.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status} {data[:200]!r}")
    return data


TENANT = "00000000-0000-0000-0000-000000000000"
engine_headers = dict(headers, Authorization="Bearer " + os.environ.get("ENGINE_TOKEN", "load-engine-token"))


def start(bot):
    """A new conversation: (how its turns are sent, its first state)."""
    if mode in ("engine", "resumes"):
        body = json.dumps({"tenant_id": TENANT, "intent_name": bot})
        env = json.loads(post("/api/v1/engine/triggers/chat", body, engine_headers))
        return env["execution_id"], env["metadata"]["wait_token"]
    return json.loads(post(f"/api/v1/typebots/{bot}/startChat", "{}"))["sessionId"], None


def turn(conv, message):
    """Sends one reply; returns the conversation's next state."""
    sid, wait = conv
    if mode in ("engine", "resumes"):
        body = json.dumps({"tenant_id": TENANT, "wait_token": wait, "input": {"text": message}})
        env = json.loads(post(f"/api/v1/engine/executions/{sid}/resume", body, engine_headers))
        return sid, env["metadata"].get("wait_token")
    post(f"/api/v1/sessions/{sid}/continueChat", json.dumps({"message": message}))
    return conv


sent = 0
if mode in ("turns", "resumes"):
    bot, replies = sys.argv[4], sys.argv[5].split("|")
    convs = [start(bot) for _ in range(n)]
    for pid in os.environ.get("INSTR_ZERO", "").split():
        subprocess.run(["callgrind_control", "-z", pid], capture_output=True, check=False)
    for m in replies:
        for i, c in enumerate(convs):
            convs[i] = turn(c, m)
            sent += 1
elif mode in ("conversations", "engine"):
    bot, replies = sys.argv[4], sys.argv[5].split("|")
    for _ in range(n):
        c = start(bot)
        sent += 1
        for m in replies:
            c = turn(c, m)
            sent += 1
elif mode == "baseline":
    for i in range(n):
        post(f"/baseline/k{i % 10000}", "{}")
        sent += 1
else:
    sys.exit(f"unknown mode {mode}")
print(sent)
