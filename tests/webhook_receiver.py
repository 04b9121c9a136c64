"""A webhook target for tests: records every POST and answers with a status the test sets.

It also serves an OAuth2 token endpoint at ``/token`` (``{"access_token": TOKEN}``), so the
emulator's OAuth2 path can be exercised."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "receiver-access-token"


class Receiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.token_status = 200
        self.posts: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace")
                receiver.posts.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if self.path == "/token":
                    status, payload = receiver.token_status, json.dumps({"access_token": TOKEN}).encode()
                else:
                    status, payload = receiver.status, b"OK" if receiver.status == 200 else b"nope"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def batches(self) -> list[dict[str, Any]]:
        return [p for p in self.posts if p["path"] != "/token"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "Receiver":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
