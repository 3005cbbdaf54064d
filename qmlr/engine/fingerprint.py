"""The CPU fingerprint: what decides which floating-point kernels a training run executes.

Training here is bit-for-bit repeatable only on the same kernels. torch picks its vectorized
kernels by the CPU's instruction set (its *CPU capability*), MKL picks its own by CPU and by
``MKL_CBWR``, and reductions split differently with the thread count. Every result records the
fingerprint of the machine that computed it (under ``provenance["cpu"]``), and a recomputation
compares fingerprints to decide whether it may demand bit identity (:func:`compare`).

Example:
    >>> from qmlr.engine.fingerprint import compare, cpu_fingerprint
    >>> here = cpu_fingerprint()
    >>> sorted(here) == sorted(FINGERPRINT_FIELDS)
    True
    >>> compare(here, here).same
    True
    >>> compare(None, here).differences
    {'fingerprint': ('not recorded', 'recorded')}
"""

from __future__ import annotations

import os
import platform
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

#: Environment variables that select kernels (torch's capability, MKL's and oneDNN's code
#: paths, OpenBLAS's core type); the fingerprint records the ones that are set.
KERNEL_ENV_VARS = (
    "ATEN_CPU_CAPABILITY",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "MKL_DEBUG_CPU_TYPE",
    "ONEDNN_MAX_CPU_ISA",
    "DNNL_MAX_CPU_ISA",
    "OPENBLAS_CORETYPE",
)
#: The CPU flags (``/proc/cpuinfo``) that change which SIMD kernels torch and MKL may choose.
SIMD_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "asimd",
    "sve",
)
#: The fields of a fingerprint; two fingerprints match when all of them are equal.
FINGERPRINT_FIELDS = (
    "cpu_model",
    "simd_flags",
    "cpu_capability",
    "blas",
    "numpy_blas",
    "torch",
    "torch_threads",
    "kernel_env",
)


def _cpuinfo(path: Path = Path("/proc/cpuinfo")) -> tuple[str, str]:
    """(model name, space-separated SIMD flags) of the first CPU in ``path`` ("" if absent)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "", ""
    model = re.search(r"^(?:model name|Model|cpu model)\s*:\s*(.+)$", text, re.MULTILINE)
    flags = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.MULTILINE)
    present = set(flags.group(1).split()) if flags else set()
    return (model.group(1).strip() if model else ""), " ".join(
        f for f in SIMD_FLAGS if f in present
    )


def torch_blas(config: str) -> str:
    """The BLAS torch was built with and its version, from ``torch.__config__.show()``.

    :param config: the text of ``torch.__config__.show()``.
    :return: e.g. ``"mkl 2024.2"``, ``"openblas"``; ``"unknown"`` if the text names none.

    Example:
        >>> torch_blas("  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build"
        ...            " 20240605\\n  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release")
        'mkl 2024.2'
        >>> torch_blas("Build settings: BLAS_INFO=open, BUILD_TYPE=Release")
        'open'
        >>> torch_blas("")
        'unknown'
    """
    name = re.search(r"BLAS_INFO=([^,\s]+)", config)
    if name is None:
        return "unknown"
    blas = name.group(1)
    version = None
    if blas == "mkl":
        version = re.search(r"Math Kernel Library Version ([0-9][0-9.]*)", config)
    elif "open" in blas:
        version = re.search(r"OpenBLAS ([0-9][0-9.]*)", config)
    return f"{blas} {version.group(1)}" if version else blas


def numpy_blas() -> str:
    """numpy's BLAS and its version (it serves the data preparation), or ``"unknown"``."""
    import numpy

    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode; the fingerprint says so instead of failing
        return "unknown"


@lru_cache(maxsize=1)
def _static_fingerprint() -> dict[str, Any]:
    """The parts of the fingerprint that cannot change within a process."""
    import torch

    model, flags = _cpuinfo()
    try:
        config = torch.__config__.show()
    except Exception:  # a torch build without the config text
        config = ""
    return {
        "cpu_model": model or platform.processor() or platform.machine() or "unknown",
        "simd_flags": flags,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "blas": torch_blas(config),
        "numpy_blas": numpy_blas(),
        "torch": torch.__version__,
    }


def cpu_fingerprint() -> dict[str, Any]:
    """This process's fingerprint: CPU model and SIMD flags, torch's CPU capability, the BLAS of
    torch and of numpy with versions, torch's version and current thread count, and the
    kernel-selecting environment variables that are set.

    :return: a JSON-serialisable dict with the keys :data:`FINGERPRINT_FIELDS`.
    """
    import torch

    return {
        **_static_fingerprint(),
        "torch_threads": torch.get_num_threads(),
        "kernel_env": {k: os.environ[k] for k in KERNEL_ENV_VARS if k in os.environ},
    }


@dataclass(frozen=True)
class FingerprintMatch:
    """Whether two fingerprints match, and where they differ.

    :param differences: ``{field: (recorded, current)}`` of every field that differs.
    """

    differences: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def same(self) -> bool:
        """True when the kernels, and so the bits, of the two runs should be the same."""
        return not self.differences


def compare(recorded: dict[str, Any] | None, current: dict[str, Any]) -> FingerprintMatch:
    """Compare a result's recorded fingerprint with the current one.

    A result computed before fingerprints were recorded (``recorded`` is ``None``) counts as
    computed on another CPU.

    :param recorded: ``provenance.get("cpu")`` of a stored result.
    :param current: the fingerprint to compare with (usually :func:`cpu_fingerprint`).
    :return: the :class:`FingerprintMatch`.

    Example:
        >>> a = {"cpu_model": "X", "torch_threads": 1}
        >>> compare(a, {**a, "torch_threads": 2}).differences
        {'torch_threads': (1, 2)}
    """
    if not recorded:
        return FingerprintMatch({"fingerprint": ("not recorded", "recorded")})
    if not isinstance(recorded, dict) or not isinstance(current, dict):
        raise TypeError("fingerprints are dicts (provenance['cpu'] of a result)")
    keys = sorted(set(recorded) | set(current))
    return FingerprintMatch(
        {k: (recorded.get(k), current.get(k)) for k in keys if recorded.get(k) != current.get(k)}
    )
