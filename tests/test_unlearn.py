"""Unlearning losses against hand computations, and the shared loop's guarantees."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch

from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.core.train import TrainConfig, accuracy, fit
from qmlr.core.unlearn import (
    METHODS,
    METRICS,
    Finetune,
    GradAsc,
    Logits,
    Retrain,
    Scrub,
    ScrubKurmanji,
    bernoulli_kl,
    fresh_like,
    get_method,
    unlearn,
)


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny tensors: torch's thread pool only adds overhead (restored afterwards)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --------------------------------------------------------------------------------------------
# hand computations on tiny tensors (float64)
# --------------------------------------------------------------------------------------------


def sig(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def bce(z: float, y: int) -> float:
    p = sig(z)
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def kl(t: float, s: float, temp: float = 1.0) -> float:
    p, q = sig(t / temp), sig(s / temp)
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


R_S, R_Y, R_T = [0.5, -1.0, 2.0], [1, 0, 0], [1.5, -0.3, 0.2]  # retain: student, labels, teacher
F_S, F_Y, F_T = [-0.7, 3.0], [1, 1], [1.2, 2.5]  # forget: student, poisoned labels, teacher


def tiny_logits() -> Logits:
    t = lambda v: torch.tensor([v], dtype=torch.float64)  # noqa: E731
    return Logits(t(R_S), t(R_Y), t(R_T), t(F_S), t(F_Y), t(F_T))


def mean(values) -> float:
    return sum(values) / len(values)


CE_R = mean([bce(z, y) for z, y in zip(R_S, R_Y, strict=True)])
CE_F = mean([bce(z, y) for z, y in zip(F_S, F_Y, strict=True)])
KL_R = mean([kl(t, s) for t, s in zip(R_T, R_S, strict=True)])
KL_F = mean([kl(t, s) for t, s in zip(F_T, F_S, strict=True)])


def test_bernoulli_kl_matches_formula_and_is_nonnegative():
    t = torch.tensor([0.3, -2.0, 5.0, 0.0], dtype=torch.float64)
    s = torch.tensor([-1.0, -2.5, 4.0, 0.0], dtype=torch.float64)
    expected = [kl(a, b) for a, b in zip(t.tolist(), s.tolist(), strict=True)]
    np.testing.assert_allclose(bernoulli_kl(t, s).numpy(), expected, rtol=1e-12, atol=1e-15)
    expected_t = [kl(a, b, 4.0) for a, b in zip(t.tolist(), s.tolist(), strict=True)]
    np.testing.assert_allclose(bernoulli_kl(t, s, 4.0).numpy(), expected_t, rtol=1e-12)
    g = torch.Generator().manual_seed(0)
    a = 10 * torch.randn(2000, generator=g, dtype=torch.float64)
    b = 10 * torch.randn(2000, generator=g, dtype=torch.float64)
    assert bool((bernoulli_kl(a, b) >= -1e-14).all())
    assert bool((bernoulli_kl(a, b) > 0).all())  # strictly positive where the logits differ
    assert bool((bernoulli_kl(a, a) == 0).all())  # exactly zero where they are equal


def test_bernoulli_kl_refuses_bad_input():
    with pytest.raises(ValueError, match="temperature"):
        bernoulli_kl(torch.zeros(2), torch.zeros(2), temperature=0.0)
    with pytest.raises(ValueError, match="shape"):
        bernoulli_kl(torch.zeros(2), torch.zeros(3))


def test_each_loss_equals_its_formula():
    out = tiny_logits()
    cases = {
        "retrain": CE_R,
        "finetune": CE_R,
        "scrub": 1.0 * CE_R + 0.0 * KL_R - 0.2 * KL_F,
        "grad_asc": CE_R - 0.2 * CE_F,
    }
    for name, expected in cases.items():
        np.testing.assert_allclose(get_method(name).loss(out).numpy(), [expected], rtol=1e-12)
    np.testing.assert_allclose(
        Scrub(ce=0.5, kl=0.7, fo=0.3).loss(out).numpy(),
        [0.5 * CE_R + 0.7 * KL_R - 0.3 * KL_F],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        GradAsc(ce=2.0, beta=0.5).loss(out).numpy(), [2.0 * CE_R - 0.5 * CE_F], rtol=1e-12
    )
    k = ScrubKurmanji(gamma=0.99, alpha=0.3, temperature=2.0)
    kl_r_t = mean([kl(t, s, 2.0) for t, s in zip(R_T, R_S, strict=True)])
    kl_f_t = mean([kl(t, s, 2.0) for t, s in zip(F_T, F_S, strict=True)])
    np.testing.assert_allclose(k.loss(out).numpy(), [0.99 * CE_R + 0.3 * 4 * kl_r_t], rtol=1e-12)
    np.testing.assert_allclose(k.max_loss(out).numpy(), [-4 * kl_f_t], rtol=1e-12)


def test_ascent_terms_have_the_right_sign():
    """d loss / d forget-logit: grad-asc pushes the forget CE up, scrub the forget KL up."""
    out = tiny_logits()
    f = out.forget.clone().requires_grad_(True)
    shifted = Logits(out.retain, out.retain_labels, out.teacher_retain, f, out.forget_labels, None)
    GradAsc(ce=0.0, beta=1.0).loss(shifted).sum().backward()
    # CE with label 1 falls as the logit rises, so ascent wants the logit to fall: grad > 0.
    assert bool((f.grad > 0).all())
    f2 = out.forget.clone().requires_grad_(True)
    shifted = Logits(out.retain, out.retain_labels, None, f2, None, out.teacher_forget)
    Scrub(ce=0.0, kl=0.0, fo=1.0).loss(shifted).sum().backward()
    # -KL: a gradient step moves the student further from the teacher.
    moved = (f2 - 0.01 * f2.grad).detach()
    assert float(bernoulli_kl(out.teacher_forget, moved).mean()) > KL_F


# --------------------------------------------------------------------------------------------
# the loop
# --------------------------------------------------------------------------------------------


@functools.cache
def toy_problem(members: int = 1, seed: int = 0, d: int = 5):
    """A poisoned model trained on a separable problem with 30% flipped labels."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(members, 40, d, generator=g, dtype=torch.float64)
    y = (x[..., 0] + 0.5 * x[..., 1] > 0).long()
    flipped = torch.arange(12)
    y_poisoned = y.clone()
    y_poisoned[:, flipped] = 1 - y_poisoned[:, flipped]
    seeds = tuple(range(3, 3 + members))
    model = MLP(d, (8, 4), seeds=seeds, dtype=torch.float64)
    fit(model, x, y_poisoned, TrainConfig(epochs=25, batch_size=10, lr=0.03), seeds=seeds)
    retain = (x[:, 12:], y[:, 12:])
    forget = (x[:, :12], y_poisoned[:, :12])
    xv = torch.randn(30, d, generator=g, dtype=torch.float64)
    val = (xv, (xv[:, 0] + 0.5 * xv[:, 1] > 0).long())
    return model, retain, forget, val


