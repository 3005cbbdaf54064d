"""Tests of qmlr.studies.curvature_study: the authors' ansatz, specs, data, measurements, tables."""

from __future__ import annotations

import dataclasses

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from qmlr.core import curvature as C
from qmlr.core.corrupt import corruption_count
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.studies import curvature_study as S
from qmlr.studies.experiments import get_profile
from qmlr.studies.registry import SPEC_TYPES, STUDIES
from qmlr.studies.store import CellResult, ResultStore

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Two threads on a busy two-core machine are many times slower for these small products;
    restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _states(n: int, n_qubits: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    shape = (n, 2**n_qubits)
    x = torch.complex(
        torch.randn(shape, dtype=torch.float64, generator=gen),
        torch.randn(shape, dtype=torch.float64, generator=gen),
    )
    return x / torch.linalg.vector_norm(x, dim=1, keepdim=True)


@pytest.mark.parametrize(("n_qubits", "depth"), [(4, 3), (5, 2)])
def test_rxry_fast_path_matches_tensorcircuit(n_qubits, depth):
    gen = torch.Generator().manual_seed(n_qubits)
    params = torch.randn(1, depth, n_qubits, 2, dtype=torch.float64, generator=gen)
    states = _states(6, n_qubits, seed=depth)
    fast = S.rxry_expectation(params, states[None])[0]
    ref = torch.stack([S.rxry_reference_expectation(params[0], s) for s in states])
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-13)
    # gradients agree too (the Hessian study differentiates the fast path twice)
    g_fast = torch.func.grad(lambda p: S.rxry_expectation(p, states[None]).sum())(params)
    g_ref = torch.func.grad(
        lambda p: torch.stack([S.rxry_reference_expectation(p[0], s) for s in states]).sum()
    )(params)
    np.testing.assert_allclose(g_fast.numpy(), g_ref.numpy(), atol=1e-12)


def test_cnot_ring_permutation_matches_gate_matrices():
    n = 3
    eye, x_gate = np.eye(2), np.array([[0, 1], [1, 0]])
    p0, p1 = np.diag([1, 0]), np.diag([0, 1])

    def cnot(c: int, t: int) -> np.ndarray:
        a = [eye] * n
        b = [eye] * n
        a[c], b[c], b[t] = p0, p1, x_gate
        kron = lambda ops: ops[0] if len(ops) == 1 else np.kron(ops[0], kron(ops[1:]))  # noqa: E731
        return kron(a) + kron(b)

    ring = np.eye(2**n)
    for q in range(n):
        ring = cnot(q, (q + 1) % n) @ ring
    psi = np.arange(2**n, dtype=float)
    np.testing.assert_array_equal(ring @ psi, psi[S.cnot_ring_permutation(n).numpy()])


def test_rxry_model_shapes_and_init():
    model = S.RxRyCnotQNN(10, 5, seeds=(7,), dtype=torch.complex128)
    assert model.theta.shape == (1, 5, 10, 2) and model.theta.dtype == torch.float64
    assert float(model.theta.detach().std()) == pytest.approx(0.01, rel=0.3)
    with pytest.raises(ValueError, match="inputs"):
        model(torch.zeros(2, 3, 1024))


def test_specs_registry_and_round_trip():
    assert SPEC_TYPES[S.CurvatureSpec.kind] is S.CurvatureSpec
    assert STUDIES["curvature"].compute is S.compute_group
    paper = S.curvature_specs(get_profile("paper"))
    smoke = S.curvature_specs(get_profile("smoke"))
    assert len(paper) == 2 * 2 * 4 * 5 and len(smoke) == 2 * 2 * 2 * 1
    assert len({s.key() for s in paper}) == len(paper)
    for spec in paper[::7]:
        again = S.CurvatureSpec.from_dict(spec.to_dict())
        assert again == spec and again.key() == spec.key()
    si_mlp = next(s for s in paper if s.config == "si" and s.model.kind == "mlp")
    assert si_mlp.model.hidden == (16, 4) and si_mlp.model.precision == "double"
    assert (si_mlp.train.epochs, si_mlp.train.batch_size, si_mlp.train.lr) == (100, 128, 0.01)
    au_qnn = next(s for s in paper if s.config == "authors-code" and s.model.kind == "qnn")
    assert au_qnn.model.depth == 5 and au_qnn.ansatz == "rx-ry+cnot-ring"
    assert (au_qnn.train.epochs, au_qnn.train.batch_size, au_qnn.train.lr) == (50, 32, 0.01)
    with pytest.raises(ValueError, match="configuration"):
        dataclasses.replace(si_mlp, config="other")


