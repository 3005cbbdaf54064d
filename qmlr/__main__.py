"""``python -m qmlr``: see :mod:`qmlr.tools.cli`."""

import sys

from qmlr.tools.cli import main

sys.exit(main())
