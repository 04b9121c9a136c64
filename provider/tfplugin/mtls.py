"""AutoMTLS that keeps go-plugin's promise: only the holder of PLUGIN_CLIENT_CERT's key is served.

grpcio's TLS (BoringSSL) cannot verify Terraform's P-521 client certificate: the handshake ends
in NO_COMMON_SIGNATURE_ALGORITHMS even with ``require_client_auth=True``. Python's ``ssl``
(OpenSSL) verifies it. So TLS ends here, in front of the gRPC server:

    Terraform --TLS, client certificate required--> plugin.sock (this module, ``ssl``)
              --plain HTTP/2--> the gRPC server on a private socket

The private hop must not become the way around the check: any process of the same user can
find and connect to a socket. The gRPC server therefore listens on a Linux abstract socket with
a random name, and every RPC is served only when its peer address is one this module bound for
its own side of a splice (``PeerGate``). The kernel refuses a second bind of a bound abstract
name, so no other process can present that peer address while the splice lives; a name leaves
the allowed set before its socket is closed. Elsewhere than Linux the private socket and the
bound names are paths in the 0700 socket directory (weaker: a process of the same user could
unlink a bound path and bind its own there).

The splice is two threads per connection. OpenSSL forbids using one SSL object from two
threads at once, so the TLS socket is non-blocking and every call on it holds a lock; the
threads wait in ``select`` outside it.
"""

from __future__ import annotations

import base64
import functools
import os
import select
import socket
import ssl
import sys
import threading
from typing import Any, Callable

HANDSHAKE_TIMEOUT_SECONDS = 10.0  # a connector that never finishes its handshake is dropped
MAX_CONNECTIONS = 16  # Terraform opens one; the rest would only be someone holding threads
_CHUNK = 256 * 1024
ABSTRACT = sys.platform.startswith("linux")


