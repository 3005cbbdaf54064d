"""One-qubit gate matrices shared by the circuits of :mod:`qmlr.core.qnn` and
:mod:`qmlr.core.models.rxry`: batched Pauli rotations and their Kronecker products.

Qubit 0 is the most significant bit of an amplitude index (tensorcircuit's convention).

Example:
    >>> import torch
    >>> u = rotation(torch.tensor([torch.pi], dtype=torch.float64), "x", torch.complex128)[0]
    >>> torch.allclose(u, torch.tensor([[0, -1j], [-1j, 0]], dtype=torch.complex128))
    True
"""

from __future__ import annotations

import torch


def rotation(angle: torch.Tensor, pauli: str, cdtype: torch.dtype) -> torch.Tensor:
    """``exp(-i angle P / 2)`` for ``P`` in {X, Y}, batched: ``(...,) -> (..., 2, 2)``.

    The angle may be complex (an analytic continuation: the gate is then not unitary).

    :param angle: the angles, any shape.
    :param pauli: ``"x"`` or ``"y"``.
    :param cdtype: complex dtype of the result.
    :return: complex tensor of shape ``(*angle.shape, 2, 2)``.

    Example:
        >>> rotation(torch.zeros(3), "y", torch.complex64).shape
        torch.Size([3, 2, 2])
    """
    c = torch.cos(angle / 2).to(cdtype)
    s = torch.sin(angle / 2).to(cdtype)
    if pauli == "x":
        off = -1j * s
        rows = (torch.stack([c, off], dim=-1), torch.stack([off, c], dim=-1))
    elif pauli == "y":
        rows = (torch.stack([c, -s], dim=-1), torch.stack([s, c], dim=-1))
    else:
        raise ValueError(f"pauli must be 'x' or 'y', got {pauli!r}")
    return torch.stack(rows, dim=-2)


def kron_chain(unitaries: torch.Tensor) -> torch.Tensor:
    """Batched Kronecker product ``(E, n, 2, 2)`` → ``(E, 2**n, 2**n)``, the first factor acting
    on the most significant bit.

    :param unitaries: one-qubit matrices per ensemble member and qubit.
    :return: their Kronecker product per member.

    Example:
        >>> kron_chain(torch.eye(2, dtype=torch.complex64).expand(1, 3, 2, 2)).shape
        torch.Size([1, 8, 8])
    """
    out = unitaries[:, 0]
    for j in range(1, unitaries.shape[1]):
        u = unitaries[:, j]
        e, d = out.shape[0], out.shape[1]
        out = torch.einsum("eab,ecd->eacbd", out, u).reshape(e, 2 * d, 2 * d)
    return out
