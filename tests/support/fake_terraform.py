"""Stands in for the Terraform process in zygote tests: runs launches of the warm client one
after another as its children, relays what they print, then waits to be killed.

  python fake_terraform.py N   -> N launches; the last one is left running (its handshake line
                                  and launcher PID are printed as "LAUNCH <pid> <line>")
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warm_client.py")
count = int(sys.argv[1])
for i in range(count):
    proc = subprocess.Popen([sys.executable, CLIENT], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    print(f"LAUNCH {proc.pid} {line}", flush=True)
    if i < count - 1:
        proc.wait()
        time.sleep(0.5)  # the zygote the first launch started imports meanwhile
time.sleep(3600)
