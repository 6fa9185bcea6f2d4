"""``python -m tests.stress [--quick] [--json FILE]``: the stress run as a command.

The full run takes about 18 minutes, too long for the test command, which runs only
the quick one (``test_quick_run.py``); this is how either is run by hand. It exits 1
if any part failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import tests.stress


def main(argv: Sequence[str] | None = None) -> int:
    summary = (tests.stress.__doc__ or "").split("\n\n")[0]
    parser = argparse.ArgumentParser(prog="python -m tests.stress", description=summary)
    tests.stress.add_arguments(parser)
    return tests.stress.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