def test_run_data_poison_split_and_pairing():
    specs = S.curvature_specs(get_profile("paper"))
    pick = {(s.config, s.model.kind): s for s in specs if s.alpha == 0.4 and s.run == 1}
    si_mlp, si_qnn = S.run_data(pick["si", "mlp"]), S.run_data(pick["si", "qnn"])
    assert si_mlp.flipped.sum() == corruption_count(500, 0.4, "label_flip") == 200
    np.testing.assert_array_equal(si_mlp.flipped, si_qnn.flipped)  # paired poison
    np.testing.assert_array_equal(si_mlp.hessian_rows, si_qnn.hessian_rows)
    assert len(si_mlp.train_rows) == 500 and len(si_mlp.hessian_rows) == 100
    au = S.run_data(pick["authors-code", "mlp"])
    np.testing.assert_array_equal(au.flipped, si_mlp.flipped)
    held = np.setdiff1d(np.arange(500), au.train_rows)
    assert len(au.train_rows) == 350 and len(held) == 150
    assert np.isin(au.hessian_rows, held).all() and len(au.hessian_rows) == 100
    np.testing.assert_array_equal(
        au.hessian_rows, S.run_data(pick["authors-code", "qnn"]).hessian_rows
    )


def test_is_dead():
    assert S.is_dead(np.full(10, 0.003))
    assert not S.is_dead(np.array([0.0, 1e-3]))


def _measure(model, x, y, flipped, kind):
    return S.measure(model, x, y, flipped, kind, slq_probes=4, slq_steps=20, seed=0)


def test_measure_mlp_and_qnn_are_consistent():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(12, 6, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (12,), generator=gen)
    flipped = np.zeros(12, dtype=bool)
    flipped[[1, 5, 8]] = True
    mlp = MLP(6, (5, 3), seeds=(2,), dtype=torch.float64)
    m = _measure(mlp, x, y, flipped, "mlp")
    loss_fn, w0 = C.bce_loss_function(mlp, x, y)
    ev = torch.linalg.eigvalsh(torch.func.hessian(loss_fn)(w0)).numpy()
    assert m["trace"] == pytest.approx(ev.sum(), abs=1e-12)
    assert m["lam_max"] == pytest.approx(ev[-1], abs=1e-8)
    assert m["lam_min"] == pytest.approx(ev[0], abs=1e-8)
    assert abs(m["trace_residual"]) < 1e-12 * m["trace_gauss_newton"]
    assert np.sum(m["slq_weights"]) == pytest.approx(4.0)

    xq = _states(12, 3, seed=1)
    qnn = QNN(3, 2, seeds=(3,), dtype=torch.complex128)
    with torch.no_grad():
        qnn.theta.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(5))
    q = _measure(qnn, xq, y, flipped, "qnn")
    ev = np.asarray(q["eigenvalues"])
    assert q["trace"] == pytest.approx(ev.sum(), abs=1e-12)
    assert q["lam_min"] == ev[0] and q["lam_max"] == ev[-1]
    assert q["lam_min_eigsh"] == pytest.approx(ev[0], abs=1e-8)
    # Term B of the flipped samples = (1/N) Σ_{flipped} (p − y) tr ∇²z, straight from autograd
    logits_fn, w0 = C.logits_function(qnn, xq)
    p = torch.sigmoid(logits_fn(w0)).detach()
    tr_hz = torch.diagonal(torch.func.hessian(logits_fn)(w0), dim1=1, dim2=2).sum(dim=1)
    expect = float(((p - y) * tr_hz)[torch.as_tensor(flipped)].sum() / 12)
    assert q["trace_residual_flipped"] == pytest.approx(expect, abs=1e-12)
    assert q["n_hessian_flipped"] == 3


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
    ratios = S.trace_ratios(records)
    si_mlp = ratios[(ratios["config"] == "si") & (ratios["model"] == "mlp")]
    np.testing.assert_allclose(si_mlp[si_mlp["alpha"] == 0.2]["ratio"], [5 / 1.05, 5.5 / 1.05])
    assert len(S.trace_ratios(records, include_dead=False)) == len(records) - 1
    table = S.ratio_table(records)
    assert table.loc[("si", "mlp", 0.4), "dead (all runs)"] == 1
    assert table.loc[("si", "qnn", 0.2), "runs"] == 2
    verdicts = {v.claim: v for v in S.claim_verdicts(records)}
    assert verdicts["6 (si): MLP trace ratio rises strongly with α"].reproduced is True
    assert verdicts["6 (si): QNN trace ratio ≤ 1 and falling with α"].reproduced is True
    assert verdicts["6 (authors-code): MLP trace ratio rises strongly with α"].reproduced is False
    assert verdicts["6 (authors-code): QNN trace ratio ≤ 1 and falling with α"].reproduced is False
    assert "dead run" in verdicts["6 (si): MLP trace ratio rises strongly with α"].evidence
    term_b = [v for v in verdicts.values() if "mislabeled" in v.claim][0]
    assert term_b.reproduced is True
    few = records[records["alpha"].isin([0.0, 0.4])]
    assert all(v.reproduced is None for v in S.claim_verdicts(few) if v.claim.startswith("6 ("))


