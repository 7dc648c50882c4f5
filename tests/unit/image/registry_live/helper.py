#!/usr/bin/python3
"""HTTP servers for test_registry_live, all on 127.0.0.1 with free ports:

token    the token endpoint of the token-auth registry (distribution's "token" auth):
         GET with Basic user:pass, or POST grant_type=refresh_token with the refresh
         token "refresh-ok", earns the requested repository actions; anonymous
         requests get a token without any access; wrong credentials get 401. The
         JWT is RS256, signed with DIR/token.key, and carries its certificate
         (DIR/token.crt, the registry's rootcertbundle) in the x5c header.
         GET /count returns how many tokens were issued.
fake     a registry that misbehaves on purpose, per repository:
         flaky/img     manifest: 503 twice, then 200; blob: 503, 429 (Retry-After: 1), 200
         down/img      503 forever
         baddigest/img a manifest whose Docker-Content-Digest is wrong; any digest
                       reference answers with the same (non-matching) manifest
         huge/img      a 5 MiB manifest
         stall/img     blob: headers, then nothing
         redir/img     blob: needs "Authorization: Bearer secret-token", then 307 to backend
backend  the redirect target: serves the blob, but answers 400 when the request
         carries an Authorization header (credentials must not follow redirects).

Usage: helper.py DIR. Writes DIR/ports ("name port" lines) once every server listens.
Stops on SIGTERM."""
import base64
import hashlib
import json
import os
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization

DIR = sys.argv[1]
IMAGE = os.path.join(DIR, "image")
with open(os.path.join(IMAGE, "manifest.json"), "rb") as f:
    MANIFEST = f.read()
MANIFEST_DIGEST = "sha256:" + hashlib.sha256(MANIFEST).hexdigest()
with open(os.path.join(DIR, "layer.digest")) as f:
    LAYER_DIGEST = f.read().strip()
with open(os.path.join(IMAGE, LAYER_DIGEST.split(":")[1]), "rb") as f:
    LAYER = f.read()
with open(os.path.join(DIR, "token.key"), "rb") as f:
    TOKEN_KEY = f.read()
with open(os.path.join(DIR, "token.crt"), "rb") as f:
    TOKEN_CERT = x509.load_pem_x509_certificate(f.read())
X5C = base64.b64encode(TOKEN_CERT.public_bytes(serialization.Encoding.DER)).decode()
MT_V2S2 = "application/vnd.docker.distribution.manifest.v2+json"

lock = threading.Lock()
hits = {}
tokens_issued = 0
ports = {}


def hit(key):
    with lock:
        hits[key] = hits.get(key, 0) + 1
        return hits[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.server.name, fmt % args))

    def reply(self, status, body=b"", ctype="application/json", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, headers=None):
        body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]})
        self.reply(status, body, headers=headers)


class TokenHandler(Handler):
    def issue(self, subject, scopes, key):
        global tokens_issued
        access = []
        if subject:
            for scope in scopes:
                parts = scope.split(":")
                if len(parts) == 3 and parts[0] == "repository":
                    access.append({"type": "repository", "name": parts[1], "actions": parts[2].split(",")})
        now = int(time.time())
        claims = {"iss": "test-issuer", "sub": subject, "aud": "test", "exp": now + 300, "nbf": now - 10,
                  "iat": now, "jti": str(uuid.uuid4()), "access": access}
        token = jwt.encode(claims, TOKEN_KEY, algorithm="RS256", headers={"x5c": [X5C]})
        with lock:
            tokens_issued += 1
        self.reply(200, json.dumps({key: token, "expires_in": 300}))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/count":
            with lock:
                n = tokens_issued
            return self.reply(200, json.dumps({"count": n}))
        if url.path != "/token":
            return self.reply(404, "{}")
        query = urllib.parse.parse_qs(url.query)
        if query.get("service") != ["test"]:
            return self.reply(400, json.dumps({"details": "wrong service"}))
        subject = ""
        auth = self.headers.get("Authorization")
        if auth:
            if auth != "Basic " + base64.b64encode(b"user:pass").decode():
                return self.reply(401, json.dumps({"details": "incorrect username or password"}))
            subject = "user"
        self.issue(subject, query.get("scope", []), "token")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        if self.path != "/token" or form.get("service") != ["test"]:
            return self.reply(404, "{}")
        if form.get("grant_type") != ["refresh_token"] or form.get("client_id") != ["cric"]:
            return self.reply(400, json.dumps({"error": "unsupported_grant_type"}))
        if form.get("refresh_token") != ["refresh-ok"]:
            return self.reply(401, json.dumps({"error": "invalid_grant"}))
        self.issue("user", form.get("scope", []), "access_token")


class FakeRegistryHandler(Handler):
    def manifest(self, headers=None):
        h = {"Docker-Content-Digest": MANIFEST_DIGEST}
        h.update(headers or {})
        self.reply(200, MANIFEST, MT_V2S2, h)

    def blob(self):
        self.reply(200, LAYER, "application/octet-stream", {"Docker-Content-Digest": LAYER_DIGEST})

    def do_GET(self):
        parts = self.path.split("/")  # "", "v2", repo, "img", kind, reference
        if len(parts) != 6 or parts[1] != "v2" or parts[3] != "img":
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        repo, kind, ref = parts[2], parts[4], parts[5]
        n = hit(self.path)
        if repo == "flaky" and kind == "manifests":
            if n <= 2:
                return self.error(503, "UNAVAILABLE", "try again")
            return self.manifest()
        if repo == "flaky" and kind == "blobs":
            if n == 1:
                return self.error(503, "UNAVAILABLE", "try again")
            if n == 2:
                return self.error(429, "TOOMANYREQUESTS", "slow down", {"Retry-After": "1"})
            return self.blob()
        if repo == "down":
            return self.error(503, "UNAVAILABLE", "down for maintenance")
        if repo == "baddigest" and kind == "manifests":
            return self.manifest({"Docker-Content-Digest": "sha256:" + "0" * 64})
        if repo == "huge" and kind == "manifests":
            return self.reply(200, b" " * (5 << 20), MT_V2S2)
        if repo == "stall" and kind == "blobs":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(LAYER)))
            self.end_headers()
            self.wfile.flush()
            time.sleep(20)
            return
        if repo == "redir" and kind == "blobs":
            if self.headers.get("Authorization") != "Bearer secret-token":
                return self.error(401, "UNAUTHORIZED", "authentication required")
            location = "http://127.0.0.1:%d/blob/%s" % (ports["backend"], ref)
            return self.reply(307, "", "text/plain", {"Location": location})
        return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")


class BackendHandler(Handler):
    def do_GET(self):
        if self.headers.get("Authorization") is not None:
            return self.reply(400, json.dumps({"errors": [{"code": "LEAK", "message": "authorization leaked"}]}))
        if self.path != "/blob/" + LAYER_DIGEST:
            return self.reply(404, "{}")
        self.reply(200, LAYER, "application/octet-stream")


def serve(name, handler):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.name = name
    ports[name] = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main():
    serve("token", TokenHandler)
    serve("fake", FakeRegistryHandler)
    serve("backend", BackendHandler)
    tmp = os.path.join(DIR, "ports.tmp")
    with open(tmp, "w") as f:
        for name, port in ports.items():
            f.write("%s %d\n" % (name, port))
    os.rename(tmp, os.path.join(DIR, "ports"))
    threading.Event().wait()


main()
