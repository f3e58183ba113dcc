#!/usr/bin/env python3
"""A portal's webhook endpoint for FeePay's tests: verifies every delivery with the Standard
Webhooks reference library (PyPI `standardwebhooks`) and records it.

Usage: webhook_receiver.py PORT
Control (JSON bodies):
  POST /_control {"secrets": ["whsec_…"], "mode": "ok|fail|gone|slow|redirect", "status": 503,
                  "retry_after": "600", "delay": 3, "location": "http://…"}
  GET  /_received  -> [{"id": …, "type": …, "valid": true}, …]
Listens on 127.0.0.1 only.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

state = {"secrets": [], "mode": "ok", "status": 503, "retry_after": None, "delay": 0, "location": None,
         "received": []}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_received":
            with lock:
                body = json.dumps(state["received"]).encode()
            self.reply(200, body, {"Content-Type": "application/json"})
        else:
            self.reply(404)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.path == "/_control":
            with lock:
                state.update(json.loads(body))
            self.reply(204)
            return
        with lock:
            secrets, mode = list(state["secrets"]), state["mode"]
            status, retry_after, delay = state["status"], state["retry_after"], state["delay"]
            location = state["location"]
        headers = {k.lower(): v for k, v in self.headers.items()}
        valid, payload = False, None
        for secret in secrets:
            try:
                payload = Webhook(secret).verify(body.decode(), headers)
                valid = True
                break
            except WebhookVerificationError:
                continue
        if mode == "slow":
            time.sleep(delay)
        with lock:
            state["received"].append({
                "id": headers.get("webhook-id"), "valid": valid, "mode": mode,
                "type": payload.get("type") if isinstance(payload, dict) else None,
                "signatures": headers.get("webhook-signature", "").count(",")})
        if not valid:
            self.reply(400, b"invalid signature")
        elif mode == "redirect":
            self.reply(307, b"", {"Location": location})
        elif mode == "gone":
            self.reply(410)
        elif mode == "fail":
            self.reply(status, b"", {"Retry-After": retry_after} if retry_after else {})
        else:
            self.reply(204)


class Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


Server(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
