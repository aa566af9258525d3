#!/usr/bin/env python3
"""Plays requests one after another over one keep-alive connection (for instr-count.sh).

  drive.py conversations PORT N BOT REPLIES   # N whole conversations (startChat + replies)
  drive.py baseline PORT N                    # N baseline requests
Prints the number of requests sent; exits non-zero on any non-200 answer.
"""
import http.client
import json
import sys

mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Content-Type": "application/json"}


def post(path, body):
    con.request("POST", path, body=body, headers=headers)
    r = con.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit(f"{path}: {r.status} {data[:200]!r}")
    return data


sent = 0
if mode == "baseline":
    for i in range(n):
        post(f"/baseline/k{i % 10000}", "{}")
        sent += 1
else:
    bot, replies = sys.argv[4], sys.argv[5].split("|")
    for _ in range(n):
        sid = json.loads(post(f"/api/v1/typebots/{bot}/startChat", "{}"))["sessionId"]
        sent += 1
        for m in replies:
            post(f"/api/v1/sessions/{sid}/continueChat", json.dumps({"message": m}))
            sent += 1
print(sent)