def _context(client_cert_pem: str) -> ssl.SSLContext:
    """The TLS server context for plugin.sock, without its own certificate yet: exactly
    Terraform's certificate as the one root, a client certificate required."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_RENEGOTIATION
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(cadata=client_cert_pem)
    ctx.set_alpn_protocols(["h2"])  # grpc-go refuses a server that does not choose h2
    return ctx


def warm_up() -> None:
    """Make one server context and drop it: OpenSSL reads its configuration and builds its
    tables on the first one in a process. A zygote does it once, before it forks, instead of
    each child (measured: 1 ms of a forked child's CPU, 3 ms of its wall time)."""
    ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_alpn_protocols(["h2"])


def server_context(cert_pem: bytes, encrypted_key_pem: bytes, password: bytes, client_cert_pem: str, scratch_dir: str) -> ssl.SSLContext:
    """The TLS context for plugin.sock: our certificate, and exactly Terraform's as the one root.

    ``ssl`` loads keys only from files: on Linux from a memfd (memory, never a filesystem),
    elsewhere from a file in the 0700 socket directory, removed as soon as it is read. Either
    way the key is encrypted with a random password that never leaves memory.
    """
    ctx = _context(client_cert_pem)
    try:
        _load_from_memory(ctx, cert_pem + encrypted_key_pem, password)
        return ctx
    except OSError:
        pass
    path = os.path.join(scratch_dir, "server.pem")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(cert_pem + encrypted_key_pem)
        ctx.load_cert_chain(path, password=password)
    finally:
        os.unlink(path)
    return ctx


def given_context(cert_pem: str, key_pem: str, client_cert_pem: str) -> tuple[ssl.SSLContext, str]:
    """The TLS context for plugin.sock from a certificate and key made for this launch by its
    launcher (go-shim: a zygote's child then needs no ``cryptography``), and the certificate as
    the handshake line carries it. The key is not encrypted: it is loaded only from memory (a
    memfd), never from a filesystem; OSError where that cannot be done (the caller makes a
    certificate of its own then), ssl.SSLError or ValueError when the pair is not one."""
    ctx = _context(client_cert_pem)
    _load_from_memory(ctx, (cert_pem + key_pem).encode(), _no_password)
    return ctx, handshake_text(cert_pem)


def _no_password() -> bytes:
    """Asked only for an encrypted key, which a launcher never sends: refuse (without a callback
    OpenSSL would prompt on the terminal)."""
    raise ValueError("the launch's private key is encrypted")


def handshake_text(cert_pem: str) -> str:
    """The certificate's DER in unpadded standard base64, as go-plugin decodes it
    (base64.RawStdEncoding: padding makes the handshake fail at random)."""
    return base64.b64encode(ssl.PEM_cert_to_DER_cert(cert_pem)).decode().rstrip("=")


def _load_from_memory(ctx: ssl.SSLContext, pem: bytes, password: bytes | Callable[[], bytes]) -> None:
    """load_cert_chain from an anonymous memory file: OSError where there is none (not Linux)."""
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is None or not os.path.isdir("/proc/self/fd"):
        raise OSError("no memfd here")
    fd = memfd_create("tfprovider-server-pem", getattr(os, "MFD_CLOEXEC", 1))
    try:
        view = memoryview(pem)
        while view:
            view = view[os.write(fd, view):]
        ctx.load_cert_chain(f"/proc/self/fd/{fd}", password=password)
    finally:
        os.close(fd)


def private_address(socket_dir: str) -> tuple[str, str]:
    """(gRPC's address string, the socket address to connect to) of the private socket."""
    if ABSTRACT:
        name = f"tfprovider-{os.getpid()}-{os.urandom(12).hex()}"
        return f"unix-abstract:{name}", "\0" + name
    path = os.path.join(socket_dir, "grpc.sock")
    return f"unix:{path}", path


class PeerGate:
    """The peer addresses the front end bound for its own splices: the only ones served."""

    def __init__(self, socket_dir: str) -> None:
        self._allowed: set[str] = set()
        self._lock = threading.Lock()
        self._dir = socket_dir

    def bind_client(self) -> tuple[socket.socket, str]:
        """A unix socket bound to a fresh name, and the peer string gRPC will report for it."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        name = f"tfprovider-c-{os.urandom(12).hex()}"
        try:
            if ABSTRACT:
                sock.bind("\0" + name)
                peer = f"unix-abstract:{name}"
            else:
                path = os.path.join(self._dir, name[:20])
                sock.bind(path)
                peer = f"unix:{path}"
        except OSError:
            sock.close()
            raise
        with self._lock:
            self._allowed.add(peer)
        return sock, peer

    def release(self, sock: socket.socket, peer: str) -> None:
        with self._lock:
            self._allowed.discard(peer)  # before the close frees the name for anyone to bind
        sock.close()
        if not ABSTRACT:
            try:
                os.unlink(peer[len("unix:"):])
            except OSError:
                pass

    def allows(self, peer: str) -> bool:
        with self._lock:
            return peer in self._allowed


def gate_interceptor(gate: PeerGate) -> Any:
    """A gRPC server interceptor that refuses every RPC whose peer the gate does not allow."""
    import grpc

    def guard(behaviour: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
        def guarded(request: Any, context: Any) -> Any:
            if not gate.allows(context.peer()):
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "connect through the plugin socket with Terraform's client certificate")
            return behaviour(request, context)

        return guarded

    class Gate(grpc.ServerInterceptor):  # type: ignore[misc]  # grpc has no type stubs: its classes are Any
        def intercept_service(self, continuation: Any, details: Any) -> Any:
            handler = continuation(details)
            if handler is None:
                return None
            for kind in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
                behaviour = getattr(handler, kind)
                if behaviour is not None:
                    return handler._replace(**{kind: guard(behaviour)})
            return handler

    return Gate()


class Front:
    """Accepts on plugin.sock, ends TLS, and splices each connection to the private socket."""

    def __init__(self, listener: socket.socket, ctx: ssl.SSLContext, private: str, gate: PeerGate) -> None:
        self._listener = listener
        self._ctx = ctx
        self._private = private
        self._gate = gate
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self.refused = 0  # connections that failed the TLS handshake (no or a wrong certificate)

    def start(self) -> None:
        threading.Thread(target=self._accept_loop, name="tls-accept", daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # the listener was closed: shutting down
            if not self._slots.acquire(blocking=False):
                conn.close()
                continue
            threading.Thread(target=self._serve, args=(conn,), name="tls-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
            try:
                tls = self._ctx.wrap_socket(conn, server_side=True)
            except (OSError, ssl.SSLError):
                self.refused += 1  # no certificate, a wrong one, garbage, or silence
                conn.close()
                return
            private, peer = self._gate.bind_client()
            try:
                private.connect(self._private)
                _splice(tls, private)
            except OSError:
                pass
            finally:
                self._gate.release(private, peer)
                tls.close()
        finally:
            self._slots.release()


def _splice(tls: ssl.SSLSocket, plain: socket.socket) -> None:
    """Copy both ways until either side ends; returns when both copying threads are done."""
    tls.setblocking(False)
    plain.setblocking(True)
    lock = threading.Lock()
    done = threading.Event()

    def tls_call(fn: Callable[[], Any]) -> Any:
        """Run one SSL call under the lock; wait outside it for what OpenSSL asked."""
        while not done.is_set():
            with lock:
                try:
                    return fn()
                except ssl.SSLWantReadError:
                    want: tuple[list[Any], list[Any]] = ([tls], [])
                except ssl.SSLWantWriteError:
                    want = ([], [tls])
            select.select(want[0], want[1], [], 1.0)
        raise OSError("splice closed")

    def from_terraform() -> None:
        try:
            while True:
                data = tls_call(lambda: tls.recv(_CHUNK))
                if not data:
                    return
                plain.sendall(data)
        except OSError:
            return
        finally:
            done.set()
            _shut(plain)

    def to_terraform() -> None:
        try:
            while True:
                data = plain.recv(_CHUNK)
                if not data:
                    return
                view = memoryview(data)
                while view:
                    view = view[tls_call(functools.partial(tls.send, view)):]
        except OSError:
            return
        finally:
            done.set()
            _shut(plain)

    back = threading.Thread(target=to_terraform, name="tls-out", daemon=True)
    back.start()
    from_terraform()
    back.join()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
