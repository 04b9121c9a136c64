"""``python -m provider.emulator.secretmanager``: serve the fake on 127.0.0.1 until SIGINT or
SIGTERM, printing ``listening on 127.0.0.1:PORT`` once it accepts calls."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

from .fake import SecretManagerFake
from .faults import FAIL_ENV, parse_fail_spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m provider.emulator.secretmanager",
        description="Fake Google Secret Manager v1 on plaintext gRPC, 127.0.0.1 only.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: pick a free one)")
    parser.add_argument("--state", metavar="FILE", help="load and persist secrets in this JSON file")
    parser.add_argument(
        "--fail", metavar="METHOD:CODE[:COUNT]", action="append", default=[],
        help=f"inject failures (repeatable; also ${FAIL_ENV}, comma-separated), METHOD may be *",
    )
    parser.add_argument("--project", action="append", help="allowed project (repeatable; default: any)")
    parser.add_argument("--project-number", metavar="ID=NUMBER", action="append", default=[],
                        help="return names with the project number, like Google")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each RPC to stderr (never payloads)")
    args = parser.parse_args(argv)

    numbers = {}
    for item in args.project_number:
        pid, sep, num = item.partition("=")
        if not sep or not num.isdigit():
            parser.error(f"--project-number wants ID=NUMBER, got {item!r}")
        numbers[pid] = num
    specs = [s for s in os.environ.get(FAIL_ENV, "").split(",") if s.strip()] + args.fail
    try:
        failures = [parse_fail_spec(s) for s in specs]
    except ValueError as e:
        parser.error(str(e))

    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.verbose else None
    fake = SecretManagerFake(projects=args.project, project_numbers=numbers, state_file=args.state, log=log)
    for method, code, count in failures:
        fake.fail_next(method, code, count)

    # Handlers go in before the server starts, so a signal sent right after the
    # "listening" line ends the process cleanly rather than with a traceback.
    done = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        done.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    address = fake.start(args.port)
    print(f"listening on {address}", flush=True)
    while not done.wait(0.5):  # a timed wait keeps the main thread responsive to signals
        pass
    fake.stop(grace=1.0)
    return 0

