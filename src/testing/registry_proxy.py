#!/usr/bin/env python3
"""A reverse proxy in front of a plain-http docker-registry, for sheaf's tests.

    registry_proxy.py --port P --second-port Q --upstream HOST:PORT --log FILE
                      [--referrers] [--token] [--fault MODE]

Every request to port P is passed to the upstream registry (the Host header
kept, so the registry's Location URLs name the proxy) and its response
returned. One JSON object per request is appended to FILE: method, path,
status, auth (whether an Authorization header came) and port.

--referrers   what distribution 2.8 lacks: the OCI 1.1 referrers API. A
              manifest PUT whose body has a "subject" is recorded and
              answered with OCI-Subject; GET /v2/NAME/referrers/DIGEST
              (?artifactType=T) lists the recorded ones as an image index.
--token       the bearer-token flow: /v2/ requests need "Authorization:
              Bearer TOKEN" with a token from GET /token?service=..&scope=..
              (which needs Basic sheaf:secret) whose scopes cover the
              repository and action; otherwise 401 with a Bearer challenge.

Faults (--fault):
  redirect-blobs   a blob GET is answered 307 to port Q, which serves the
                   blob (and logs whether credentials came along)
  drop-blob-once   the first GET of each blob sends half the body, then
                   closes the connection
  drop-patch-once  the first PATCH reads half its body, then closes the
                   connection without answering
  hang             every request is read and never answered
  huge-manifest    a manifest GET answers 5 MiB of JSON
  corrupt-blob     a blob GET answers the blob with one byte changed
  move-tag         after the first GET of a manifest by tag, the tag is
                   moved upstream to the manifest of the tag "moved"
"""
import argparse
import base64
import hashlib
import http.client
import http.server
import json
import re
import secrets
import socketserver
import threading
import time
import urllib.parse

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--second-port", type=int, required=True)
parser.add_argument("--upstream", required=True)
parser.add_argument("--log", required=True)
parser.add_argument("--referrers", action="store_true")
parser.add_argument("--token", action="store_true")
parser.add_argument("--fault", default="")
args = parser.parse_args()

lock = threading.Lock()
referrers = {}  # (name, subject digest) -> [descriptor]
tokens = {}  # token -> set of (repository, action)
seen_blobs = set()
patched = [False]
moved = [False]
HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization",
       "proxy-authenticate"}


def log(handler, status, port):
    entry = {"method": handler.command, "path": handler.path, "status": status,
             "auth": "Authorization" in handler.headers, "port": port}
    with lock:
        with open(args.log, "a") as f:
            f.write(json.dumps(entry) + "\n")


def upstream(method, path, headers, body=None):
    conn = http.client.HTTPConnection(args.upstream, timeout=60)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, resp.getheaders(), data


