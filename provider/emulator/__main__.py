"""`sparkpost-emulator`: run the SparkPost emulator until SIGINT/SIGTERM.

The first stdout line is `listening on http://HOST:PORT` (port 0 picks a free port).
Bad arguments or unusable seed/state files: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading
from typing import NoReturn, Sequence

PROG = "sparkpost-emulator"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One clear line instead of argparse's usage block.
        sys.stderr.write(f"{PROG}: error: {message} (see --help)\n")
        sys.exit(2)


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Local SparkPost REST API emulator (see provider.emulator.sparkpost).")
    p.add_argument("--port", type=_port, default=0, help="TCP port; 0 picks a free one (default 0)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--state", metavar="FILE", help="state file: loaded at start, rewritten after every change")
    p.add_argument("--seed", metavar="FILE", help="seed JSON applied when there is no state yet")
    p.add_argument("--region", choices=("us", "eu"), default="us", help="us (default) or eu")
    p.add_argument("--latency-ms", type=_non_negative_int, default=0, help="delay every API request")
    p.add_argument("--rate-429", type=_fraction, default=0.0, help="share of requests answered 429")
    p.add_argument("--retry-after-fraction", type=_fraction, default=0.0,
                   help="share of 429s that carry Retry-After (default 0: SparkPost documents none)")
    p.add_argument("--retry-after", type=_non_negative_int, default=1,
                   help="Retry-After value in seconds, when sent (default 1)")
    p.add_argument("--rate-5xx", type=_fraction, default=0.0, help="share of requests answered 503")
    p.add_argument("--drop-rate", type=_fraction, default=0.0, help="share of connections closed unanswered")
    p.add_argument("--fault-seed", type=int, default=None, help="seed for the fault dice")
    p.add_argument("--api-keys-api", action="store_true",
                   help="enable /api/v1/api-keys for API keys (off by default: SparkPost documents "
                        "key management only in its app)")
    p.add_argument("--no-error-descriptions", action="store_true",
                   help="fold `description` into `message` in error bodies (SparkPost's announced format)")
    p.add_argument("--verbose", action="store_true", help="log requests (method, path, status) to stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Handlers first: a signal during start-up must also end in a clean exit 0.
    stop = threading.Event()

    def _on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    # Imported after parsing so that --help and argument errors stay instant.
    from .sp_faults import FaultSettings
    from .sp_grants import PRIMARY_GRANTS
    from .sp_model import KEY_RE, SeedError
    from .sparkpost import Emulator

    if args.state and not os.path.isdir(os.path.dirname(os.path.abspath(args.state))):
        return _fail(f"--state: directory of {args.state} does not exist")
    faults = FaultSettings(latency_ms=args.latency_ms, rate_429=args.rate_429,
                           retry_after_fraction=args.retry_after_fraction, retry_after=args.retry_after,
                           rate_5xx=args.rate_5xx,
                           drop_rate=args.drop_rate, seed=args.fault_seed)
    env_key = os.environ.get("SPARKPOST_EMULATOR_KEY")
    if env_key is not None and not KEY_RE.match(env_key):
        return _fail("SPARKPOST_EMULATOR_KEY must be 40 lowercase hex characters")
    try:
        emu = Emulator(region=args.region, state_path=args.state, seed=args.seed, host=args.host,
                       faults=faults, verbose=args.verbose)
        # Flags win over the seed and the state file; without a flag those keep their say.
        flags: dict[str, bool] = {}
        if args.api_keys_api:
            flags["api_keys_api"] = True
        if args.no_error_descriptions:
            flags["error_descriptions"] = False
        if flags:
            emu.set_options(**flags)
        if env_key:
            with emu.store.lock:
                known = emu.store.key_for_secret(env_key) is not None
            if not known:
                raw = os.environ.get("SPARKPOST_EMULATOR_KEY_GRANTS")
                grants = [g.strip() for g in raw.split(",") if g.strip()] if raw else list(PRIMARY_GRANTS)
                emu.add_key(key=env_key, grants=grants, label="SPARKPOST_EMULATOR_KEY")
    except SeedError as exc:
        return _fail(str(exc))
    try:
        emu.start(port=args.port)
    except OSError as exc:
        sys.stderr.write(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
        return 2 if isinstance(exc, socket.gaierror) else 1  # an unknown --host is a bad argument

    try:
        sys.stdout.write(f"listening on {emu.url}\n")
        sys.stdout.flush()
    except OSError:  # nobody reads stdout (closed pipe): keep serving regardless
        pass
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emu.stop()
    return 0


def _fail(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
