"""A stand-in for the provider module in the launcher's tests: records how it was started.

Cold launch (no arguments): prints COLD and the environment's FAKE_MARK, exits FAKE_COLD_EXIT
(and creates the file FAKE_COLD_RECORD names, when it is set).
`--zygote NAME TFPID PATH`: appends what it saw (argv, session, stdio, fd 3) as one JSON line
to FAKE_RECORD, then exits 2 as a provider without --zygote does. With FAKE_ZYGOTE_SERVE=S, it
first sleeps S seconds (an interpreter importing), then binds NAME and answers every request
with an error for 3 seconds, recording each as {"served": MARK} (the request's FAKE_MARK).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--zygote"]:
        record = os.environ.get("FAKE_RECORD")
        if record:
            stdio = [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)]
            try:
                fd3 = os.readlink("/proc/self/fd/3")
            except OSError:
                fd3 = ""
            with open(record, "a") as f:
                f.write(json.dumps({"argv": args, "sid_is_pid": os.getsid(0) == os.getpid(), "stdio": stdio, "fd3": fd3,
                                    "cookie": os.environ.get("TF_PLUGIN_MAGIC_COOKIE", ""),
                                    "pythonpath": os.environ.get("PYTHONPATH", "")}) + "\n")
        if os.environ.get("FAKE_ZYGOTE_SERVE"):
            serve(args[1], float(os.environ["FAKE_ZYGOTE_SERVE"]), record or os.devnull)
        return 2
    if os.environ.get("FAKE_COLD_RECORD"):
        open(os.environ["FAKE_COLD_RECORD"], "a").close()
    print(f"COLD {os.environ.get('FAKE_MARK', '')}", flush=True)
    return int(os.environ.get("FAKE_COLD_EXIT", "0"))


def serve(name: str, delay: float, record: str) -> None:
    time.sleep(delay)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind("\0" + name)
    sock.listen(8)
    sock.settimeout(0.2)
    end = time.monotonic() + 3
    while time.monotonic() < end:
        try:
            conn, _ = sock.accept()
        except OSError:
            continue
        with conn:
            conn.settimeout(5)
            msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 8)
            for fd in fds:
                os.close(fd)
            while len(msg) < 4 + int.from_bytes(msg[:4], "big"):
                msg += conn.recv(1 << 20)
            env = dict(kv.split("=", 1) for kv in json.loads(msg[4:])["env"])
            with open(record, "a") as f:
                f.write(json.dumps({"served": env.get("FAKE_MARK", "")}) + "\n")
            conn.sendall(b'{"error": "fake zygote"}\n')


if __name__ == "__main__":
    sys.exit(main())
