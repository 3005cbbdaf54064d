"""tensorcircuit-ng's process-global backend and dtype, switched in one place and always restored.

Importing this module imports neither torch nor tensorcircuit: the numpy-only callers (the XXZ
ground states) stay light, and tensorcircuit is loaded on the first switch.

Example:
    >>> import tensorcircuit as tc
    >>> before = (tc.backend.name, tc.dtypestr)
    >>> with tc_backend("numpy", "complex128") as K:
    ...     (K.name, tc.dtypestr)
    ('numpy', 'complex128')
    >>> (tc.backend.name, tc.dtypestr) == before
    True
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

#: The complex dtypes a switch accepts, by name.
COMPLEX_DTYPES = ("complex64", "complex128")


def dtype_name(dtype: Any) -> str:
    """tensorcircuit's name of a complex dtype given as a name or as a torch dtype.

    :param dtype: ``"complex64"``, ``"complex128"``, ``torch.complex64`` or ``torch.complex128``.
    :return: the name.

    Example:
        >>> dtype_name("complex64")
        'complex64'
        >>> dtype_name("float32")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: dtype must be torch.complex64 or torch.complex128 ..., got 'float32'
    """
    name = dtype if isinstance(dtype, str) else str(dtype).removeprefix("torch.")
    if name not in COMPLEX_DTYPES:
        raise ValueError(
            f"dtype must be torch.complex64 or torch.complex128 (or their names), got {dtype!r}"
        )
    return name


@contextlib.contextmanager
def tc_backend(name: str, dtype: Any = "complex128") -> Iterator[object]:
    """Temporarily switch tensorcircuit-ng to backend ``name`` and a complex dtype.

    Restores the previous backend, tensornetwork's default backend and the dtype on every exit
    path, exceptions included (``tc.set_dtype`` also sets jax's x64 flag where jax is present).

    :param name: tensorcircuit backend name, e.g. ``"pytorch"`` or ``"numpy"``.
    :param dtype: a complex dtype (see :func:`dtype_name`); ``None`` keeps the current one.
    :return: a context manager yielding tensorcircuit's backend object.
    """
    import tensorcircuit as tc
    import tensornetwork as tn

    label = tc.dtypestr if dtype is None else dtype_name(dtype)
    old_backend = tc.backend.name
    old_tn_default = tn.backend_contextmanager.get_default_backend()
    old_dtype = tc.dtypestr
    try:
        backend = tc.set_backend(name)
        tc.set_dtype(label)
        yield backend
    finally:
        tc.set_dtype(old_dtype)
        tc.set_backend(old_backend)
        tn.set_default_backend(old_tn_default)
