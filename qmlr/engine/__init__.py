"""The machinery every study shares, knowing no study: specs, profiles, store, runner, checks.

Specs and their decoder table (:mod:`~qmlr.engine.specs`), study definitions and loading
(:mod:`~qmlr.engine.definition`, :mod:`~qmlr.engine.loading`), profiles, the sealed result store
and its atomic writes, claims and sessions, the runner and its Dask backend
(:mod:`~qmlr.engine.cluster`), CPU fingerprints and recompute agreement. It imports the core and
itself only.
"""

from qmlr.engine import reads as _reads

_reads.install()  # before any result file is read through the engine (qmlr.engine.reads)
