"""``python -m qmlr``: see :mod:`qmlr.cli`."""

import sys

from qmlr.cli import main

sys.exit(main())