def needed_scope(method, path):
    m = re.match(r"^/v2/(.+?)/(blobs|manifests|referrers|tags)/", path)
    if not m:
        return None
    return m.group(1), "pull" if method in ("GET", "HEAD") else "push"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, headers, body, port=None):
        self.send_response(status)
        sent_length = False
        for k, v in headers:
            if k.lower() in HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)) if self.command != "HEAD" else
                         dict((k.lower(), v) for k, v in headers).get("content-length", str(len(body))))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        log(self, status, port or self.server.server_address[1])

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def forward_headers(self):
        return {k: v for k, v in self.headers.items() if k.lower() not in HOP and k.lower() != "authorization"}

    def handle_any(self):
        port = self.server.server_address[1]
        if port == args.second_port:
            return self.serve_redirected()
        if args.fault == "hang":
            self.body()
            time.sleep(3600)
            return
        if self.path.startswith("/token"):
            return self.serve_token()
        if args.token and self.path.startswith("/v2/"):
            scope = needed_scope(self.command, self.path)
            auth = self.headers.get("Authorization", "")
            granted = tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
            if granted is None or (scope and scope not in granted and (scope[0], "pull,push") not in granted):
                self.body()
                challenge = f'Bearer realm="http://127.0.0.1:{args.port}/token",service="sheaf-test"'
                if scope:
                    challenge += f',scope="repository:{scope[0]}:{scope[1]}"'
                return self.reply(401, [("WWW-Authenticate", challenge), ("Content-Type", "application/json")],
                                  b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
        m = re.match(r"^/v2/(.+?)/referrers/(sha256:[0-9a-f]{64})", self.path)
        if m and args.referrers:
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            wanted = q.get("artifactType", [None])[0]
            with lock:
                found = [d for d in referrers.get((m.group(1), m.group(2)), [])
                         if wanted is None or d.get("artifactType") == wanted]
            index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}
            return self.reply(200, [("Content-Type", "application/vnd.oci.image.index.v1+json")],
                              json.dumps(index).encode())
        blob = re.match(r"^/v2/(.+?)/blobs/(sha256:[0-9a-f]{64})$", self.path)
        if blob and self.command == "GET" and args.fault == "redirect-blobs":
            return self.reply(307, [("Location", f"http://127.0.0.1:{args.second_port}/data/{blob.group(1)}/"
                                                 f"{blob.group(2)}")], b"")
        manifest = re.match(r"^/v2/(.+?)/manifests/([^/]+)$", self.path)
        if manifest and self.command == "GET" and args.fault == "huge-manifest":
            return self.reply(200, [("Content-Type", "application/vnd.oci.image.manifest.v1+json")],
                              b'{"pad":"' + b"x" * (5 << 20) + b'"}')
        if self.command == "PATCH" and args.fault == "drop-patch-once" and not patched[0]:
            patched[0] = True
            n = int(self.headers.get("Content-Length", "0") or 0)
            self.rfile.read(n // 2)
            log(self, "dropped", port)
            self.close_connection = True
            self.connection.shutdown(2)
            return
        body = self.body()
        status, headers, data = upstream(self.command, self.path, self.forward_headers(), body or None)
        if manifest and self.command == "GET" and args.fault == "move-tag" and not manifest.group(2).startswith(
                "sha256:") and not moved[0]:
            moved[0] = True
            s, h, other = upstream("GET", f"/v2/{manifest.group(1)}/manifests/moved",
                                   {"Accept": self.headers.get("Accept", "")})
            ctype = dict((k.lower(), v) for k, v in h).get("content-type")
            upstream("PUT", self.path, {"Content-Type": ctype, "Host": self.headers.get("Host")}, other)
        if blob and self.command == "GET" and status == 200:
            if args.fault == "corrupt-blob" and data:
                data = bytes([data[0] ^ 1]) + data[1:]
            if args.fault == "drop-blob-once" and self.path not in seen_blobs and len(data) > 1:
                seen_blobs.add(self.path)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                self.wfile.write(data[:len(data) // 2])
                self.wfile.flush()
                log(self, "dropped", port)
                self.close_connection = True
                self.connection.shutdown(2)
                return
        if manifest and self.command == "PUT" and status == 201 and args.referrers:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {}
            if isinstance(doc, dict) and isinstance(doc.get("subject"), dict):
                descriptor = {"mediaType": doc.get("mediaType", "application/vnd.oci.image.manifest.v1+json"),
                              "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body),
                              "artifactType": doc.get("artifactType") or doc.get("config", {}).get("mediaType")}
                if doc.get("annotations"):
                    descriptor["annotations"] = doc["annotations"]
                with lock:
                    entries = referrers.setdefault((manifest.group(1), doc["subject"]["digest"]), [])
                    if descriptor["digest"] not in [d["digest"] for d in entries]:
                        entries.append(descriptor)
                headers = headers + [("OCI-Subject", doc["subject"]["digest"])]
        self.reply(status, headers, data)

    def serve_token(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Basic " + base64.b64encode(b"sheaf:secret").decode():
            return self.reply(401, [("Content-Type", "application/json")], b'{"details":"bad credentials"}')
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        granted = set()
        for scope in q.get("scope", []):
            parts = scope.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                for action in parts[2].split(","):
                    granted.add((parts[1], action))
        token = secrets.token_hex(16)
        with lock:
            tokens[token] = granted
        self.reply(200, [("Content-Type", "application/json")], json.dumps({"token": token}).encode())

    def serve_redirected(self):
        m = re.match(r"^/data/(.+)/(sha256:[0-9a-f]{64})$", self.path)
        if not m:
            return self.reply(404, [], b"")
        status, headers, data = upstream("GET", f"/v2/{m.group(1)}/blobs/{m.group(2)}", {"Host": args.upstream})
        self.reply(status, [("Content-Type", "application/octet-stream")], data, args.second_port)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


servers = [Server(("127.0.0.1", args.port), Handler), Server(("127.0.0.1", args.second_port), Handler)]
threading.Thread(target=servers[1].serve_forever, daemon=True).start()
servers[0].serve_forever()
