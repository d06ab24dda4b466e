#!/usr/bin/env python3
"""A registry that serves signatures itself, for the e2e suite.

usage: sigapi.py PORT UPSTREAM SIGDIR

Listens on 127.0.0.1:PORT and forwards every /v2/ request to UPSTREAM
(host:port of the plain registry), adding `X-Registry-Supports-Signatures: 1`
to its answers, so a client uses the signature API extension instead of a
look-aside. GET /extensions/v2/<repository>/signatures/<digest> is answered
from SIGDIR/<repository>@<algo>=<hex>/signature-N (the look-aside layout),
as {"signatures": [{"schemaVersion": 2, "type": "atomic", ...}]} in
signature-N order; no such directory is an empty list, and a directory
holding a file named `404` answers 404 (a registry that lost the API).
Only GET and HEAD: the suite pushes to the upstream directly.
"""

import base64
import http.client
import http.server
import json
import os
import re
import sys

PORT, UPSTREAM, SIGDIR = int(sys.argv[1]), sys.argv[2], sys.argv[3]
EXT = re.compile(r"^/extensions/v2/(.+)/signatures/([a-z0-9]+):([0-9a-f]+)$")
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Registry-Supports-Signatures", "1")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def signatures(self, repo, algo, hexd):
        d = os.path.join(SIGDIR, "%s@%s=%s" % (repo, algo, hexd))
        if os.path.exists(os.path.join(d, "404")):
            return self.reply(404, b'{"errors":[{"code":"NOT_FOUND"}]}')
        sigs, n = [], 1
        while os.path.exists(os.path.join(d, "signature-%d" % n)):
            with open(os.path.join(d, "signature-%d" % n), "rb") as f:
                content = f.read()
            sigs.append({
                "schemaVersion": 2,
                "type": "atomic",
                "name": "%s:%s@sig%d" % (algo, hexd, n),
                "content": base64.b64encode(content).decode(),
            })
            n += 1
        self.reply(200, json.dumps({"signatures": sigs}).encode())

    def forward(self):
        conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
        # Header by header: a client sends several Accept lines.
        conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            if k.lower() not in HOP:
                conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        extra = [(k, v) for k, v in resp.getheaders()
                 if k.lower() not in HOP and k.lower() != "content-type"]
        if self.command == "HEAD":
            # Keep the upstream's length: a HEAD has no body to count.
            length = resp.getheader("Content-Length")
            extra = [(k, v) for k, v in extra if k.lower() != "content-length"]
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.getheader("Content-Type", "application/octet-stream"))
            if length is not None:
                self.send_header("Content-Length", length)
            self.send_header("X-Registry-Supports-Signatures", "1")
            for k, v in extra:
                self.send_header(k, v)
            self.end_headers()
        else:
            self.reply(resp.status, body, resp.getheader("Content-Type", "application/octet-stream"), extra)
        conn.close()

    def do_GET(self):
        m = EXT.match(self.path)
        if m:
            return self.signatures(*m.groups())
        self.forward()

    do_HEAD = do_GET


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
