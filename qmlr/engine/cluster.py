"""Where sweep groups run: local worker processes (loky) or the workers of a Dask cluster.

The ``dask`` backend sends each group to a running dask.distributed cluster through joblib's
``dask`` backend; results travel back to the calling process, which alone writes result files
(see :func:`qmlr.engine.runner.run_specs`). A worker that dies mid-group therefore leaves nothing
behind, and the scheduler runs the group again on another worker.

dask.distributed is an optional extra (``pip install "qmlr[dask]"``): it is imported only when
the ``dask`` backend is chosen.

Example::

    python -m qmlr reproduce --profile smoke resilience --backend dask --scheduler tcp://HOST:8786
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

#: Where groups can run: local worker processes, or a Dask cluster.
BACKENDS = ("loky", "dask")
#: How to install the optional dependencies of the ``dask`` backend.
DASK_INSTALL = 'pip install "qmlr[dask]"'
#: Seconds to wait for a cluster's first worker (a batch queue may be slow to start them).
WORKER_WAIT_S = 600.0


class MissingExtraError(ImportError):
    """An optional dependency needed by the chosen feature is not installed."""


def require_distributed() -> ModuleType:
    """Import dask.distributed, or explain which extra provides it.

    :return: the ``distributed`` module.
    :raises MissingExtraError: dask.distributed is not installed.
    """
    try:
        import distributed
    except ImportError as err:
        raise MissingExtraError(
            f"the dask backend needs dask.distributed, an optional extra: {DASK_INSTALL}"
        ) from err
    return distributed


def check_backend(backend: str, scheduler: str | None) -> None:
    """Refuse an unknown backend, or a scheduler address that does not match the backend.

    :param backend: one of :data:`BACKENDS`.
    :param scheduler: the Dask scheduler address; required by ``"dask"``, refused otherwise.
    :raises ValueError: the combination is not valid.
    :raises MissingExtraError: ``"dask"`` is chosen but dask.distributed is not installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose from {BACKENDS}")
    if backend == "dask":
        if not scheduler:
            raise ValueError(
                "the dask backend needs the address of a running scheduler "
                "(--scheduler tcp://HOST:PORT); start one with `dask scheduler` and workers "
                "with `dask worker tcp://HOST:PORT --nthreads 1`"
            )
        require_distributed()
    elif scheduler:
        raise ValueError(
            f"a scheduler address is only used by the dask backend (--backend dask), "
            f"not by {backend!r}"
        )


def map_on_cluster(
    function: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], scheduler: str
) -> Iterator[Any]:
    """Run ``function(*args)`` for every ``args`` on the workers of a Dask cluster and yield
    the return values as they finish (in any order).

    Each call is one Dask task (joblib batch size 1), and every call is queued at once, so the
    scheduler balances them over whatever workers the cluster has or gains. A task whose
    worker dies is run again on another worker by the scheduler. The client stays connected
    while the iterator is consumed and closes when it is exhausted or closed.

    :param function: a module-level function (workers import it by name).
    :param arguments: the positional arguments of each call.
    :param scheduler: the scheduler's address, e.g. ``tcp://10.0.0.1:8786``.
    :return: an iterator over the return values.
    :raises ConnectionError: the scheduler cannot be reached.
    """
    distributed = require_distributed()
    from joblib import Parallel, delayed, parallel_config

    try:
        client = distributed.Client(scheduler, set_as_default=False)
    except OSError as err:
        raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from err
    with (
        client,
        parallel_config(backend="dask", client=client, wait_for_workers_timeout=WORKER_WAIT_S),
    ):
        yield from Parallel(batch_size=1, pre_dispatch="all", return_as="generator_unordered")(
            delayed(function)(*args) for args in arguments
        )
