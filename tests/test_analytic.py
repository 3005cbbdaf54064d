"""Tests of qmlr.core.analytic: SI §I identities, numeric Hessians, and the toy datasets."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

from qmlr.core import analytic as A
from qmlr.core.analytic import symbolic
from qmlr.engine.profiles import get_profile
from qmlr.report import analytic as AR

LABELS = ("y", "0", "1")


# ------------------------------------------------------------------------------ symbolic


@pytest.mark.parametrize("model", A.MODELS)
@pytest.mark.parametrize("quantity", ["gradient", "hessian", "term_a", "term_b", "hessian = A - B"])
def test_si_identity_holds_for_every_label(model: str, quantity: str) -> None:
    checks = [c for c in A.identity_checks(model) if c.quantity == quantity and "S" in c.equation]
    assert sorted(c.label for c in checks) == sorted(LABELS)
    for c in checks:
        assert c.residual == 0, (model, quantity, c.label, c.residual)


@pytest.mark.parametrize("model", A.MODELS)
def test_numeric_forms_are_proven(model: str) -> None:
    checks = [c for c in A.identity_checks(model) if c.equation == "numeric form"]
    assert {c.quantity for c in checks} == {"loss", "gradient", "hessian", "term_a", "term_b"}
    assert all(c.holds for c in checks)


def test_verify_si_identities_returns_true() -> None:
    assert A.verify_si_identities() is True


def test_printed_forms_are_the_si_formulas() -> None:
    phi = sp.pi * A.x + A.theta
    p, y, x = A.p, A.y, A.x
    assert sp.expand(A.printed_hessian("mlp") - x**2 * p * (1 - p)) == 0
    assert sp.expand(A.printed_term_a("qnn") - p * (1 - p) * sp.sin(phi) ** 2) == 0
    assert sp.expand(A.printed_term_b("qnn") - (p - y) * sp.cos(phi)) == 0
    assert (
        sp.expand(A.printed_hessian("qnn") - (A.printed_term_a("qnn") - A.printed_term_b("qnn")))
        == 0
    )
    # (S6): gradient = (p - y) dz/dtheta, with dz/dtheta derived from the logit
    for model in A.MODELS:
        dz = sp.diff(A.logit(model), A.theta)
        assert sp.expand(A.printed_gradient(model) - (p - y) * dz) == 0


def test_chain_rule_factors_of_s6() -> None:
    dl_dp = sp.diff(A.loss_in_p(), A.p)
    assert sp.simplify(dl_dp - (A.p - A.y) / (A.p * (1 - A.p))) == 0
    zs = sp.Symbol("zs")
    dp_dz = sp.diff(A.sigmoid(zs), zs)
    assert sp.simplify(dp_dz - A.sigmoid(zs) * (1 - A.sigmoid(zs))) == 0


def test_residual_detects_a_wrong_formula() -> None:
    """A sign error in Term B or a missing x must not simplify to zero."""
    z = A.logit("qnn")
    wrong_qnn = (A.printed_term_a("qnn") + A.printed_term_b("qnn")).subs(A.p, A.sigmoid(z))
    for value in (A.y, 0, 1):
        r = symbolic._simplify_residual(
            (A.derived_hessian("qnn") - wrong_qnn).subs(A.y, value), "qnn"
        )
        assert r != 0
    wrong_mlp = (A.x * A.p * (1 - A.p)).subs(A.p, A.sigmoid(A.logit("mlp")))
    assert symbolic._simplify_residual(A.derived_hessian("mlp") - wrong_mlp, "mlp") != 0


def test_verify_raises_on_wrong_printed_form(monkeypatch: pytest.MonkeyPatch) -> None:
    A.identity_checks.cache_clear()
    monkeypatch.setattr(symbolic, "printed_term_b", lambda model: -(A.p - A.y) * sp.cos(A.x))
    try:
        with pytest.raises(A.IdentityError, match="qnn"):
            A.verify_si_identities(["qnn"])
    finally:
        A.identity_checks.cache_clear()


def test_unknown_model_rejected() -> None:
    with pytest.raises(ValueError, match="model must be one of"):
        A.logit("cnn")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ numeric


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xg, tg, yg = np.meshgrid(np.linspace(-1.3, 1.3, 27), np.linspace(-7.0, 7.0, 29), [0.0, 1.0])
    return xg.ravel(), tg.ravel(), yg.ravel()


def _torch_loss(model: str, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    z = t * x if model == "mlp" else torch.cos(torch.pi * x + t)
    # written out from (S1) rather than with the library's BCE, as an independent reference
    p = torch.sigmoid(z)
    return -(y * torch.log(p) + (1 - y) * torch.log1p(-p))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("model", A.MODELS)
def test_hessian_matches_torch_func_hessian(model: str) -> None:
    xg, tg, yg = (torch.tensor(a, dtype=torch.float64) for a in _grid())
    per_point = torch.func.hessian(lambda t, x, y: _torch_loss(model, x, t, y))
    ref = torch.func.vmap(per_point)(tg, xg, yg).numpy()
    ours = A.numeric_model(model).hessian(xg.numpy(), tg.numpy(), yg.numpy())
    assert ref.shape == ours.shape
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("model", A.MODELS)
def test_gradient_and_loss_match_torch(model: str) -> None:
    xg, tg, yg = _grid()
    t = torch.tensor(tg, dtype=torch.float64, requires_grad=True)
    x, y = torch.tensor(xg, dtype=torch.float64), torch.tensor(yg, dtype=torch.float64)
    loss = _torch_loss(model, x, t, y)
    (g,) = torch.autograd.grad(loss.sum(), t)
    m = A.numeric_model(model)
    np.testing.assert_allclose(m.loss(xg, tg, yg), loss.detach().numpy(), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(m.gradient(xg, tg, yg), g.numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("threads", [1, 3])
def test_autograd_check_holds_under_other_global_numeric_settings(threads: int) -> None:
    # Settings another chapter or library could leave behind in a shared kernel: a float32
    # default dtype, another thread count, flushed denormals, and inputs that are misaligned
    # views. The check is explicitly float64 and elementwise, so none may move it off rounding.
    saved = torch.get_default_dtype(), torch.get_num_threads()
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    try:
        rows = AR.discrepancy_table("smoke")
        xg, tg, yg = AR.check_grid("smoke")
        buffers = [np.empty(a.size + 1) for a in (xg, tg, yg)]
        views = [b[1:] for b in buffers]  # 8 bytes off the allocation's alignment
        for view, a in zip(views, (xg, tg, yg), strict=True):
            view[:] = a
        shifted = [
            np.max(np.abs(A.numeric_model(m).hessian(*views) - A.autograd_hessian(m, *views)))
            for m in A.MODELS
        ]
    finally:
        torch.set_flush_denormal(False)
        torch.set_default_dtype(saved[0])
        torch.set_num_threads(saved[1])
    auto = [r.max_abs for r in rows if r.reference == "torch autograd"]
    assert len(auto) == 2 and max(auto + shifted) <= AR.AUTOGRAD_TOLERANCE


def test_autograd_discrepancy_report_names_the_worst_point_and_the_settings() -> None:
    report = AR.autograd_discrepancy_report("smoke")
    lines = report.splitlines()
    assert len(lines) == 1 + len(A.MODELS)
    assert "242 points" in lines[0] and "threads" in lines[0] and "CPU capability" in lines[0]
    for model, line in zip(A.MODELS, lines[1:], strict=True):
        assert line.startswith(f"{model}: max |Δ| ") and "theta=" in line and "autograd" in line
        worst = float(line.split("max |Δ| ")[1].split()[0])
        assert worst <= AR.AUTOGRAD_TOLERANCE


@pytest.mark.parametrize("model", A.MODELS)
def test_autograd_hessian_helper(model: str) -> None:
    xg, tg, yg = _grid()
    np.testing.assert_allclose(
        A.autograd_hessian(model, xg, tg, yg),
        A.numeric_model(model).hessian(xg, tg, yg),
        rtol=0,
        atol=1e-12,
    )


@pytest.mark.parametrize("model", A.MODELS)
def test_hessian_matches_five_point_finite_differences(model: str) -> None:
    """5-point stencil, h = 5e-3: truncation ~h^4/90, rounding ~5 eps/h^2; both ~1e-10."""
    xg, tg, yg = _grid()
    ours = A.numeric_model(model).hessian(xg, tg, yg)
    fd = A.finite_difference_hessian(model, xg, tg, yg, h=5e-3)
    np.testing.assert_allclose(fd, ours, rtol=0, atol=1e-9)


@pytest.mark.parametrize("model", A.MODELS)
def test_gradient_matches_finite_differences(model: str) -> None:
    xg, tg, yg = _grid()
    m, h = A.numeric_model(model), 1e-3
    fd = (
        -m.loss(xg, tg + 2 * h, yg)
        + 8 * m.loss(xg, tg + h, yg)
        - 8 * m.loss(xg, tg - h, yg)
        + m.loss(xg, tg - 2 * h, yg)
    ) / (12 * h)
    np.testing.assert_allclose(fd, m.gradient(xg, tg, yg), rtol=0, atol=1e-10)


def test_finite_difference_rejects_bad_step() -> None:
    with pytest.raises(ValueError, match="positive"):
        A.finite_difference_hessian("mlp", 1.0, 0.0, 1, h=0.0)


@pytest.mark.parametrize("model", A.MODELS)
def test_hessian_is_term_a_minus_term_b(model: str) -> None:
    xg, tg, yg = _grid()
    m = A.numeric_model(model)
    np.testing.assert_allclose(
        m.hessian(xg, tg, yg), m.term_a(xg, tg, yg) - m.term_b(xg, tg, yg), atol=1e-15
    )


def test_mlp_term_b_vanishes_and_hessian_ignores_label() -> None:
    xg, tg, _ = _grid()
    m = A.numeric_model("mlp")
    assert np.all(m.term_b(xg, tg, 0) == 0.0)
    np.testing.assert_array_equal(m.hessian(xg, tg, 0), m.hessian(xg, tg, 1))


def test_closed_form_values() -> None:
    mlp, qnn = A.numeric_model("mlp"), A.numeric_model("qnn")
    # theta = 0: p = 1/2, H_MLP = x^2 / 4
    np.testing.assert_allclose(mlp.hessian([0.5, -2.0], 0.0, 1), [0.0625, 1.0])
    # phi = 0: p = sigma(1), sin = 0, cos = 1 -> H = -(p - y)
    s1 = 1.0 / (1.0 + np.exp(-1.0))
    np.testing.assert_allclose(qnn.hessian(0.0, 0.0, [0, 1]), [-s1, 1.0 - s1], rtol=1e-15)
    # phi = pi/2: p = 1/2, Term B = 0, H = 1/4
    np.testing.assert_allclose(qnn.hessian(0.5, 0.0, [0, 1]), [0.25, 0.25], atol=1e-15)


def test_numeric_functions_are_overflow_safe() -> None:
    mlp = A.numeric_model("mlp")
    big = np.array([-1e4, 1e4])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(mlp.loss(1.0, big, 1), [1e4, 0.0])
        np.testing.assert_array_equal(mlp.hessian(1.0, big, 1), [0.0, 0.0])
        np.testing.assert_allclose(mlp.gradient(1.0, big, 0), [0.0, 1.0])


def test_numeric_broadcasting_and_dtype() -> None:
    h = A.numeric_model("mlp").hessian(np.linspace(-1, 1, 5)[:, None], np.zeros(3), 1)
    assert h.shape == (5, 3) and h.dtype == np.float64


def test_labels_must_be_binary() -> None:
    with pytest.raises(ValueError, match="0 or 1"):
        A.numeric_model("qnn").hessian(0.1, 0.2, 0.5)


def test_mlp_hessian_nonnegative_everywhere() -> None:
    xg, tg, yg = np.meshgrid(np.linspace(-3, 3, 61), np.linspace(-40, 40, 161), [0.0, 1.0])
    h = A.numeric_model("mlp").hessian(xg, tg, yg)
    assert h.min() >= 0.0
    assert h.max() <= 9.0 / 4.0 + 1e-15  # x^2 p(1-p) <= x^2 / 4


def test_qnn_hessian_negative_for_mislabeled_point() -> None:
    """x = 0, theta = 0: z = 1 (predict 1); the label y = 0 is wrong -> H = -sigma(1) < 0."""
    qnn = A.numeric_model("qnn")
    assert A.misclassified("qnn", 0.0, 0.0, 0)
    h = float(qnn.hessian(0.0, 0.0, 0))
    assert h < -0.7
    assert float(qnn.term_b(0.0, 0.0, 0)) > 0  # printed Term B positive, entering with a minus
    assert float(qnn.hessian(0.0, 0.0, 1)) > 0  # the correctly labelled copy curves upward


def test_qnn_term_b_contribution_sign_equals_misclassification() -> None:
    """-(p - y) cos(phi) < 0 exactly where the point is misclassified (and cos phi != 0)."""
    phi = np.linspace(-np.pi, np.pi, 1000)  # even count: avoids cos(phi) == 0
    for label in (0, 1):
        minus_b = -A.numeric_model("qnn").term_b(0.0, phi, label)
        wrong = A.misclassified("qnn", 0.0, phi, label)
        np.testing.assert_array_equal(minus_b < 0, wrong)


# ------------------------------------------------------------------------------ datasets


def test_toy_dataset_layout() -> None:
    clean, noisy = A.toy_dataset(None), A.toy_dataset(0.5)
    assert clean.x.size == 6 and not clean.mislabeled.any()
    np.testing.assert_array_equal(clean.y, (clean.x > 0).astype(int))
    assert noisy.x.size == 7 and noisy.mislabeled.tolist() == [False] * 6 + [True]
    assert noisy.y[-1] == 0 and noisy.x[-1] == 0.5
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        A.toy_dataset(1.5)


def test_dataset_totals_are_sums() -> None:
    ds, t = A.toy_dataset(0.6), np.array([-1.0, 0.3, 2.0])
    for model in A.MODELS:
        m = A.numeric_model(model)
        np.testing.assert_allclose(
            A.dataset_hessian(model, ds, t),
            [m.hessian(ds.x, ti, ds.y).sum() for ti in t],
        )
        np.testing.assert_allclose(
            A.dataset_loss(model, ds, t), [m.loss(ds.x, ti, ds.y).sum() for ti in t]
        )


@pytest.mark.parametrize("model", A.MODELS)
@pytest.mark.parametrize("outlier", [0.3, 0.5, 0.6])
def test_minimizer_is_stationary_with_positive_curvature(model: str, outlier: float) -> None:
    ds = A.toy_dataset(outlier)
    m = A.minimize_dataset_loss(model, ds)
    assert not m.at_boundary
    grad = A.numeric_model(model).gradient(ds.x, m.theta, ds.y).sum()
    assert abs(grad) < 1e-7
    assert m.hessian > 0
    grid = np.linspace(*m.bounds, 20001)
    assert m.loss <= A.dataset_loss(model, ds, grid).min() + 1e-12


def test_clean_minimizers() -> None:
    clean = A.toy_dataset(None)
    mlp = A.minimize_dataset_loss("mlp", clean)
    assert mlp.at_boundary and mlp.theta > 29  # separable: loss decreases as theta -> inf
    assert mlp.hessian < 1e-3
    qnn = A.minimize_dataset_loss("qnn", clean)
    np.testing.assert_allclose(qnn.theta, -np.pi / 2, atol=1e-6)
    assert not qnn.at_boundary


def test_conflicting_pair_minimizers() -> None:
    pair = A.pair_dataset(0.5, conflicting=True)
    mlp = A.minimize_dataset_loss("mlp", pair)
    np.testing.assert_allclose([mlp.theta, mlp.hessian], [0.0, 0.125], atol=1e-8)
    qnn = A.minimize_dataset_loss("qnn", pair)
    assert np.isclose(np.cos(np.pi * 0.5 + qnn.theta), 0.0, atol=1e-6)
    np.testing.assert_allclose(qnn.hessian, 0.5, atol=1e-8)


def test_outlier_lowers_qnn_curvature_and_raises_mlp_curvature() -> None:
    rows = {(r.model, r.outlier): r for r in A.outlier_sweep([0.5])}
    qnn, mlp = rows[("qnn", 0.5)], rows[("mlp", 0.5)]
    np.testing.assert_allclose(qnn.theta, -np.pi / 2, atol=1e-6)  # the outlier does not move it
    np.testing.assert_allclose(qnn.outlier_hessian, -1.0 / (1.0 + np.exp(-1.0)), atol=1e-10)
    assert qnn.hessian < qnn.clean_hessian
    assert mlp.hessian > mlp.clean_hessian and mlp.outlier_hessian > 0


def test_misclassified_rule() -> None:
    assert A.misclassified("mlp", 0.5, 2.0, 0) and not A.misclassified("mlp", 0.5, 2.0, 1)
    assert A.misclassified("mlp", -0.5, 2.0, 1)


# ------------------------------------------------------------------------------ claims


def test_outlier_positions_per_profile() -> None:
    assert len(AR.outlier_positions("paper")) == get_profile("paper").analytic_sweep
    assert AR.outlier_positions("smoke").round(3).tolist() == [0.05, 0.275, 0.5, 0.725, 0.95]
    with pytest.raises(ValueError, match="profile"):
        AR.outlier_positions("huge")


def test_toy_summary_matches_the_minimisers() -> None:
    for model in A.MODELS:
        s = A.toy_summary(model)
        m1 = A.minimize_dataset_loss(model, A.toy_dataset(A.TOY_OUTLIER))
        assert s["θ* with outlier"] == m1.theta and s["H total, with outlier"] == m1.hessian
        assert s["H of the outlier"] + s["H clean points at θ* with outlier"] == pytest.approx(
            m1.hessian
        )
    assert A.toy_summary("mlp")["clean minimum at interval end"] is True


def test_claim_verdicts_smoke() -> None:
    verdicts = AR.claim_verdicts("smoke")
    assert [v.label for v in verdicts] == [
        "reproduced",
        "reproduced",
        "reproduced",
        "reproduced",
        "partly reproduced",
    ]
    assert "5 outlier positions" in verdicts[4].evidence


def test_claim_verdicts_fail_on_a_wrong_printed_formula(monkeypatch: pytest.MonkeyPatch) -> None:
    real = A.identity_checks

    def broken(model: str) -> tuple:
        checks = real(model)
        return (A.IdentityCheck(**{**vars(checks[0]), "residual": sp.Integer(1)}), *checks[1:])

    monkeypatch.setattr(AR, "identity_checks", broken)
    verdicts = AR.claim_verdicts("smoke")
    assert verdicts[0].reproduced is False and verdicts[1].reproduced is False
    assert verdicts[0].evidence.startswith("58/60")
