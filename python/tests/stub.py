"""A tiny scripted HTTP server, only for the failures a real ofq server will not do on
request: hanging, dying in the middle of an answer, closing without answering, a
non-JSON 502 from a proxy, 503/429 with Retry-After.

Each test gives a list of steps, one per request it expects; a step is a function
``step(handler)`` that writes the whole exchange, and ``requests`` records what came in.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Stub:
    def __init__(self, steps):
        self.steps = list(steps)
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                stub.requests.append({"method": self.command, "path": self.path,
                                      "headers": dict(self.headers), "body": body})
                if not stub.steps:
                    reply(500, {"error": "internal", "message": "stub: no step left"})(self)
                    return
                stub.steps.pop(0)(self)

            do_GET = do_POST = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def reply(status, body, headers=None, content_type="application/json"):
    """A whole answer: ``body`` is bytes, str, or JSON-able."""
    if isinstance(body, (dict, list)):
        data = json.dumps(body).encode()
    elif isinstance(body, str):
        data = body.encode()
    else:
        data = body

    def step(h):
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
    return step


def chunked_then_cut(first):
    """A chunked 200 that sends ``first`` and then closes without the final chunk."""
    def step(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/csv")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        h.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)
    return step


def length_then_cut(first, claimed):
    """A 200 that claims ``claimed`` bytes and closes after sending ``first``."""
    def step(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/csv")
        h.send_header("Content-Length", str(claimed))
        h.end_headers()
        h.wfile.write(first)
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)
    return step


def close_without_answer(h):
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def hang(seconds):
    def step(h):
        time.sleep(seconds)
        h.close_connection = True
    return step
