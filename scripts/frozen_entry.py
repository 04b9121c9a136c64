"""The frozen release's entry point (scripts/release.py builds it with PyInstaller).

Exactly what `python -m provider` runs, nothing more: the release and the developer's launcher
start the same code, so start-up work belongs in provider/, not here.
"""

import sys

from provider.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