def test_export_and_figures(tmp_path):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 4, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (10,), generator=gen)
    flipped = np.zeros(10, dtype=bool)
    flipped[:2] = True
    results = []
    base = S.curvature_specs(get_profile("smoke"))
    for spec in base:
        torch.manual_seed(spec.run + int(10 * spec.alpha))
        if spec.model.kind == "mlp":
            model, xs = MLP(4, (3,), seeds=(int(10 * spec.alpha),), dtype=torch.float64), x
        else:
            model, xs = QNN(2, 1, seeds=(int(10 * spec.alpha),), dtype=torch.complex128), x
            xs = xs.to(torch.complex128) / torch.linalg.vector_norm(xs, dim=1, keepdim=True)
        metrics = {**_measure(model, xs, y, flipped, spec.model.kind), "dead": False}
        metrics.update(val_accuracy=0.5, train_accuracy=0.5)
        results.append(CellResult(spec, metrics, {"train_time_s": 0.0, "hessian_time_s": 0.0}))
    store = ResultStore(tmp_path)
    for r in results:
        store.save(r)
    loaded = [store.load(r.spec) for r in results]
    path = S.export(loaded, tmp_path / "curvature")
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(S.RECORD_COLUMNS) and len(frame) == len(base)
    records = S.records_frame(loaded)
    spectra = S.spectra_frame(loaded, records)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 4)
    S.plot_trace_ratio(axes[0, 0], records, "si")
    S.plot_density(axes[0, 1], spectra, "si", "mlp")
    S.plot_density(axes[0, 2], spectra, "authors-code", "qnn")
    S.plot_negative_share(axes[0, 3], records, "si")
    S.plot_term_split(axes[1, 0], records, "si")
    S.plot_lambda_max(axes[1, 1], records, "authors-code")
    plt.close(fig)
    assert len(S.claim_verdicts(records)) >= 4


def test_recompute_matches_stored_paper_result():
    """Recompute the cheapest committed paper run (authors-code MLP, α = 0, run 0), if present."""
    spec = next(
        s
        for s in S.curvature_specs(get_profile("paper"))
        if s.config == "authors-code" and s.model.kind == "mlp" and s.alpha == 0.0 and s.run == 0
    )
    store = ResultStore()
    if not store.has(spec):
        pytest.skip("no committed paper-scale curvature results")
    stored = store.load(spec).metrics
    fresh = S.compute_run(spec).metrics
    for key in ("trace", "lam_max", "lam_min", "val_accuracy", "train_accuracy"):
        assert fresh[key] == pytest.approx(stored[key], rel=1e-6, abs=1e-9), (spec.key(), key)
    assert fresh["dead"] == stored["dead"], spec.key()
