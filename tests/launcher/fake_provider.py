"""A stand-in for the provider module in the launcher's tests: records how it was started.

Cold launch (no arguments): prints COLD and the environment's FAKE_MARK, exits FAKE_COLD_EXIT.
`--zygote NAME TFPID PATH`: appends what it saw (argv, session, stdio) as one JSON line to
FAKE_RECORD, then exits 2 as today's provider does on an unknown argument.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["--zygote"]:
        record = os.environ.get("FAKE_RECORD")
        if record:
            stdio = [os.readlink(f"/proc/self/fd/{fd}") for fd in (0, 1, 2)]
            with open(record, "a") as f:
                f.write(json.dumps({"argv": args, "sid_is_pid": os.getsid(0) == os.getpid(), "stdio": stdio,
                                    "cookie": os.environ.get("TF_PLUGIN_MAGIC_COOKIE", ""),
                                    "pythonpath": os.environ.get("PYTHONPATH", "")}) + "\n")
        return 2
    print(f"COLD {os.environ.get('FAKE_MARK', '')}", flush=True)
    return int(os.environ.get("FAKE_COLD_EXIT", "0"))


if __name__ == "__main__":
    sys.exit(main())
