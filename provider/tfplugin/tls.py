"""The per-launch server certificate for AutoMTLS: EC P-256, in memory only, short-lived.

An EC key costs well under a millisecond where RSA costs tens; nothing is ever cached on disk.
Importing ``cryptography.x509`` costs ~40 ms, a fifth of a launch, and Terraform launches the
provider three times per plan: ``start_certificate`` makes the certificate in a forked child,
on the other core, while the launch imports gRPC.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import select
import signal
import time
from typing import Callable

Certificate = tuple[bytes, bytes, str]
CHILD_TIMEOUT_SECONDS = 10.0


def make_certificate(password: bytes | None = None) -> Certificate:
    """Return (private key PEM, certificate PEM, certificate DER as unpadded base64).

    With a password, the key PEM is encrypted with it (``ssl`` reads keys only from files).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "HashiCorp"), x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(seconds=30))
        .not_valid_after(now + datetime.timedelta(days=1))
        # go-plugin trusts exactly this certificate as its root and dials "localhost".
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=True, data_encipherment=False,
                key_agreement=True, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    der = cert.public_bytes(serialization.Encoding.DER)
    # go-plugin decodes with base64.RawStdEncoding: padding makes the handshake fail at random.
    return key_pem, cert_pem, base64.b64encode(der).decode().rstrip("=")


_preloaded = False


def preload() -> None:
    """Import what ``make_certificate`` needs (the fast-launch zygote does, once, for all its
    children; they then make their certificates in-process)."""
    global _preloaded
    from cryptography import x509  # noqa: F401
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: F401
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: F401

    make_certificate(os.urandom(16))  # the first certificate of a process costs ~4 ms more: not in each child's
    _preloaded = True


def start_certificate(password: bytes | None = None) -> Callable[[], Certificate]:
    """Start making the certificate in a forked child; the returned function waits for it.

    After ``preload`` (a zygote's child) the certificate costs about a millisecond: it is made
    here, without a fork.

    Call before any thread exists (fork copies only the calling thread). The key travels
    through a pipe, never a file. If the child cannot be forked or fails, the certificate is
    made in this process instead: slower, never wrong.
    """
    if _preloaded:
        made = make_certificate(password)
        return lambda: made
    try:
        read_fd, write_fd = os.pipe()
    except OSError:
        return lambda: make_certificate(password)
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        return lambda: make_certificate(password)
    if pid == 0:  # the child: never returns, never runs the parent's exit handlers or flushes
        code = 1
        try:
            os.close(read_fd)
            key_pem, cert_pem, b64 = make_certificate(password)
            payload = json.dumps([key_pem.decode(), cert_pem.decode(), b64]).encode()
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)

    def result() -> Certificate:
        chunks = []
        finished = False
        deadline = time.monotonic() + CHILD_TIMEOUT_SECONDS
        try:
            while (left := deadline - time.monotonic()) > 0 and select.select([read_fd], [], [], left)[0]:
                if not (chunk := os.read(read_fd, 65536)):
                    finished = True
                    break
                chunks.append(chunk)
        finally:
            os.close(read_fd)
            if not finished:  # a child stuck for seconds: never wait on it, make the certificate here
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        if status == 0:
            try:
                key_pem, cert_pem, b64 = json.loads(b"".join(chunks))
                return key_pem.encode(), cert_pem.encode(), b64
            except (ValueError, TypeError):
                pass
        return make_certificate(password)

    return result