def params_of(model):
    return [p.detach().clone() for p in model.parameters()]


def test_curves_have_steps_plus_one_points_and_step0_equals_teacher():
    model, retain, forget, val = toy_problem()
    for name in METHODS:
        run = unlearn(model, model, get_method(name), retain, forget, val, 6, 0.01, seeds=(1,))
        assert set(run.curves) == set(METRICS)
        assert all(c.shape == (1, 7) for c in run.curves.values())
        if name == "retrain":
            continue
        np.testing.assert_allclose(run.curves["val_accuracy"][:, 0], accuracy(model, *val))
        np.testing.assert_allclose(run.curves["forget_accuracy"][:, 0], accuracy(model, *forget))
        np.testing.assert_allclose(run.curves["retain_accuracy"][:, 0], accuracy(model, *retain))
    both = (torch.cat([retain[0], forget[0]], 1), torch.cat([retain[1], forget[1]], 1))
    np.testing.assert_allclose(run.curves["train_accuracy"][:, 0], accuracy(model, *both))


def test_inputs_are_not_modified_and_retrain_starts_fresh():
    model, retain, forget, val = toy_problem()
    before = params_of(model)
    run = unlearn(model, model, Retrain(), retain, forget, val, 2, 0.01, seeds=(1,), init_seeds=[9])
    for a, b in zip(before, params_of(model), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    fresh = fresh_like(model, (9,))
    np.testing.assert_allclose(run.curves["val_accuracy"][:, 0], accuracy(fresh, *val))
    assert not torch.equal(fresh.weights[0], model.weights[0])


def test_retrain_never_sees_the_forget_set():
    model, retain, forget, val = toy_problem()
    other = (torch.randn_like(forget[0]) * 100, 1 - forget[1])
    a = unlearn(model, model, Retrain(), retain, forget, val, 5, 0.01, seeds=(1,))
    b = unlearn(model, model, Retrain(), retain, other, val, 5, 0.01, seeds=(1,))
    for p, q in zip(params_of(a.model), params_of(b.model), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)
    np.testing.assert_array_equal(a.curves["val_accuracy"], b.curves["val_accuracy"])


def test_grad_asc_step_increases_the_forget_ce():
    model, retain, forget, val = toy_problem()
    run = unlearn(model, model, GradAsc(ce=0.0, beta=1.0), retain, forget, val, 1, 0.01, seeds=(1,))
    loss = run.curves["forget_loss"][0]
    assert loss[1] > loss[0]
    descent = unlearn(model, model, GradAsc(0.0, -1.0), retain, forget, val, 1, 0.01, seeds=(1,))
    assert descent.curves["forget_loss"][0, 1] < loss[0]  # the opposite sign lowers it


def test_finetune_equals_scrub_and_grad_asc_without_forget_terms():
    model, retain, forget, val = toy_problem()
    kwargs = dict(steps=4, lr=0.01, batch_size=10, seeds=(2,))
    ref = unlearn(model, model, Finetune(), retain, forget, val, **kwargs)
    for method in (Scrub(ce=1.0, kl=0.0, fo=0.0), GradAsc(ce=1.0, beta=0.0)):
        run = unlearn(model, model, method, retain, forget, val, **kwargs)
        for p, q in zip(params_of(ref.model), params_of(run.model), strict=True):
            torch.testing.assert_close(p, q, rtol=0, atol=0)
        for m in METRICS:
            np.testing.assert_array_equal(ref.curves[m], run.curves[m])


def test_minibatches_give_several_updates_per_step():
    model, retain, forget, val = toy_problem()
    full = unlearn(model, model, Finetune(), retain, forget, val, 1, 0.01, None, (2,))
    small = unlearn(model, model, Finetune(), retain, forget, val, 1, 0.01, 10, (2,))
    assert (full.updates_per_step, small.updates_per_step) == (1, 3)
    assert not torch.equal(full.model.weights[0], small.model.weights[0])


def test_determinism_per_seed():
    model, retain, forget, val = toy_problem()
    kwargs = dict(steps=3, lr=0.01, batch_size=7)
    for name in METHODS:
        method = get_method(name)
        a = unlearn(model, model, method, retain, forget, val, seeds=(5,), **kwargs)
        b = unlearn(model, model, method, retain, forget, val, seeds=(5,), **kwargs)
        c = unlearn(model, model, method, retain, forget, val, seeds=(6,), **kwargs)
        for m in METRICS:
            np.testing.assert_array_equal(a.curves[m], b.curves[m])
        for p, q in zip(params_of(a.model), params_of(b.model), strict=True):
            torch.testing.assert_close(p, q, rtol=0, atol=0)
        assert not torch.equal(a.model.weights[0], c.model.weights[0])


@pytest.mark.parametrize("kind", ["mlp", "qnn"])
def test_divergence_gradient_is_exactly_zero_at_the_teacher(kind):
    """Otherwise Adam would normalize rounding noise into full-size steps."""
    if kind == "mlp":
        model, x = MLP(6, (5,), seeds=(1,)), torch.randn(1, 9, 6)
    else:
        x = torch.randn(1, 9, 16, dtype=torch.complex64)
        model, x = QNN(4, 2, seeds=(1,)), x / x.abs().pow(2).sum(-1, keepdim=True).sqrt()
    with torch.no_grad():
        teacher = model(x)
    out = Logits(None, None, None, model(x), None, teacher)
    ScrubKurmanji().max_loss(out).sum().backward()
    assert all(bool((p.grad == 0).all()) for p in model.parameters())
    model, retain, forget, val = toy_problem()
    idle = ScrubKurmanji(gamma=0.0, alpha=0.0, max_steps=1)  # only the max-step acts
    run = unlearn(model, model, idle, retain, forget, val, 1, 0.01, seeds=(1,))
    for p, q in zip(params_of(model), params_of(run.model), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


def test_scrub_kurmanji_max_steps_change_the_result():
    model, retain, forget, val = toy_problem()
    kwargs = dict(steps=4, lr=0.01, seeds=(1,))
    with_max = unlearn(model, model, ScrubKurmanji(max_steps=3), retain, forget, val, **kwargs)
    no_max = unlearn(model, model, ScrubKurmanji(max_steps=0), retain, forget, val, **kwargs)
    assert not torch.equal(with_max.model.weights[0], no_max.model.weights[0])


@pytest.mark.parametrize("kind", ["mlp", "qnn"])
@pytest.mark.parametrize("name", ["scrub", "grad_asc", "scrub_kurmanji", "retrain"])
def test_ensemble_member_unlearns_exactly_like_a_model_alone(kind, name):
    g = torch.Generator().manual_seed(4)
    if kind == "mlp":
        x = torch.randn(3, 30, 6, generator=g, dtype=torch.float64)
        make = lambda seeds: MLP(6, (8, 4), seeds=seeds, dtype=torch.float64)  # noqa: E731
    else:
        x = torch.randn(3, 30, 2**4, generator=g, dtype=torch.complex128)
        x = x / x.abs().pow(2).sum(-1, keepdim=True).sqrt()
        make = lambda seeds: QNN(4, 2, seeds=seeds, dtype=torch.complex128)  # noqa: E731
    y = (x[..., 0].abs() > x[..., 1].abs()).long()
    y_f = 1 - y[:, :9]
    together, alone = make((10, 11, 12)), make((11,))
    kwargs = dict(steps=3, lr=0.05, batch_size=8)
    method = get_method(name)
    run = unlearn(
        together,
        together,
        method,
        (x[:, 9:], y[:, 9:]),
        (x[:, :9], y_f),
        (x[0], y[0]),
        seeds=(20, 21, 22),
        init_seeds=(30, 31, 32),
        **kwargs,
    )
    run1 = unlearn(
        alone,
        alone,
        method,
        (x[1:2, 9:], y[1:2, 9:]),
        (x[1:2, :9], y_f[1:2]),
        (x[0], y[0]),
        seeds=(21,),
        init_seeds=(31,),
        **kwargs,
    )
    np.testing.assert_allclose(run.curves["forget_loss"][1], run1.curves["forget_loss"][0], 1e-7)
    for p_together, p_alone in zip(run.model.parameters(), run1.model.parameters(), strict=True):
        torch.testing.assert_close(p_together[1:2], p_alone, rtol=1e-5, atol=1e-7)


def test_bad_inputs_are_refused():
    model, retain, forget, val = toy_problem()
    ok = dict(steps=1, lr=0.01, seeds=(0,))
    with pytest.raises(ValueError, match="unknown unlearning method"):
        get_method("sparse")
    with pytest.raises(ValueError, match="not an unlearning method"):
        unlearn(model, model, "finetune", retain, forget, val, **ok)
    with pytest.raises(ValueError, match="retain must be"):
        unlearn(model, model, Finetune(), (retain[0][0], retain[1][0]), forget, val, **ok)
    with pytest.raises(ValueError, match="forget is empty"):
        unlearn(model, model, Finetune(), retain, (forget[0][:, :0], forget[1][:, :0]), val, **ok)
    with pytest.raises(ValueError, match="labels"):
        unlearn(model, model, Finetune(), retain, (forget[0], forget[1] + 2), val, **ok)
    with pytest.raises(ValueError, match="seeds"):
        unlearn(model, model, Finetune(), retain, forget, val, 1, 0.01, seeds=(0, 1))
    for bad in (dict(steps=-1), dict(lr=0.0), dict(batch_size=0)):
        with pytest.raises(ValueError, match="need steps"):
            unlearn(model, model, Finetune(), retain, forget, val, **{**ok, **bad})
    with pytest.raises(ValueError, match="feature dimension"):
        unlearn(model, model, Finetune(), retain, forget, (val[0][:, :3], val[1]), **ok)
    with pytest.raises(ValueError, match="re-initialize"):
        fresh_like(torch.nn.Linear(2, 1), (0,))
    with pytest.raises(ValueError, match="SCRUB"):
        ScrubKurmanji(temperature=0.0)


def test_each_method_is_its_torch_free_weights_class_and_its_loss() -> None:
    from qmlr.core import unlearn_catalog as catalog

    assert tuple(catalog.METHOD_WEIGHTS) == catalog.METHODS
    for name in catalog.METHODS:
        method = get_method(name)
        assert isinstance(method, type(catalog.method_weights(name)))
        assert method.params() == catalog.method_weights(name).params()
        assert method.fresh_init == catalog.method_weights(name).fresh_init
