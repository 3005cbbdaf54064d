"""The CPU fingerprint: what it records, how it is parsed, how two are compared."""

from __future__ import annotations

import json

import pytest
import torch

from qmlr.engine import fingerprint as F
from qmlr.engine.store import environment_provenance

MKL_CONFIG = """PyTorch built with:
  - Intel(R) oneAPI Math Kernel Library Version 2024.2-Product Build 20240605 for Intel(R) 64
  - CPU capability usage: AVX2
  - Build settings: BLAS_INFO=mkl, BUILD_TYPE=Release, LAPACK_INFO=mkl,
"""


def test_the_fingerprint_names_cpu_capability_blas_and_threads():
    here = F.cpu_fingerprint()
    assert tuple(sorted(here)) == tuple(sorted(F.FINGERPRINT_FIELDS))
    assert here["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert here["torch"] == torch.__version__
    assert here["cpu_model"] and here["blas"] and here["numpy_blas"]
    json.dumps(here)  # stored in every result's provenance


def test_the_fingerprint_follows_the_thread_count_and_kernel_variables(monkeypatch):
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert F.cpu_fingerprint()["torch_threads"] == 1
        assert environment_provenance()["cpu"]["torch_threads"] == 1
    finally:
        torch.set_num_threads(before)
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    assert F.cpu_fingerprint()["kernel_env"] == {"MKL_CBWR": "COMPATIBLE"}


def test_blas_is_parsed_from_torch_config():
    assert F.torch_blas(MKL_CONFIG) == "mkl 2024.2"
    assert F.torch_blas("BLAS_INFO=open, OpenBLAS 0.3.29 ") == "open 0.3.29"
    assert F.torch_blas("no build settings here") == "unknown"


def test_cpuinfo_is_parsed_and_a_missing_file_is_tolerated(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n"
        "flags\t\t: fpu sse4_2 avx avx2 fma avx512f amx_tile\n\nprocessor\t: 1\n"
    )
    assert F._cpuinfo(info) == (
        "Intel(R) Xeon(R) Platinum 8480+",
        "sse4_2 avx avx2 fma avx512f amx_tile",
    )
    assert F._cpuinfo(tmp_path / "absent") == ("", "")


def test_compare_lists_every_differing_field():
    here = F.cpu_fingerprint()
    assert F.compare(here, dict(here)).same
    capability = "AVX2" if here["cpu_capability"] == "AVX512" else "AVX512"  # any other CPU
    other = {**here, "cpu_capability": capability, "torch_threads": here["torch_threads"] + 1}
    match = F.compare(here, other)
    assert not match.same
    assert set(match.differences) == {"cpu_capability", "torch_threads"}
    assert match.differences["cpu_capability"] == (here["cpu_capability"], capability)


def test_a_result_without_a_fingerprint_counts_as_another_cpu():
    assert not F.compare(None, F.cpu_fingerprint()).same
    assert not F.compare({}, F.cpu_fingerprint()).same
    with pytest.raises(TypeError, match="dicts"):
        F.compare("AMD EPYC", F.cpu_fingerprint())  # type: ignore[arg-type]
