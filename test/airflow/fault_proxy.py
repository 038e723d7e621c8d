"""A fault-injecting HTTP proxy on loopback in front of a real service (here MLflow).

The failure-path runs point MLFLOW_TRACKING_URI at it. It forwards every request unchanged to
the real server until a fault's rule matches a request (method and path, optionally only after
another request was seen), then:

- `outage`: the server looks stopped — this request (after it reached the server, when
  `after_forward`) and every request for `seconds` (None: until `restore()`) get their
  connection closed without an answer;
- `kill_client`: the request reaches the server, which acts on it, and the process that sent it
  is SIGKILLed before it sees the answer (found by its socket, so only that process);
- `replace_body`: the answer's body is replaced, once, by the given bytes.

Nothing here imitates MLflow: every answer that is given comes from the real server.
"""

from __future__ import annotations

import dataclasses
import http.client
import os
import re
import signal
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "content-length", "host"}


@dataclasses.dataclass
class Fault:
    method: str
    path: str  # a regular expression searched in the request's path and query
    action: str  # outage | kill_client | replace_body
    armed_by: tuple[str, str] | None = None  # (method, path regex) that must have been seen first
    seconds: float | None = None  # outage length; None: until restore()
    after_forward: bool = True  # outage: the matched request reaches the server first
    body: bytes = b""
    fired_at: float | None = None
    killed_pid: int | None = None
    armed: bool = False

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.search(self.path, path) is not None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname or "127.0.0.1", parsed.port or 80
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str]] = []
        self._down_until: float | None = None  # monotonic time; inf: until restore()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    # ------------------------------------------------------------------ control

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def restore(self) -> None:
        """Ends any outage and drops every fault: the proxy forwards everything again."""
        with self._lock:
            self._down_until = None
            self.faults.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # ------------------------------------------------------------------ serving

    def _is_down(self) -> bool:
        return self._down_until is not None and time.monotonic() < self._down_until

    def _fault_for(self, method: str, path: str) -> Fault | None:
        with self._lock:
            self.requests.append((method, path))
            for fault in self.faults:
                if fault.armed_by and not fault.armed and method == fault.armed_by[0] and re.search(fault.armed_by[1], path):
                    fault.armed = True
                    continue
                if fault.fired_at is None and (fault.armed or not fault.armed_by) and fault.matches(method, path):
                    fault.fired_at = time.time()
                    return fault
        return None

    def _go_down(self, seconds: float | None) -> None:
        with self._lock:
            self._down_until = float("inf") if seconds is None else time.monotonic() + seconds

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = self._read_body(handler)
        if self._is_down():
            handler.close_connection = True  # as a stopped server: no answer at all
            return
        fault = self._fault_for(handler.command, handler.path)
        if fault and fault.action == "outage" and not fault.after_forward:
            self._go_down(fault.seconds)
            handler.close_connection = True
            return
        status, reason, headers, answer = self._forward(handler, body)
        if fault and fault.action == "outage":
            self._go_down(fault.seconds)
            handler.close_connection = True
            return
        if fault and fault.action == "kill_client":
            fault.killed_pid = self._kill_sender(handler.client_address)
            handler.close_connection = True
            return
        if fault and fault.action == "replace_body":
            answer = fault.body
        handler.send_response(status, reason)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(answer)

    @staticmethod
    def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
        if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    handler.rfile.readline()
                    return b"".join(chunks)
                chunks.append(handler.rfile.read(size))
                handler.rfile.readline()
        length = int(handler.headers.get("Content-Length") or 0)
        return handler.rfile.read(length) if length else b""

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, str, list[tuple[str, str]], bytes]:
        headers = {name: value for name, value in handler.headers.items() if name.lower() not in HOP_BY_HOP}
        headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=600)
        try:
            connection.request(handler.command, handler.path, body=body if body or handler.command in ("POST", "PUT", "PATCH") else None, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def _kill_sender(self, client_address: tuple[str, int]) -> int | None:
        """SIGKILLs the process whose TCP socket is the other end of this connection."""
        server_port = self.server.server_address[1]
        for connection in psutil.net_connections(kind="tcp"):
            if connection.pid and connection.laddr and connection.raddr and tuple(connection.laddr)[:2] == client_address and connection.raddr.port == server_port:
                os.kill(connection.pid, signal.SIGKILL)
                return connection.pid
        return None

