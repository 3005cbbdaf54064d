"""Tests of qmlr.report.curvature and qmlr.report.plots_curvature: ratios, tables, verdicts,
figures."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from qmlr.core.curvature_metrics import measure
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.report import curvature as R
from qmlr.report import plots_curvature as P
from qmlr.studies import curvature_study as S
from qmlr.studies.experiments import get_profile
from qmlr.studies.store import CellResult

matplotlib.use("Agg")
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _fake_records(ratios: dict[tuple[str, str], list[float]], dead_at=None) -> pd.DataFrame:
    rows = []
    alphas = (0.0, 0.2, 0.3, 0.4)
    for (config, kind), per_alpha in ratios.items():
        for alpha, value in zip(alphas, per_alpha, strict=True):
            for run in range(2):
                rows.append(
                    {
                        "config": config,
                        "model": kind,
                        "alpha": alpha,
                        "run": run,
                        "trace": value * (1 + 0.1 * run),
                        "dead": dead_at == (config, kind, alpha, run),
                        "lam_max": value,
                        "negative_share_slq": 0.001 if kind == "mlp" else 0.02,
                        "negative_share_exact": np.nan if kind == "mlp" else 0.02 + alpha,
                        "trace_gauss_newton": value,
                        "trace_residual": 0.0 if kind == "mlp" else -0.1,
                        "trace_residual_flipped": np.nan if kind == "mlp" else -0.2 * alpha,
                    }
                )
    return pd.DataFrame(rows)


def test_ratios_tables_and_verdicts():
    records = _fake_records(
        {
            ("si", "mlp"): [1.0, 5.0, 20.0, 100.0],
            ("si", "qnn"): [1.0, 0.9, 0.8, 0.5],
            ("authors-code", "mlp"): [1.0, 2.0, 3.0, 4.0],
            ("authors-code", "qnn"): [1.0, 1.1, 1.2, 1.3],
        },
        dead_at=("si", "mlp", 0.4, 1),
    )
    ratios = R.trace_ratios(records)
    si_mlp = ratios[(ratios["config"] == "si") & (ratios["model"] == "mlp")]
    np.testing.assert_allclose(si_mlp[si_mlp["alpha"] == 0.2]["ratio"], [5 / 1.05, 5.5 / 1.05])
    assert len(R.trace_ratios(records, include_dead=False)) == len(records) - 1
    table = R.ratio_table(records)
    assert table.loc[("si", "mlp", 0.4), "dead (all runs)"] == 1
    assert table.loc[("si", "qnn", 0.2), "runs"] == 2
    verdicts = {v.claim: v for v in R.claim_verdicts(records)}
    assert verdicts["6 (si): MLP trace ratio rises strongly with α"].reproduced is True
    assert verdicts["6 (si): QNN trace ratio ≤ 1 and falling with α"].reproduced is True
    assert verdicts["6 (authors-code): MLP trace ratio rises strongly with α"].reproduced is False
    assert verdicts["6 (authors-code): QNN trace ratio ≤ 1 and falling with α"].reproduced is False
    assert "dead run" in verdicts["6 (si): MLP trace ratio rises strongly with α"].evidence
    term_b = [v for v in verdicts.values() if "mislabeled" in v.claim][0]
    assert term_b.reproduced is True
    few = records[records["alpha"].isin([0.0, 0.4])]
    assert all(v.reproduced is None for v in R.claim_verdicts(few) if v.claim.startswith("6 ("))


def _smoke_results() -> list[CellResult]:
    """One small measured model per smoke spec (no training)."""
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 4, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (10,), generator=gen)
    flipped = np.zeros(10, dtype=bool)
    flipped[:2] = True
    results = []
    for spec in S.curvature_specs(get_profile("smoke")):
        seed = int(10 * spec.alpha)
        if spec.model.kind == "mlp":
            model, xs = MLP(4, (3,), seeds=(seed,), dtype=torch.float64), x
        else:
            model = QNN(2, 1, seeds=(seed,), dtype=torch.complex128)
            xs = x.to(torch.complex128) / torch.linalg.vector_norm(x, dim=1, keepdim=True)
        metrics = {**measure(model, xs, y, flipped, spec.model.kind, 4, 20, 0), "dead": False}
        metrics.update(val_accuracy=0.5, train_accuracy=0.5)
        results.append(CellResult(spec, metrics, {"train_time_s": 0.0, "hessian_time_s": 0.0}))
    return results


def test_figures_and_verdicts_of_measured_models():
    import matplotlib.pyplot as plt

    results = _smoke_results()
    records = S.records_frame(results)
    spectra = P.spectra_frame(results, records)
    fig, axes = plt.subplots(2, 4)
    P.plot_trace_ratio(axes[0, 0], records, "si")
    P.plot_density(axes[0, 1], spectra, "si", "mlp")
    P.plot_density(axes[0, 2], spectra, "authors-code", "qnn")
    P.plot_negative_share(axes[0, 3], records, "si")
    P.plot_term_split(axes[1, 0], records, "si")
    P.plot_lambda_max(axes[1, 1], records, "authors-code")
    plt.close(fig)
    assert len(R.claim_verdicts(records)) >= 4
    assert len(R.summary_table(records)) == len(records)


def test_methods_table_has_one_row_per_configuration_and_model():
    table = R.methods_table(get_profile("paper"))
    assert len(table) == 4 and set(table["configuration"]) == {"si", "authors-code"}
