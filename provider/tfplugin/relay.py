"""A launch whose gRPC is served by the Go launcher, relayed to this process over a socket.

On a warm launch (a child of the zygote) the Go launcher itself prints the handshake line,
holds AutoMTLS, HTTP/2 and go-plugin's own services (Shutdown, the stdio and broker streams,
the health check), and passes every other call to this process over a private socketpair,
as the gRPC request body it received. Python then does no TLS, runs no gRPC server and starts
no gRPC threads: per call it only parses, runs the servicer method, and serializes. The frames
are in docs/fast-launch.md ("The relay").

A call: ``>IIH`` (body length, call id, method length), the method path (``/tfplugin6.Provider/
ReadResource``), then the body: gRPC length-prefixed messages, exactly as on the wire.
An answer: ``>IIBH`` (body length, call id, gRPC status code, message length), the status
message (UTF-8, at most 64 KiB), then the body (length-prefixed messages, empty on an error).
Calls are answered in any order, as they finish. The launcher closing its end is the end
of the launch: nothing can answer Terraform after that.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Iterator

CALL = struct.Struct(">IIH")
ANSWER = struct.Struct(">IIBH")
MAX_BODY = 256 << 20  # as the gRPC server's receive limit (handshake.py)
MAX_METHOD = 512
WORKERS = 32  # as the gRPC server's pool: Terraform runs 10 calls at once by default

OK, UNKNOWN, INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL = 0, 2, 3, 8, 12, 13

log = logging.getLogger("provider.tfplugin")


class Method:
    """One RPC of a service: how to read its request(s), call the servicer, write its answer(s)."""

    def __init__(self, call: Callable[..., Any], request_cls: Any, client_streaming: bool, server_streaming: bool) -> None:
        self.call = call
        self.request_cls = request_cls
        self.client_streaming = client_streaming
        self.server_streaming = server_streaming


def methods_of(servicer: Any, service: Any) -> dict[str, Method]:
    """``/package.Service/Name`` -> Method, for every method of the service descriptor."""
    from google.protobuf.message_factory import GetMessageClass

    table: dict[str, Method] = {}
    for m in service.methods:
        call = getattr(servicer, m.name, None)
        if call is not None:
            table[f"/{service.full_name}/{m.name}"] = Method(
                call, GetMessageClass(m.input_type), m.client_streaming, m.server_streaming
            )
    return table


def unframe(body: bytes) -> Iterator[bytes]:
    """The messages of a gRPC body; ValueError on a compressed or cut message."""
    i = 0
    while i < len(body):
        if len(body) - i < 5:
            raise ValueError("a message prefix was cut")
        flag, length = body[i], int.from_bytes(body[i + 1 : i + 5], "big")
        if flag != 0:
            raise ValueError("compressed messages are not accepted")
        if len(body) - i - 5 < length:
            raise ValueError("a message was cut")
        yield body[i + 5 : i + 5 + length]
        i += 5 + length


def frame(message: bytes) -> bytes:
    return b"\x00" + len(message).to_bytes(4, "big") + message


class _Context:
    """What the servicer may ask of gRPC's context; nothing here cancels a call but the launch."""

    def __init__(self, ended: threading.Event) -> None:
        self._ended = ended

    def is_active(self) -> bool:
        return not self._ended.is_set()

    def peer(self) -> str:
        return "relay"

    def abort(self, code: Any, details: str) -> None:
        raise _Abort(getattr(code, "value", (INTERNAL,))[0], details)


class _Abort(Exception):
    def __init__(self, status: int, details: str) -> None:
        super().__init__(details)
        self.status = status


def answer(method: Method | None, body: bytes, context: _Context) -> tuple[int, str, bytes]:
    """(status, message, framed body) for one call; never raises."""
    if method is None:
        return UNIMPLEMENTED, "Method not found!", b""
    try:
        messages = [method.request_cls.FromString(m) for m in unframe(body)]
        if not method.client_streaming and len(messages) != 1:
            raise ValueError(f"{len(messages)} messages for a unary request")
    except Exception as exc:  # DecodeError, ValueError: the launcher sent what Terraform sent
        return INTERNAL, f"cannot read the request: {exc}", b""
    try:
        result = method.call(iter(messages) if method.client_streaming else messages[0], context)
        out = [result] if not method.server_streaming else list(result)
        return OK, "", b"".join(frame(m.SerializeToString()) for m in out)
    except _Abort as exc:
        return exc.status, str(exc), b""
    except Exception as exc:  # as grpcio answers an exception that escaped a handler
        log.error("unexpected %s in a relayed call", type(exc).__name__, exc_info=exc)
        return UNKNOWN, f"Exception calling application: {exc}", b""


def _read_exactly(link: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = link.recv(min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def serve(link: socket.socket, methods: dict[str, Method], ended: threading.Event) -> int:
    """Answer calls until the launcher closes its end (or sends what is not a call); the exit code.
    ``ended`` is set on the way out: work still running sees the launch is over."""
    write = threading.Lock()
    context = _Context(ended)

    def run(call_id: int, method: Method | None, body: bytes) -> None:
        status, message, out = answer(method, body, context)
        if len(out) > MAX_BODY:  # the launcher would refuse it (and the frame's length cannot hold 4 GiB)
            status, message, out = RESOURCE_EXHAUSTED, f"an answer of {len(out)} bytes is larger than the launcher accepts", b""
        text = message.encode("utf-8", "replace")[:65535]
        data = ANSWER.pack(len(out), call_id, status, len(text)) + text + out
        try:
            with write:
                link.sendall(data)
        except OSError:
            ended.set()  # the launcher is gone; the reader sees it too

    pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="rpc")
    code = 0
    try:
        while not ended.is_set():
            try:
                header = _read_exactly(link, CALL.size)
                if header is None:
                    break
                length, call_id, method_len = CALL.unpack(header)
                if length > MAX_BODY or method_len > MAX_METHOD:
                    log.error("relay: a call of %d bytes (method name %d): the launch ends", length, method_len)
                    code = 1
                    break
                raw = _read_exactly(link, method_len + length)
            except OSError:
                break
            if raw is None:
                break
            name = raw[:method_len].decode("utf-8", "replace")
            pool.submit(run, call_id, methods.get(name), raw[method_len:])
    finally:
        ended.set()
        pool.shutdown(wait=False, cancel_futures=True)
    return code
