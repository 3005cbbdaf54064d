"""Time one QNN training step: the fast path against tensorcircuit-ng.

A thin wrapper around :mod:`qmlr.bench` (the same as ``python -m qmlr bench``); see that module
for what is measured and how. Run with::

    .venv/bin/python benchmarks/bench_qnn.py [--quick]
"""

from __future__ import annotations

import argparse
import sys

from qmlr.bench import main

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    sys.exit(main(quick=parser.parse_args().quick))
