#!/usr/bin/env python3
"""Drives ismsd from a client this project did not write (Debian's
python3-websockets) exactly as docs/protocol.md describes the wire: sign in
over HTTP, open the WebSocket with a bearer token, then ping, command, query,
subscribe, and check the error replies of bad requests.

usage: protocol_client.py /path/to/ismsd
Starts its own server on 127.0.0.1 port 0 with a fresh data directory and
exits non-zero on the first deviation from the document."""

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import websockets

ADMIN_PASSWORD = "protocol-test-admin-password"


def http(port, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.read().decode(), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def check(condition, what):
    if not condition:
        raise AssertionError(what)


async def exchange(ws, request):
    await ws.send(json.dumps(request))
    while True:
        reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if reply.get("id") == request.get("id"):
            return reply


async def run(port, token):
    headers = {"Authorization": f"Bearer {token}"}
    # The keyword for extra handshake headers was renamed in websockets 14.
    if int(websockets.__version__.split(".")[0]) >= 14:
        connect = websockets.connect(f"ws://127.0.0.1:{port}/api/ws", additional_headers=headers)
    else:
        connect = websockets.connect(f"ws://127.0.0.1:{port}/api/ws", extra_headers=headers)
    async with connect as ws:
        pong = await exchange(ws, {"id": "p1", "op": "ping"})
        check(pong["ok"] is True and pong["result"]["pong"] is True, f"ping: {pong}")

        reg = await exchange(ws, {"id": 2, "op": "command", "type": "user.register", "stream": "user-olivia",
                                  "data": {"name": "Olivia Owner", "roles": ["risk_owner"]}})
        check(reg["ok"] is True and reg["id"] == 2, f"register: {reg}")
        check(reg["result"]["version"] == 1 and reg["result"]["position"] >= 1, f"register result: {reg}")

        sub = await exchange(ws, {"id": "s1", "op": "subscribe", "channel": "view:users"})
        check(sub["ok"] is True, f"subscribe: {sub}")

        grant = await exchange(ws, {"id": "g1", "op": "command", "type": "user.grant_role", "stream": "user-olivia",
                                    "expected_version": 1, "data": {"role": "contributor", "comment": "helps with actions"}})
        check(grant["ok"] is True and grant["result"]["version"] == 2, f"grant: {grant}")

        stale = await exchange(ws, {"id": "g2", "op": "command", "type": "user.grant_role", "stream": "user-olivia",
                                    "expected_version": 1, "data": {"role": "internal_auditor"}})
        check(stale["ok"] is False and stale["error"]["code"] == "conflict", f"stale: {stale}")

        users = await exchange(ws, {"id": "q1", "op": "query", "view": "users", "params": {}})
        check(users["ok"] is True, f"query: {users}")
        check("olivia" in json.dumps(users["result"]["data"]), f"users view: {users}")

        past = await exchange(ws, {"id": "q2", "op": "query", "view": "users", "params": {},
                                   "as_of": {"position": reg["result"]["position"]}})
        check(past["ok"] is True and past["result"]["position"] == reg["result"]["position"], f"as_of: {past}")
        check("contributor" not in json.dumps(past["result"]["data"]), f"as_of shows the future: {past}")

        unknown = await exchange(ws, {"id": "u1", "op": "launch"})
        check(unknown["ok"] is False and unknown["error"]["code"] == "bad_request", f"unknown op: {unknown}")

        await ws.send("{not json")
        while True:
            bad = json.loads(await asyncio.wait_for(ws.recv(), 30))
            if "ok" in bad:
                break
        check(bad["ok"] is False and bad["error"]["code"] == "bad_request" and bad["id"] is None, f"bad json: {bad}")

        again = await exchange(ws, {"id": "p2", "op": "ping"})
        check(again["ok"] is True, "connection unusable after bad input")


def main():
    ismsd = sys.argv[1]
    # The data folder inside a temporary one: the signing key ismsd creates
    # beside it goes when the temporary folder does.
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "data")
        env = dict(os.environ, ISMS_ADMIN_PASSWORD=ADMIN_PASSWORD)
        proc = subprocess.Popen([ismsd, "serve", "--data", data, "--port", "0", "--address", "127.0.0.1"],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        try:
            port = None
            for line in proc.stdout:
                m = re.search(r"running at http://127\.0\.0\.1:(\d+)/", line)
                if m:
                    port = int(m.group(1))
                    break
            check(port is not None, "server did not report its port")
            status, body, headers = http(port, "POST", "/api/session", {"username": "admin", "password": ADMIN_PASSWORD})
            check(status == 200, f"login: {status} {body}")
            session = json.loads(body)
            check("HttpOnly" in headers.get("Set-Cookie", "") and "SameSite=Strict" in headers.get("Set-Cookie", ""),
                  f"cookie flags: {headers.get('Set-Cookie')}")
            check(session["user"]["id"] == "admin" and "admin" in session["user"]["roles"], f"user: {session}")
            status, _, _ = http(port, "POST", "/api/session", {"username": "admin", "password": "wrong"})
            check(status == 401, f"wrong password: {status}")
            asyncio.run(run(port, session["token"]))
            status, body, _ = http(port, "GET", "/healthz")
            check(status == 200 and json.loads(body)["status"] == "ok", f"healthz: {body}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("protocol client: 1 passed, 0 failed")


if __name__ == "__main__":
    main()
