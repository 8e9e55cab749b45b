#!/usr/bin/env python3
"""A small HTTP/1.1 file server for sheaf's tests, on 127.0.0.1.

    http_server.py ROOT LOG [--rate BYTES_PER_SECOND] [--total-rate BYTES_PER_SECOND]

Serves ROOT with GET and HEAD, Range requests (bytes=N- and bytes=N-M),
Last-Modified and If-Modified-Since. Prints the port it listens on, then
appends one line per request to LOG: "METHOD STATUS PATH RANGE", and one JSON
object per request to LOG.jsonl: method, status, path, range, start and end
(seconds since the epoch, as floats), bytes (of the body sent) and agent (the
User-Agent). A body the client stopped reading has status "aborted".

--rate sends each body at that many bytes per second at the most (in pieces
of a twentieth of a second), so that transfers of concurrent clients overlap
in time. --total-rate caps all bodies together instead, as a client's link
to a mirror does: concurrent transfers share it, each piece waiting for its
turn on one timeline.

Faults, chosen by the first path component, for tests of what a broken
mirror does:
    /html/...       a 200 text/html page instead of the file
    /drop-once/...  the first GET of each path sends half the body, then
                    closes the connection; later GETs are served normally
    /status-503/... 503 Service Unavailable
    /auth/...       401 unless the request carries Basic credentials
                    sheaf:secret

A request line with an absolute URI (as clients send to a proxy) is served
from ROOT too, so the server doubles as a proxy for any host; its log line
then shows the absolute URI.
"""
import base64
import email.utils
import http.server
import json
import os
import sys
import threading
import time

ROOT = os.path.abspath(sys.argv[1])
LOG = sys.argv[2]
options = dict(zip(sys.argv[3::2], sys.argv[4::2]))
RATE = int(options.get("--rate", 0))
TOTAL_RATE = int(options.get("--total-rate", 0))
dropped = set()
lock = threading.Lock()
link_free_at = 0.0  # when the shared link is free again (time.monotonic), for --total-rate


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, status, rng="", sent=0):
        entry = {"method": self.command, "status": str(status), "path": self.path, "range": rng,
                 "start": self.started, "end": time.time(), "bytes": sent,
                 "agent": self.headers.get("User-Agent", "")}
        with lock:
            with open(LOG, "a") as log:
                log.write(f"{self.command} {status} {self.path} {rng}\n")
            with open(LOG + ".jsonl", "a") as log:
                log.write(json.dumps(entry) + "\n")

    def send_body(self, body):
        """Writes body, at RATE when set; returns the bytes sent, or raises
        ConnectionError with .sent set when the client went away."""
        global link_free_at
        if not RATE and not TOTAL_RATE:
            self.wfile.write(body)
            return len(body)
        piece = max(1, (RATE or TOTAL_RATE) // 20)
        began = time.monotonic()
        sent = 0
        while sent < len(body):
            size = min(piece, len(body) - sent)
            if TOTAL_RATE:
                with lock:
                    slot = max(time.monotonic(), link_free_at)
                    link_free_at = slot + size / TOTAL_RATE
                wait = slot - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            try:
                self.wfile.write(body[sent:sent + size])
                self.wfile.flush()
            except ConnectionError as e:
                e.sent = sent
                raise
            sent += size
            if RATE:
                ahead = began + sent / RATE - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
        return sent

    def plain(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.record(status)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        self.started = time.time()
        path = self.path.split("?", 1)[0]
        if path.startswith("http://"):
            path = "/" + path[len("http://"):].partition("/")[2]
        fault = None
        for name in ("html", "drop-once", "status-503", "auth"):
            if path.startswith(f"/{name}/"):
                fault, path = name, path[len(name) + 1:]
        if fault == "html":
            return self.plain(200, b"<html><body>Mirror maintenance</body></html>", "text/html; charset=utf-8")
        if fault == "status-503":
            return self.plain(503, b"unavailable")
        if fault == "auth":
            expected = "Basic " + base64.b64encode(b"sheaf:secret").decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="test"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self.record(401)
        full = os.path.normpath(os.path.join(ROOT, path.lstrip("/")))
        if not full.startswith(ROOT) or not os.path.isfile(full):
            return self.plain(404, b"not found")
        with open(full, "rb") as f:
            data = f.read()
        mtime = int(os.path.getmtime(full))
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                if mtime <= email.utils.parsedate_to_datetime(since).timestamp():
                    self.send_response(304)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return self.record(304)
            except (TypeError, ValueError):
                pass
        start, end, status = 0, len(data), 200
        rng = self.headers.get("Range", "")
        if rng.startswith("bytes="):
            first, _, last = rng[6:].partition("-")
            start = int(first)
            end = int(last) + 1 if last else len(data)
            if start >= len(data):
                return self.plain(416, b"range not satisfiable")
            status = 206
        body = data[start:end]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", email.utils.formatdate(mtime, usegmt=True))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(data)}")
        self.end_headers()
        if self.command == "HEAD":
            return self.record(status, rng)
        if fault == "drop-once" and status == 200:
            with lock:
                first_time = path not in dropped
                dropped.add(path)
            if first_time:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.record("dropped", rng)
                self.close_connection = True
                return
        try:
            sent = self.send_body(body)
        except ConnectionError as e:
            self.close_connection = True
            return self.record("aborted", rng, getattr(e, "sent", 0))
        self.record(status, rng, sent)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
