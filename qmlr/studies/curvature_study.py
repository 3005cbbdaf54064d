"""The curvature study (SI IV.D and the paper's Hessian figure): specs, computation, records, plots.

One :class:`CurvatureSpec` is one trained model whose loss curvature is measured: a
*configuration*, a model, a label-noise ratio α and a run index.

* ``"si"`` — the Supplementary Information's setup: MNIST 1 vs 9 (250 + 250 training images),
  the SI IV models (MLP [16, 4]; QNN with 10 qubits, depth 6, RX-RY-RX + RZZ ring) trained with
  SI Table I; the Hessian of the BCE loss on 100 random (poisoned) training samples.
* ``"authors-code"`` — the setup of the authors' research code, from which the paper's figure
  came (the authors' public research code): a QNN of RX and RY layers with a CNOT ring, depth 5
  (:class:`RxRyCnotQNN`); an MLP [8, 2]; a 70/30 split of the 500 (poisoned) images; 50 epochs,
  batch 32, lr 0.01; the Hessian on 100 of the held-out 30 %.

Both configurations train in **double precision** (float64 / complex128), unlike the sweeps: the
Hessian is a second derivative at a trained point, and the QNN's spectrum spans five decades.
Label flipping reuses the sweeps' machinery — a :class:`~qmlr.studies.specs.CellSpec` with the same
seeds (:meth:`CurvatureSpec.cell`) and :func:`qmlr.studies.runner.poisoned_training_set` — so the MLP and
QNN of a given (α, run) see the same poison, and the ``si`` models share poison, initialisation
and minibatch order with the resilience sweep's MNIST cells.

Measured per model (see :func:`measure`): the exact trace, ``λ_max`` and ``λ_min``, the spectral
density by stochastic Lanczos quadrature (and for the QNNs the exact spectrum), the share of
negative curvature, the Gauss–Newton / residual split of the trace (Terms A and B of SI §I), and
whether an MLP is *dead*.

Example:
    >>> from qmlr.studies.experiments import get_profile
    >>> specs = curvature_specs(get_profile("paper"))
    >>> len(specs), sorted({s.config for s in specs})
    (80, ['authors-code', 'si'])
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch

from qmlr.core import curvature as C
from qmlr.core.train import TrainConfig, fit
from qmlr.studies.experiments import (
    PAPER_MLP_HIDDEN,
    PAPER_QNN_DEPTH,
    Profile,
    StudyDefinition,
    training_config,
)
from qmlr.studies.runner import build_model, clean_split, model_inputs, poisoned_training_set
from qmlr.studies.specs import (
    CellSpec,
    DataSpec,
    ModelSpec,
    derive_seed,
    json_form,
    model_from_dict,
    spec_key,
)
from qmlr.studies.store import CellResult, environment_provenance

STUDY = "curvature"
CONFIGS = ("si", "authors-code")
#: Display names of the configurations.
CONFIG_NAMES = {"si": "SI", "authors-code": "authors'-code"}
MODEL_KINDS = ("mlp", "qnn")

#: Rademacher probes of the Hutchinson cross-check.
HUTCHINSON_PROBES = 30

#: The authors' research code (the authors' public research code).
AUTHORS_TRAINING = TrainConfig(epochs=50, batch_size=32, lr=0.01)
AUTHORS_MLP_HIDDEN = (8, 2)
AUTHORS_QNN_DEPTH = 5
AUTHORS_TRAIN_FRACTION = 0.7

#: Precision of training and Hessian (float64 / complex128).
PRECISION = "double"
#: An MLP is *dead* when its logit varies by less than this over all its training inputs
#: (a constant function of the input: every unit of some hidden layer is off on every sample).
DEAD_LOGIT_SPREAD = 1e-6
#: Hessian-vector products mapped at once, per model kind (memory vs speed).
HVP_CHUNK = {"mlp": 1024, "qnn": 8}
#: ARPACK relative tolerance for λ_max / λ_min.
EIGSH_TOL = 1e-8
#: Points of the stored per-run density grid.
DENSITY_POINTS = 101

N_QUBITS = 10
_DATA = DataSpec("mnist")


# --------------------------------------------------------------------------------------------
# the authors' QNN: RX and RY layers with a CNOT ring
# --------------------------------------------------------------------------------------------


def _rotation(angle: torch.Tensor, pauli: str, cdtype: torch.dtype) -> torch.Tensor:
    """``exp(-i angle P / 2)`` for P in {X, Y}, batched: ``(...,) -> (..., 2, 2)``."""
    c = torch.cos(angle / 2).to(cdtype)
    s = torch.sin(angle / 2).to(cdtype)
    if pauli == "x":
        top, bottom = torch.stack([c, -1j * s], dim=-1), torch.stack([-1j * s, c], dim=-1)
    else:
        top, bottom = torch.stack([c, -s], dim=-1), torch.stack([s, c], dim=-1)
    return torch.stack([top, bottom], dim=-2)


def _kron(factors: torch.Tensor) -> torch.Tensor:
    """``(E, n, 2, 2)`` → ``(E, 2**n, 2**n)``, the first factor acting on the most significant
    bit."""
    out = factors[:, 0]
    for j in range(1, factors.shape[1]):
        e, d = out.shape[0], out.shape[1]
        out = torch.einsum("eab,ecd->eacbd", out, factors[:, j]).reshape(e, 2 * d, 2 * d)
    return out


@functools.lru_cache(maxsize=16)
def cnot_ring_permutation(n_qubits: int) -> torch.Tensor:
    """Basis permutation of ``CNOT(0,1) CNOT(1,2) … CNOT(L−1,0)`` (applied in this order).

    The ring maps basis state ``k`` to ``f(k)``; the returned index ``g = f⁻¹`` satisfies
    ``ψ_out = ψ_in[..., g]``. Qubit 0 is the most significant bit.

    :param n_qubits: ``L`` (at least 2).
    :return: int64 tensor of shape ``(2**L,)``.

    Example:
        >>> cnot_ring_permutation(2).tolist()  # CNOT(0,1) then CNOT(1,0)
        [0, 2, 3, 1]
    """
    if n_qubits < 2:
        raise ValueError(f"a CNOT ring needs at least 2 qubits, got {n_qubits}")
    with torch.inference_mode(False), torch.no_grad():
        k = torch.arange(2**n_qubits)
        shifts = torch.arange(n_qubits - 1, -1, -1)
        bits = (k[:, None] >> shifts) & 1  # (2**L, L), column q = qubit q
        for q in range(n_qubits):
            t = (q + 1) % n_qubits
            bits[:, t] ^= bits[:, q]
        image = (bits << shifts).sum(dim=1)
        inverse = torch.empty_like(image)
        inverse[image] = k
    return inverse


def rxry_expectation(params: torch.Tensor, states: torch.Tensor) -> torch.Tensor:
    """``<Z_{L−1}>`` of the RX–RY–CNOT-ring circuit (dense batched statevector, autograd-ready).

    Each of the ``depth`` layers applies ``RX(θ[l, q, 0])`` then ``RY(θ[l, q, 1])`` on every
    qubit ``q``, then ``CNOT(q, q+1 mod L)`` for ``q = 0 … L−1`` in order. The one-qubit gates of a
    layer are fused into two Kronecker factors (high and low qubits) applied as matrix products;
    the CNOT ring is one basis permutation.

    :param params: real angles ``(E, depth, L, 2)``.
    :param states: amplitudes ``(E, B, 2**L)`` (real inputs are cast to complex of the params'
        precision).
    :return: real tensor ``(E, B)``.

    Example:
        >>> params = torch.zeros(1, 1, 2, 2, dtype=torch.float64)
        >>> states = torch.eye(4, dtype=torch.complex128)[None]
        >>> rxry_expectation(params, states).tolist()  # |10> → CNOT(0,1) → |11> → CNOT(1,0) → |01>
        [[1.0, -1.0, -1.0, 1.0]]
    """
    if params.ndim != 4 or params.shape[-1] != 2:
        raise ValueError(f"params must have shape (E, depth, L, 2), got {tuple(params.shape)}")
    n_ens, depth, n_qubits, _ = params.shape
    if states.ndim != 3 or states.shape[0] != n_ens or states.shape[-1] != 2**n_qubits:
        raise ValueError(
            f"states must have shape ({n_ens}, B, {2**n_qubits}), got {tuple(states.shape)}"
        )
    if not states.is_complex():
        states = states.to(torch.complex128 if params.dtype == torch.float64 else torch.complex64)
    cdtype = states.dtype
    high = (n_qubits + 1) // 2
    da, db = 2**high, 2 ** (n_qubits - high)
    perm = cnot_ring_permutation(n_qubits).to(states.device)
    psi = states
    n_batch = states.shape[1]
    for layer in range(depth):
        theta = params[:, layer]
        units = _rotation(theta[..., 1], "y", cdtype) @ _rotation(theta[..., 0], "x", cdtype)
        fac_a, fac_b = _kron(units[:, :high]), _kron(units[:, high:])
        blocked = psi.reshape(n_ens, n_batch, da, db)
        blocked = torch.einsum("eij,ebjk,elk->ebil", fac_a, blocked, fac_b)
        psi = blocked.reshape(n_ens, n_batch, da * db)[..., perm]
    probs = psi.real.square() + psi.imag.square()
    z_last = 1.0 - 2.0 * (torch.arange(2**n_qubits, device=states.device) & 1).to(probs.dtype)
    return probs @ z_last


def rxry_reference_expectation(params: torch.Tensor, state: torch.Tensor) -> torch.Tensor:
    """The same circuit built gate by gate with tensorcircuit-ng (torch backend): the definition.

    :param params: angles ``(depth, L, 2)`` (float64 for complex128 simulation).
    :param state: amplitudes ``(2**L,)``.
    :return: the real scalar ``<Z_{L−1}>``.
    """
    import tensorcircuit as tc

    from qmlr.core.qnn import tc_torch_backend

    depth, n_qubits, _ = params.shape
    cdtype = state.dtype if state.is_complex() else torch.complex128
    params = params.to(torch.float64 if cdtype == torch.complex128 else torch.float32)
    with tc_torch_backend(cdtype):
        circuit = tc.Circuit(n_qubits, inputs=state.to(cdtype))
        for layer in range(depth):
            for q in range(n_qubits):
                circuit.rx(q, theta=params[layer, q, 0])
                circuit.ry(q, theta=params[layer, q, 1])
            for q in range(n_qubits):
                circuit.cnot(q, (q + 1) % n_qubits)
        value = circuit.expectation_ps(z=[n_qubits - 1])
    return torch.real(value)


class RxRyCnotQNN(torch.nn.Module):
    """An ensemble of the authors' Hessian QNNs (:func:`rxry_expectation`), logit ``5 <Z_{L−1}>``.

    Amplitude encoding, readout and initialisation ``N(0, 0.01²)`` as in :mod:`qmlr.core.qnn`.

    :param n_qubits: ``L``.
    :param depth: layers.
    :param seeds: one seed per member.
    :param dtype: ``torch.complex64`` or ``torch.complex128``.

    Example:
        >>> model = RxRyCnotQNN(3, 2, seeds=(0, 1), dtype=torch.complex128)
        >>> model.theta.shape, model(torch.eye(8)[:5]).shape
        (torch.Size([2, 2, 3, 2]), torch.Size([2, 5]))
    """

    def __init__(
        self,
        n_qubits: int,
        depth: int,
        seeds: Sequence[int] = (0,),
        dtype: torch.dtype = torch.complex128,
    ) -> None:
        super().__init__()
        from qmlr.core.qnn import INIT_STD

        real = {torch.complex64: torch.float32, torch.complex128: torch.float64}
        if dtype not in real:
            raise ValueError(f"dtype must be torch.complex64 or torch.complex128, got {dtype}")
        if n_qubits < 2 or depth < 1 or not seeds:
            raise ValueError(
                f"need n_qubits >= 2, depth >= 1 and seeds; got {n_qubits}, {depth}, {seeds}"
            )
        self.n_qubits, self.depth, self.dtype = int(n_qubits), int(depth), dtype
        self.seeds = tuple(int(s) for s in seeds)
        init = [
            INIT_STD
            * torch.randn(
                depth, n_qubits, 2, generator=torch.Generator().manual_seed(s), dtype=torch.float64
            )
            for s in self.seeds
        ]
        self.theta = torch.nn.Parameter(torch.stack(init).to(real[dtype]))

    @property
    def n_members(self) -> int:
        """Ensemble size ``E``."""
        return len(self.seeds)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of inputs ``(E, B, 2**L)`` or ``(B, 2**L)``."""
        from qmlr.core.qnn import LOGIT_SCALE

        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.ndim != 3 or x.shape[0] != self.n_members or x.shape[-1] != 2**self.n_qubits:
            raise ValueError(
                f"inputs must have shape ({self.n_members}, B, {2**self.n_qubits}), "
                f"got {tuple(x.shape)}"
            )
        return LOGIT_SCALE * rxry_expectation(self.theta, x.to(self.dtype))


# --------------------------------------------------------------------------------------------
# specs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurvatureSpec:
    """One trained model of the curvature study and how its Hessian is measured.

    :param study: ``"curvature"``.
    :param config: ``"si"`` or ``"authors-code"`` (see the module docstring).
    :param model: the model (precision ``"double"``).
    :param train: training hyperparameters.
    :param alpha: label-flip ratio.
    :param run: run index.
    :param hessian_samples: samples the Hessian is computed on.
    :param slq_probes: SLQ probes.
    :param slq_steps: Lanczos steps per probe.
    :param base_seed: the study's seed.
    """

    kind: ClassVar[str] = "curvature-run"
    study: str
    config: Literal["si", "authors-code"]
    model: ModelSpec
    train: TrainConfig
    alpha: float
    run: int
    hessian_samples: int = 100
    slq_probes: int = 16
    slq_steps: int = 80
    base_seed: int = 2508_02422

    def __post_init__(self) -> None:
        if self.config not in CONFIGS:
            raise ValueError(f"unknown configuration {self.config!r}; choose from {CONFIGS}")
        if not 0.0 <= float(self.alpha) < 1.0 or self.run < 0 or self.hessian_samples < 1:
            raise ValueError(f"invalid curvature spec: {self}")
        object.__setattr__(self, "alpha", round(float(self.alpha), 10))

    @property
    def ansatz(self) -> str:
        """The QNN circuit (``""`` for an MLP)."""
        if self.model.kind != "qnn":
            return ""
        return "rx-ry-rx+rzz-ring" if self.config == "si" else "rx-ry+cnot-ring"

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return json_form(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> CurvatureSpec:
        """Inverse of :meth:`to_dict`."""
        rest = {k: v for k, v in d.items() if k not in ("model", "train")}
        return cls(model=model_from_dict(d["model"]), train=TrainConfig(**d["train"]), **rest)

    def key(self) -> str:
        """16-hex-digit identity in the store."""
        return spec_key(self)

    def cell(self) -> CellSpec:
        """The equivalent sweep cell: its poison seed, model seed and poisoned training set are
        this run's (label flipping on the MNIST training split)."""
        return CellSpec(
            STUDY, _DATA, self.model, self.train, "label_flip", self.alpha, self.run, self.base_seed
        )

    def hessian_seed(self) -> int:
        """Seed of the Hessian sample draw (shared by MLP and QNN of a configuration, α, run)."""
        return derive_seed(self.base_seed, "curvature-hessian", self.config, self.alpha, self.run)

    def split_seed(self) -> int:
        """Seed of the 70/30 split (``authors-code``), shared by MLP and QNN."""
        return derive_seed(self.base_seed, "curvature-split", self.alpha, self.run)

    def probe_seed(self) -> int:
        """Seed of the SLQ / Hutchinson / ARPACK start vectors."""
        return derive_seed(
            self.base_seed, "curvature-probes", self.config, self.model.kind, self.run
        )


def config_model(config: str, kind: str) -> ModelSpec:
    """The model of a configuration, in double precision.

    Example:
        >>> config_model("authors-code", "mlp").label
        'MLP [8, 2]'
    """
    if config not in CONFIGS or kind not in MODEL_KINDS:
        raise ValueError(f"unknown configuration/model {config!r}/{kind!r}")
    if kind == "mlp":
        hidden = PAPER_MLP_HIDDEN["mnist"] if config == "si" else AUTHORS_MLP_HIDDEN
        return ModelSpec("mlp", hidden=hidden, precision=PRECISION)
    depth = PAPER_QNN_DEPTH["mnist"] if config == "si" else AUTHORS_QNN_DEPTH
    return ModelSpec("qnn", depth=depth, precision=PRECISION)


def config_training(config: str, kind: str, profile: Profile) -> TrainConfig:
    """SI Table I (``si``) or the authors' 50 / 32 / 0.01 (``authors-code``), epochs scaled by
    the profile's ``curvature_epoch_scale`` (the grid, the runs and the Hessian estimators'
    sizes are the profile's too: :mod:`qmlr.studies.profiles`)."""
    profile = replace(profile, epoch_scale=profile.curvature_epoch_scale)
    if config == "si":
        return training_config("mnist", kind, profile)
    epochs = max(1, round(AUTHORS_TRAINING.epochs * profile.epoch_scale))
    return TrainConfig(epochs, AUTHORS_TRAINING.batch_size, AUTHORS_TRAINING.lr)


def curvature_specs(profile: Profile) -> list[CurvatureSpec]:
    """Every run of the study at ``profile`` (configuration × model × α × run)."""
    specs = []
    for config in CONFIGS:
        for kind in MODEL_KINDS:
            for alpha in profile.curvature_alphas:
                for run in range(profile.curvature_runs):
                    specs.append(
                        CurvatureSpec(
                            STUDY,
                            config,
                            config_model(config, kind),
                            config_training(config, kind, profile),
                            alpha,
                            run,
                            hessian_samples=profile.hessian_samples,
                            slq_probes=profile.slq_probes,
                            slq_steps=profile.slq_steps,
                        )
                    )
    return specs


# --------------------------------------------------------------------------------------------
# computation
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunData:
    """What one run trains on and where its Hessian is measured (rows of the poisoned set).

    :param x: poisoned training set features ``(500, 1024)`` (the 500 MNIST training images).
    :param y: their labels after flipping.
    :param flipped: boolean mask of flipped rows.
    :param train_rows: rows the model is trained on.
    :param hessian_rows: rows the Hessian is computed on.
    """

    x: np.ndarray
    y: np.ndarray
    flipped: np.ndarray
    train_rows: np.ndarray
    hessian_rows: np.ndarray


def run_data(spec: CurvatureSpec) -> RunData:
    """Poison, split and Hessian sample of a run.

    ``si``: train on all 500 poisoned images; Hessian on ``hessian_samples`` of them drawn
    without replacement. ``authors-code``: a seeded random 70/30 split of the 500 poisoned images
    (the flips are drawn before the split, class-balanced over all 500); train on the 70 %;
    Hessian on ``hessian_samples`` of the held-out 30 %, with the labels they carry.
    """
    poisoned = poisoned_training_set(spec.cell())
    x, y = poisoned.data.x, poisoned.data.y
    flipped = np.zeros(len(y), dtype=bool)
    flipped[poisoned.corrupted] = True
    rows = np.arange(len(y))
    if spec.config == "si":
        train_rows, pool = rows, rows
    else:
        order = np.random.default_rng(spec.split_seed()).permutation(len(y))
        n_train = int(round(AUTHORS_TRAIN_FRACTION * len(y)))
        train_rows, pool = np.sort(order[:n_train]), np.sort(order[n_train:])
    if spec.hessian_samples > len(pool):
        raise ValueError(f"{spec.hessian_samples} Hessian samples requested, {len(pool)} available")
    rng = np.random.default_rng(spec.hessian_seed())
    hessian_rows = np.sort(rng.choice(pool, size=spec.hessian_samples, replace=False))
    return RunData(x, y, flipped, train_rows, hessian_rows)


def build(spec: CurvatureSpec, seed: int) -> torch.nn.Module:
    """The single-member double-precision model of ``spec``."""
    if spec.model.kind == "qnn" and spec.config == "authors-code":
        return RxRyCnotQNN(N_QUBITS, spec.model.depth, seeds=(seed,), dtype=torch.complex128)
    return build_model(spec.model, _DATA, 1024, (seed,))


def _inputs(x: np.ndarray, spec: CurvatureSpec) -> torch.Tensor:
    return model_inputs(x, spec.model)


def is_dead(logits: np.ndarray, spread: float = DEAD_LOGIT_SPREAD) -> bool:
    """Whether a model's output is constant: ``max − min`` of its logits below ``spread``.

    Example:
        >>> is_dead(np.array([0.01, 0.01, 0.01])), is_dead(np.array([-2.0, 3.0]))
        (True, False)
    """
    logits = np.asarray(logits, dtype=np.float64)
    return bool(logits.max() - logits.min() < spread)


def density_grid(lam_min: float, lam_max: float, points: int = DENSITY_POINTS) -> np.ndarray:
    """The per-run grid of the stored density: ``[λ_min, λ_max]`` padded by 5 % of its width."""
    width = max(lam_max - lam_min, 1e-12)
    return np.linspace(lam_min - 0.05 * width, lam_max + 0.05 * width, points)


def measure(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    flipped: np.ndarray,
    kind: str,
    slq_probes: int,
    slq_steps: int,
    seed: int,
) -> dict[str, Any]:
    """Every curvature measurement of one trained model on its Hessian samples.

    MLP (``n`` in the thousands): exact trace from the diagonal of ``n`` vmapped HVPs, ``λ_max``
    and ``λ_min`` by ARPACK on the HVP operator, SLQ on the HVP operator. QNN (a few hundred
    parameters): the full Hessian, its exact eigenvalues; ARPACK and SLQ on the explicit matrix.
    Both: Hutchinson cross-check, Gauss–Newton / residual split of the trace; QNN also the
    Hessian of the flipped samples' share of the loss, to split the residual (Term B) trace.

    :param model: single-member double-precision model.
    :param x: Hessian inputs (as the model reads them).
    :param y: their labels.
    :param flipped: which of them carry a flipped label.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :param slq_probes: SLQ probes.
    :param slq_steps: Lanczos steps.
    :param seed: probe seed.
    :return: a flat dict of JSON-serialisable metrics.
    """
    op = C.hessian_operator(model, x, y, chunk=HVP_CHUNK[kind])
    out: dict[str, Any] = {
        "n_params": op.size,
        "hessian_loss": op.loss(),
        "gradient_norm": float(torch.linalg.vector_norm(op.gradient)),
    }
    exact = None
    if kind == "qnn":
        h = C.full_hessian(op)
        out["hessian_asymmetry"] = float((h - h.T).abs().max())
        target: C.SymmetricOperator = C.MatrixOperator(h)
        eigenvalues = torch.linalg.eigvalsh(target.matrix).numpy()
        exact = C.summarize_spectrum(eigenvalues)
        trace = float(torch.diagonal(h).sum())
        out.update(
            eigenvalues=eigenvalues.tolist(),
            negative_mass_exact=exact.negative_mass,
            negative_share_exact=exact.negative_share,
            negative_sum_exact=exact.negative_sum,
            trace_method="full Hessian",
        )
    else:
        target = op
        trace = C.exact_trace(op)
        out["trace_method"] = "diagonal of HVPs"
    out["trace"] = trace
    extremes = C.extreme_eigenvalues(target, tol=EIGSH_TOL, seed=seed)
    out.update(
        lam_max_eigsh=extremes.lam_max,
        lam_min_eigsh=extremes.lam_min,
        eigsh_converged=extremes.converged,
        eigsh_products=extremes.products,
    )
    out["lam_max"] = exact.lam_max if exact else extremes.lam_max
    out["lam_min"] = exact.lam_min if exact else extremes.lam_min
    rho = C.slq(target, probes=slq_probes, steps=slq_steps, seed=seed)
    grid = density_grid(out["lam_min"], out["lam_max"])
    sigma = (grid[-1] - grid[0]) / (DENSITY_POINTS - 1)
    out.update(
        slq_nodes=rho.nodes.tolist(),
        slq_weights=rho.weights.tolist(),
        slq_trace=rho.moment(1) * op.size,
        slq_lam_max=float(rho.flat_nodes.max()),
        slq_lam_min=float(rho.flat_nodes.min()),
        negative_mass_slq=rho.negative_mass(),
        negative_share_slq=rho.negative_share(),
        density_grid=grid.tolist(),
        density=rho.density(grid, sigma).tolist(),
    )
    hutch = C.hutchinson_trace(target, probes=HUTCHINSON_PROBES, seed=seed + 7)
    out.update(hutchinson_trace=hutch.estimate, hutchinson_se=hutch.stderr)
    split = C.gauss_newton_split(model, x, trace)
    out.update(trace_gauss_newton=split.trace_a, trace_residual=split.trace_b)
    if kind == "qnn":
        out.update(_flipped_split(model, x, y, flipped, trace))
    return out


def _flipped_split(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, flipped: np.ndarray, trace: float
) -> dict[str, Any]:
    """Traces of the flipped samples' share ``(1/N) Σ_{b flipped} ℓ_b`` of the loss: total,
    Gauss–Newton and residual (Term B) parts; zero without flipped samples."""
    mask = torch.as_tensor(flipped, dtype=torch.bool)
    n_flip, n_all = int(mask.sum()), int(mask.numel())
    if n_flip == 0:
        return {"trace_flipped": 0.0, "trace_residual_flipped": 0.0, "n_hessian_flipped": 0}
    op = C.hessian_operator(model, x[mask], y[mask], chunk=HVP_CHUNK["qnn"])
    share = n_flip / n_all  # the mean over the flipped samples, reweighted to the full mean
    h_flip = share * C.full_hessian(op)
    trace_flip = float(torch.diagonal(h_flip).sum())
    split = C.gauss_newton_split(model, x[mask], trace_flip / share)
    return {
        "trace_flipped": trace_flip,
        "trace_residual_flipped": share * split.trace_b,
        "n_hessian_flipped": n_flip,
    }


def compute_run(spec: CurvatureSpec) -> CellResult:
    """Train one model of the study and measure its curvature."""
    start = time.perf_counter()
    data = run_data(spec)
    cell = spec.cell()
    seed = cell.model_seed()
    model = build(spec, seed)
    x_all = _inputs(data.x, spec)
    y_all = torch.as_tensor(data.y)
    rows = torch.as_tensor(data.train_rows)
    val = clean_split(_DATA, "val")
    x_val, y_val = _inputs(val.x, spec), torch.as_tensor(val.y)
    history = fit(model, x_all[rows][None], y_all[rows][None], spec.train, (seed,), x_val, y_val)
    trained = time.perf_counter()
    with torch.no_grad():
        train_logits = model(x_all[rows][None])[0].numpy()
        all_logits = model(x_all[None])[0].numpy()
    held = np.setdiff1d(np.arange(len(data.y)), data.train_rows)
    clean_y = data.y ^ data.flipped.astype(data.y.dtype)
    metrics: dict[str, Any] = {
        "train_accuracy": float(history.train_accuracy[0]),
        "val_accuracy": float(history.val_accuracy[0]),
        "heldout_accuracy": float(np.mean((all_logits[held] > 0) == clean_y[held]))
        if held.size
        else float("nan"),
        "final_train_loss": float(history.train_loss[0, -1]),
        "n_train": int(len(data.train_rows)),
        "n_flipped_train": int(data.flipped[data.train_rows].sum()),
        "logit_spread": float(train_logits.max() - train_logits.min()),
        "mean_probability": float(torch.sigmoid(torch.as_tensor(train_logits)).mean()),
        "dead": is_dead(train_logits),
        "hessian_rows": data.hessian_rows.tolist(),
    }
    h_rows = torch.as_tensor(data.hessian_rows)
    h_flipped = data.flipped[data.hessian_rows]
    metrics["n_hessian_flipped"] = int(h_flipped.sum())
    metrics.update(
        measure(
            model,
            x_all[h_rows],
            y_all[h_rows],
            h_flipped,
            spec.model.kind,
            spec.slq_probes,
            spec.slq_steps,
            spec.probe_seed(),
        )
    )
    done = time.perf_counter()
    provenance = {
        **environment_provenance(),
        "poison_seed": cell.poison_seed(),
        "model_seed": seed,
        "hessian_seed": spec.hessian_seed(),
        "split_seed": spec.split_seed() if spec.config == "authors-code" else None,
        "probe_seed": spec.probe_seed(),
        "ansatz": spec.ansatz,
        "train_time_s": trained - start,
        "hessian_time_s": done - trained,
        "wall_time_s": done - start,
        "torch_threads": torch.get_num_threads(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return CellResult(spec, metrics, provenance)


def compute_group(specs: list[CurvatureSpec]) -> list[CellResult]:
    """Compute a group of runs one after the other (the study's ``compute``)."""
    return [compute_run(s) for s in specs]


def _cost(spec: CurvatureSpec) -> float:
    """Rough relative cost, for scheduling expensive runs first."""
    if spec.model.kind == "qnn":
        steps = spec.train.epochs * -(-500 // spec.train.batch_size)
        return 3.0 + 0.02 * steps * spec.train.batch_size / 32 + 0.5 * spec.hessian_samples
    return 1.0 + 0.3 * spec.hessian_samples


def plan(specs: list[CurvatureSpec]) -> list[list[CurvatureSpec]]:
    """One run per group, most expensive first."""
    return [[s] for s in sorted(specs, key=_cost, reverse=True)]


# --------------------------------------------------------------------------------------------
# records
# --------------------------------------------------------------------------------------------

#: Columns of the tidy records, in order.
RECORD_COLUMNS = (
    "config",
    "model",
    "model_label",
    "ansatz",
    "alpha",
    "run",
    "n_params",
    "dead",
    "trace",
    "lam_max",
    "lam_min",
    "negative_mass_slq",
    "negative_share_slq",
    "negative_mass_exact",
    "negative_share_exact",
    "negative_sum_exact",
    "trace_gauss_newton",
    "trace_residual",
    "trace_flipped",
    "trace_residual_flipped",
    "n_hessian_flipped",
    "slq_trace",
    "hutchinson_trace",
    "hutchinson_se",
    "lam_max_eigsh",
    "lam_min_eigsh",
    "slq_lam_max",
    "slq_lam_min",
    "eigsh_converged",
    "hessian_asymmetry",
    "val_accuracy",
    "train_accuracy",
    "heldout_accuracy",
    "logit_spread",
    "mean_probability",
    "hessian_loss",
    "gradient_norm",
    "train_time_s",
    "hessian_time_s",
    "key",
)


def record(result: CellResult) -> dict[str, Any]:
    """One tidy row of a run: coordinates, scalar metrics, timings."""
    s: CurvatureSpec = result.spec  # type: ignore[assignment]
    m, p = result.metrics, result.provenance
    row: dict[str, Any] = {
        "config": s.config,
        "model": s.model.kind,
        "model_label": s.model.label,
        "ansatz": s.ansatz,
        "alpha": s.alpha,
        "run": s.run,
        "key": s.key(),
        "train_time_s": p.get("train_time_s"),
        "hessian_time_s": p.get("hessian_time_s"),
    }
    for col in RECORD_COLUMNS:
        if col not in row:
            row[col] = m.get(col, float("nan"))
    return {c: row[c] for c in RECORD_COLUMNS}


def records_frame(results: Sequence[CellResult]):
    """The runs as a tidy ``pandas.DataFrame`` (one row per configuration, model, α, run)."""
    import pandas as pd

    rows = [record(r) for r in results if r.spec.kind == CurvatureSpec.kind]
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    return frame.sort_values(["config", "model", "alpha", "run"]).reset_index(drop=True)


def export(results: Sequence[CellResult], folder: str | Path) -> Path:
    """Write ``records.csv`` (tidy, one row per run) into ``folder`` and return its path."""
    path = Path(folder) / "records.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    records_frame(results).to_csv(path, index=False)
    return path


#: The study (listed in :mod:`qmlr.studies.registry`).
DEFINITION = StudyDefinition(
    STUDY, curvature_specs, compute_group, plan, export=export, spec_types=(CurvatureSpec,)
)


# --------------------------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------------------------

#: The MLP's trace ratio counts as rising "strongly" (the paper: about two orders of magnitude)
#: when it reaches at least this at the largest α.
STRONG_RISE = 10.0
#: A negative-curvature share below this counts as "no negative curvature".
NEGLIGIBLE_SHARE = 0.01
#: ``|tr B| / tr A`` below this counts as "Term B does not enter the trace".
ZERO_TERM_B = 1e-8


def trace_ratios(records, include_dead: bool = True):
    """Each run's ``trace / mean trace of the clean runs`` of its configuration and model.

    :param records: :func:`records_frame` output.
    :param include_dead: keep dead runs (in numerator and clean mean); ``False`` drops them.
    :return: a copy of the (filtered) records with a ``ratio`` column.
    """
    frame = records if include_dead else records[~records["dead"].astype(bool)]
    frame = frame.copy()
    clean = frame[frame["alpha"] == 0.0].groupby(["config", "model"])["trace"].mean()
    base = frame.set_index(["config", "model"]).index.map(clean.to_dict())
    frame["ratio"] = frame["trace"].to_numpy(float) / np.asarray(base, dtype=float)
    return frame


def ratio_table(records, include_dead: bool = True):
    """Trace ratio per configuration, model and noisy α: mean, std, median, min, max over runs,
    with the numbers of runs and of dead runs.

    :param records: :func:`records_frame` output.
    :param include_dead: see :func:`trace_ratios`.
    :return: a frame indexed by (config, model, alpha).
    """
    frame = trace_ratios(records, include_dead)
    noisy = frame[frame["alpha"] > 0]
    grouped = noisy.groupby(["config", "model", "alpha"])
    out = grouped["ratio"].agg(["mean", "std", "median", "min", "max"])
    out["std"] = grouped["ratio"].std(ddof=0)
    out["runs"] = grouped.size()
    dead = records[records["alpha"] > 0].groupby(["config", "model", "alpha"])["dead"].sum()
    out["dead (all runs)"] = dead.reindex(out.index).fillna(0).astype(int)
    return out


def summary_table(records):
    """Means over runs per configuration, model and α of the curvature measurements."""
    cols = {
        "trace": "mean",
        "lam_max": "mean",
        "lam_min": "mean",
        "negative_share_slq": "mean",
        "negative_share_exact": "mean",
        "negative_mass_slq": "mean",
        "negative_mass_exact": "mean",
        "trace_gauss_newton": "mean",
        "trace_residual": "mean",
        "trace_residual_flipped": "mean",
        "val_accuracy": "mean",
        "train_accuracy": "mean",
        "dead": "sum",
        "run": "count",
    }
    out = records.groupby(["config", "model", "alpha"]).agg(cols)
    return out.rename(columns={"run": "runs", "dead": "dead runs"})


def _mean_by_alpha(frame, column: str) -> dict[float, float]:
    return {float(a): float(v) for a, v in frame.groupby("alpha")[column].mean().items()}


def _fmt_series(values: dict[float, float], digits: int = 3) -> str:
    return ", ".join(f"α={a:g}: {v:.{digits}g}" for a, v in sorted(values.items()))


def claim_verdicts(records, min_noisy_alphas: int = 3) -> list:
    """Verdicts on claim 6 and the numerical side of claim 7, per configuration.

    Claim 6 is judged on the runs without dead MLPs (as the authors plotted); the evidence
    gives the ratios with dead runs too. With fewer than ``min_noisy_alphas`` noisy α values
    (the smoke profile) the trend verdicts are "not evaluated".

    :param records: :func:`records_frame` output.
    :param min_noisy_alphas: noisy α values needed to judge a trend.
    :return: a list of :class:`qmlr.report.analysis.Verdict`.
    """
    from qmlr.report.analysis import Verdict

    verdicts = []
    alive = trace_ratios(records, include_dead=False)
    every = trace_ratios(records, include_dead=True)
    for config in sorted(records["config"].unique()):
        for kind in ("mlp", "qnn"):
            sel = (alive["config"] == config) & (alive["model"] == kind) & (alive["alpha"] > 0)
            means = _mean_by_alpha(alive[sel], "ratio")
            sel_all = (every["config"] == config) & (every["model"] == kind) & (every["alpha"] > 0)
            means_all = _mean_by_alpha(every[sel_all], "ratio")
            n_dead = int(
                records[(records["config"] == config) & (records["model"] == kind)]["dead"].sum()
            )
            alphas = sorted(means)
            values = [means[a] for a in alphas]
            judged = len(alphas) >= min_noisy_alphas and all(np.isfinite(values))
            clean = alive[(alive["config"] == config) & (alive["model"] == kind)]
            clean_trace = float(clean[clean["alpha"] == 0.0]["trace"].mean())
            evidence = f"mean ratio {_fmt_series(means)} (clean mean tr H {clean_trace:.3g})"
            if n_dead:
                evidence += f"; with the {n_dead} dead run(s): {_fmt_series(means_all)}"
            if kind == "mlp":
                claim = f"6 ({config}): MLP trace ratio rises strongly with α"
                ok = bool(np.all(np.diff(values) > 0) and values[-1] >= STRONG_RISE)
            else:
                claim = f"6 ({config}): QNN trace ratio ≤ 1 and falling with α"
                ok = bool(all(v <= 1.0 for v in values) and np.all(np.diff(values) < 0))
            verdicts.append(
                Verdict(claim, evidence, ok if judged else None).filed(
                    f"{kind}-trace-ratio/{config}",
                    6,
                    "curvature",
                    True,
                    f"{kind.upper()}, {CONFIG_NAMES.get(config, config)} configuration",
                )
            )
    mlp = records[records["model"] == "mlp"]
    if len(mlp):
        rel = (mlp["trace_residual"].abs() / mlp["trace_gauss_newton"].abs()).max()
        verdicts.append(
            Verdict(
                "7 (trained MLP): Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
                f"max |tr H − tr A| / tr A over {len(mlp)} MLPs = {rel:.1e}",
                bool(rel < ZERO_TERM_B),
            ).filed(
                "mlp-term-b-zero",
                7,
                "curvature",
                False,
                "trained MLP: Term B does not enter the trace, tr H = Σ p(1−p)|∇z|²/N ≥ 0",
            )
        )
        share = mlp.groupby("config")["negative_share_slq"].agg(["mean", "max"])
        text = "; ".join(
            f"{c}: mean {r['mean']:.2%}, max {r['max']:.2%}" for c, r in share.iterrows()
        )
        verdicts.append(
            Verdict(
                "7 (trained MLP): no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
                f"negative-curvature share (SLQ) {text}; threshold {NEGLIGIBLE_SHARE:.0%}",
                bool(share["max"].max() < NEGLIGIBLE_SHARE),
            ).filed(
                "mlp-no-negative-curvature",
                7,
                "curvature",
                False,
                "trained MLP: no negative curvature (H ⪰ 0, as for the one-neuron MLP)",
            )
        )
    qnn = records[(records["model"] == "qnn") & (records["alpha"] > 0)]
    if len(qnn):
        per = qnn.groupby(["config", "alpha"])["trace_residual_flipped"].mean()
        text = "; ".join(
            f"{c}: {_fmt_series({a: v for (cc, a), v in per.items() if cc == c})}"
            for c in sorted(qnn["config"].unique())
        )
        verdicts.append(
            Verdict(
                "7 (trained QNN): Term B of the mislabeled samples is negative",
                f"mean tr B over flipped samples {text}",
                bool((per < 0).all()),
            ).filed(
                "qnn-term-b-flipped-negative",
                7,
                "curvature",
                False,
                "trained QNN: Term B of the mislabeled samples is negative",
            )
        )
    qnn_all = records[records["model"] == "qnn"]
    if len(qnn_all):
        rows, ok, judged = [], True, True
        for config in sorted(qnn_all["config"].unique()):
            q = _mean_by_alpha(qnn_all[qnn_all["config"] == config], "negative_share_exact")
            m = _mean_by_alpha(mlp[mlp["config"] == config], "negative_share_slq")
            rows.append(f"{config}: QNN {_fmt_series(q, 2)} vs MLP {_fmt_series(m, 2)}")
            vals = [q[a] for a in sorted(q)]
            judged &= len(vals) - 1 >= min_noisy_alphas
            ok &= bool(vals[-1] > vals[0] and all(q[a] > m.get(a, np.inf) for a in q))
        verdicts.append(
            Verdict(
                "7 (trained QNN): more negative curvature than the MLP, growing with label noise",
                "negative-curvature share " + "; ".join(rows),
                ok if judged else None,
            ).filed(
                "qnn-more-negative-curvature",
                7,
                "curvature",
                False,
                "trained QNN: more negative curvature than the MLP, growing with label noise",
            )
        )
    return verdicts


def findings(records) -> list[str]:
    """Data-driven sentences for the chapter's discussion (Markdown bullets, numbers computed).

    :param records: :func:`records_frame` output.
    :return: one string per finding.
    """
    out = []
    alive = trace_ratios(records, include_dead=False)
    top = float(records["alpha"].max())
    for config in sorted(records["config"].unique()):
        parts = []
        for kind in ("mlp", "qnn"):
            sel = alive[(alive["config"] == config) & (alive["model"] == kind)]
            at_top = sel[sel["alpha"] == top]["ratio"]
            if len(at_top):
                parts.append(
                    f"{LABELS[kind]} ratio at α = {top:g}: mean {at_top.mean():.3g}, runs "
                    f"{at_top.min():.3g} … {at_top.max():.3g}"
                )
        if parts:
            out.append(f"**{config}** (without dead runs): " + "; ".join(parts) + ".")
    mlp = records[records["model"] == "mlp"]
    if len(mlp):
        share = mlp["negative_share_slq"]
        negative = int((mlp["lam_min"] < 0).sum())
        rel = (mlp["trace_residual"].abs() / mlp["trace_gauss_newton"].abs()).max()
        out.append(
            f"**MLP curvature:** {negative} of {len(mlp)} MLP Hessians have λ_min < 0; the "
            f"negative share is {share.mean():.2%} on average (max {share.max():.2%}), while "
            f"Term B's share of the trace is at rounding level (max |tr B| / tr A = {rel:.0e})."
        )
    qnn = records[(records["model"] == "qnn") & (records["alpha"] > 0)]
    for config in sorted(qnn["config"].unique()):
        q = qnn[qnn["config"] == config]
        flipped = q["trace_residual_flipped"]
        clean_b = q["trace_residual"] - flipped
        out.append(
            f"**{config} QNN, Term B:** over the noisy runs the mislabeled samples contribute "
            f"tr B = {flipped.mean():.3g} on average ({int((flipped < 0).sum())} of {len(q)} "
            f"runs negative), the clean samples {clean_b.mean():.3g}; the Gauss–Newton part "
            f"is {q['trace_gauss_newton'].mean():.3g}."
        )
    n_dead = int(records["dead"].astype(bool).sum())
    if n_dead:
        every = trace_ratios(records, include_dead=True)
        diff = []
        for (config, kind), _ in records[records["dead"].astype(bool)].groupby(["config", "model"]):
            a = every[(every["config"] == config) & (every["model"] == kind)]
            b = alive[(alive["config"] == config) & (alive["model"] == kind)]
            ma = a[a["alpha"] == top]["ratio"].mean()
            mb = b[b["alpha"] == top]["ratio"].mean()
            diff.append(f"{config} {LABELS[kind]}: {ma:.3g} with, {mb:.3g} without")
        out.append(f"**Dead runs:** {n_dead}; mean ratio at α = {top:g} " + "; ".join(diff) + ".")
    else:
        out.append("**Dead runs:** none in this profile.")
    return out


# --------------------------------------------------------------------------------------------
# figures (each draws on a given ax and never calls plt.show())
# --------------------------------------------------------------------------------------------

COLORS = {"mlp": "tab:orange", "qnn": "tab:blue"}
LABELS = {"mlp": "MLP", "qnn": "QNN"}


def _log_or_symlog(ax, values: np.ndarray, linthresh: float = 1e-2) -> None:
    values = np.asarray(values, float)
    if np.all(values[np.isfinite(values)] > 0):
        ax.set_yscale("log")
    else:
        ax.set_yscale("symlog", linthresh=linthresh)


def plot_trace_ratio(ax, records, config: str) -> None:
    """The paper's figure for one configuration: trace ratio vs α, MLP and QNN, log axis.

    Each run is a dot (dead MLP runs: red crosses); the solid line is the mean over all runs,
    the dashed line the mean without dead runs (each against its own clean mean); the band is
    ±1 standard deviation over runs (all runs).
    """
    every = trace_ratios(records[records["config"] == config], include_dead=True)
    alive = trace_ratios(records[records["config"] == config], include_dead=False)
    plotted = []
    for i, kind in enumerate(("mlp", "qnn")):
        color = COLORS[kind]
        run = every[(every["model"] == kind) & (every["alpha"] > 0)]
        if run.empty:
            continue
        offset = (i - 0.5) * 0.012
        dead = run["dead"].astype(bool)
        ax.scatter(run["alpha"][~dead] + offset, run["ratio"][~dead], s=12, color=color, alpha=0.5)
        if dead.any():
            ax.scatter(run["alpha"][dead] + offset, run["ratio"][dead], s=30, marker="x",
                       color="tab:red", label=f"{LABELS[kind]} dead run")  # fmt: skip
        stats = run.groupby("alpha")["ratio"].agg(["mean", "std"])
        a = stats.index.to_numpy(float)
        ax.plot(
            a, stats["mean"], "-o", color=color, markersize=4, label=f"{LABELS[kind]} (all runs)"
        )
        lo = np.maximum(stats["mean"] - stats["std"], stats["mean"] * 0.05)
        ax.fill_between(a, lo, stats["mean"] + stats["std"], color=color, alpha=0.15, lw=0)
        alive_k = alive[(alive["model"] == kind) & (alive["alpha"] > 0)]
        if len(alive_k) != len(run):
            m = alive_k.groupby("alpha")["ratio"].mean()
            ax.plot(m.index, m.to_numpy(), "--s", color=color, markersize=3,
                    label=f"{LABELS[kind]} (without dead runs)")  # fmt: skip
        plotted.append(run["ratio"].to_numpy(float))
    ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
    _log_or_symlog(ax, np.concatenate(plotted) if plotted else np.ones(1))
    ax.set_xlabel(r"label-flip ratio $\alpha$")
    ax.set_ylabel(r"tr $H_\mathrm{noisy}$ / mean tr $H_\mathrm{clean}$")
    ax.set_title(config)
    ax.legend(fontsize=7)


def spectra_frame(results: Sequence[CellResult], records):
    """``records`` with a ``spectrum`` column: each run's :class:`qmlr.core.curvature.SpectralDensity`
    (exact eigenvalues for the QNN, SLQ nodes and weights for the MLP)."""
    by_key = {r.spec.key(): r for r in results}
    out = records.copy()
    spectra = []
    for key, kind in zip(out["key"], out["model"], strict=True):
        m = by_key[key].metrics
        if kind == "qnn" and "eigenvalues" in m:
            spectra.append(C.SpectralDensity.from_eigenvalues(np.asarray(m["eigenvalues"])))
        else:
            spectra.append(
                C.SpectralDensity(np.asarray(m["slq_nodes"]), np.asarray(m["slq_weights"]))
            )
    out["spectrum"] = spectra
    return out


def asinh_density(
    spectra: Sequence[C.SpectralDensity], scale: float, grid_u: np.ndarray, sigma_u: float = 0.25
) -> np.ndarray:
    """Mean over runs of the density of ``u = asinh(λ / scale)``, Gaussian-broadened in ``u``.

    ``u`` is linear in ``λ`` for ``|λ| ≪ scale`` and logarithmic beyond, so one axis shows the
    negative tail, the bulk at zero and the outliers; each run's density integrates to 1.

    :param spectra: one density per run.
    :param scale: the linear-to-log crossover.
    :param grid_u: points in ``u``.
    :param sigma_u: broadening in ``u``.
    :return: density values on ``grid_u``.
    """
    if not spectra:
        return np.zeros_like(np.asarray(grid_u, float))
    curves = []
    for rho in spectra:
        u = C.SpectralDensity(np.arcsinh(rho.nodes / scale), rho.weights)
        curves.append(u.density(grid_u, sigma_u))
    return np.mean(curves, axis=0)


def _tick(value: float) -> str:
    """``0``, ``±1e-3``-style label of a power of ten."""
    if value == 0:
        return "0"
    sign = "−" if value < 0 else ""
    return f"{sign}1e{int(round(np.log10(abs(value))))}"


def plot_density(ax, spectra_records, config: str, kind: str, alphas=(0.0, 0.4), scale=None):
    """Eigenvalue densities of one model, clean vs noisy, on an ``asinh(λ/scale)`` axis.

    :param ax: axes.
    :param spectra_records: :func:`spectra_frame` output.
    :param config: configuration.
    :param kind: ``"mlp"`` or ``"qnn"``.
    :param alphas: the α values to overlay.
    :param scale: the ``asinh`` crossover (default: 1e-3 × the median clean ``λ_max``).
    """
    sel = spectra_records[
        (spectra_records["config"] == config) & (spectra_records["model"] == kind)
    ]
    if scale is None:
        lam = sel[sel["alpha"] == alphas[0]]["lam_max"].abs()
        scale = 1e-3 * float(lam.median()) if len(lam) else 1.0
    every = np.concatenate([np.asarray(r.flat_nodes) for r in sel["spectrum"]]) if len(sel) else [0]
    umax = float(np.arcsinh(np.max(np.abs(every)) / scale)) + 1.0
    grid_u = np.linspace(-umax, umax, 600)
    styles = ["-", "--", "-.", ":"]
    peak = 1e-3
    for i, alpha in enumerate(alphas):
        runs = list(sel[sel["alpha"] == alpha]["spectrum"])
        if not runs:
            continue
        share = float(np.mean([r.negative_share() for r in runs]))
        density = asinh_density(runs, scale, grid_u)
        peak = max(peak, float(density.max()))
        ax.plot(grid_u, density, styles[i % 4], color=COLORS[kind], alpha=1.0 - 0.35 * i,
                label=f"α = {alpha:g} (neg. share {share:.1%})")  # fmt: skip
    top = np.abs(np.asarray(every, float)).max()
    decades = np.arange(np.ceil(np.log10(scale)), np.floor(np.log10(max(top, scale))) + 1)
    decades = decades[(decades[-1] - decades) % 2 == 0] if decades.size else decades
    ticks = np.concatenate([-(10.0 ** decades[::-1]), [0.0], 10.0**decades])
    ax.set_xticks(np.arcsinh(ticks / scale), [_tick(t) for t in ticks], fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 3 * peak)
    ax.set_xlabel(rf"$\lambda$ (asinh axis, crossover {scale:.0e})")
    ax.set_ylabel(r"density of asinh($\lambda$/scale)")
    method = "exact spectrum" if kind == "qnn" else "SLQ"
    ax.set_title(f"{config}: {LABELS[kind]} ({method})", fontsize=9)
    ax.legend(fontsize=7)


def plot_negative_share(ax, records, config: str) -> None:
    """Share of negative curvature vs α: QNN exact (solid) and SLQ (dotted), MLP SLQ."""
    sel = records[records["config"] == config]
    for kind, column, style in (
        ("qnn", "negative_share_exact", "-o"),
        ("qnn", "negative_share_slq", ":"),
        ("mlp", "negative_share_slq", "-s"),
    ):
        part = sel[sel["model"] == kind]
        if part.empty or part[column].isna().all():
            continue
        stats = part.groupby("alpha")[column].agg(["mean", "std"])
        how = "exact" if column.endswith("exact") else "SLQ"
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], fmt=style, color=COLORS[kind],
                    markersize=4, capsize=2, label=f"{LABELS[kind]} ({how})")  # fmt: skip
    ax.set_xlabel(r"label-flip ratio $\alpha$")
    ax.set_ylabel(r"negative share $\Sigma|\lambda_-| / \Sigma|\lambda|$")
    ax.set_title(config, fontsize=9)
    ax.legend(fontsize=7)


def plot_term_split(ax, records, config: str) -> None:
    """QNN trace split vs α: Gauss–Newton part (Term A), Term B of the clean samples, Term B of
    the flipped samples (mean ± std over runs)."""
    q = records[(records["config"] == config) & (records["model"] == "qnn")].copy()
    if q.empty:
        return
    q["trace_residual_flipped"] = q["trace_residual_flipped"].fillna(0.0)
    q["term_b_clean"] = q["trace_residual"] - q["trace_residual_flipped"]
    parts = (
        ("trace_gauss_newton", "tr A (Gauss–Newton)", "-o"),
        ("term_b_clean", "tr B, clean samples", "--s"),
        ("trace_residual_flipped", "tr B, flipped samples", ":v"),
        ("trace", "tr H", "-"),
    )
    for column, label, style in parts:
        stats = q.groupby("alpha")[column].agg(["mean", "std"])
        ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], fmt=style, markersize=4,
                    capsize=2, label=label)  # fmt: skip
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel(r"label-flip ratio $\alpha$")
    ax.set_ylabel("trace")
    ax.set_title(f"{config}: QNN", fontsize=9)
    ax.legend(fontsize=7)


def plot_lambda_max(ax, records, config: str) -> None:
    """``λ_max`` vs α for both models (runs as dots, mean line, dead runs as red crosses)."""
    sel = records[records["config"] == config]
    for i, kind in enumerate(("mlp", "qnn")):
        part = sel[sel["model"] == kind]
        if part.empty:
            continue
        offset = (i - 0.5) * 0.012
        dead = part["dead"].astype(bool)
        ax.scatter(part["alpha"][~dead] + offset, part["lam_max"][~dead], s=12,
                   color=COLORS[kind], alpha=0.5)  # fmt: skip
        if dead.any():
            ax.scatter(part["alpha"][dead] + offset, part["lam_max"][dead], s=30, marker="x",
                       color="tab:red", label=f"{LABELS[kind]} dead run")  # fmt: skip
        mean = part.groupby("alpha")["lam_max"].mean()
        ax.plot(mean.index, mean.to_numpy(), "-o", color=COLORS[kind], markersize=4,
                label=LABELS[kind])  # fmt: skip
    _log_or_symlog(ax, sel["lam_max"].to_numpy(float))
    ax.set_xlabel(r"label-flip ratio $\alpha$")
    ax.set_ylabel(r"$\lambda_\max$")
    ax.set_title(config)
    ax.legend(fontsize=7)


# --------------------------------------------------------------------------------------------
# methods and verification tables (rendered in the chapter from the code, never retyped)
# --------------------------------------------------------------------------------------------


def n_parameters(spec: CurvatureSpec) -> int:
    """Trainable parameters of the spec's model.

    Example:
        >>> from qmlr.studies.experiments import get_profile
        >>> sorted({n_parameters(s) for s in curvature_specs(get_profile("smoke"))})
        [100, 240, 8221, 16473]
    """
    if spec.model.kind == "mlp":
        return mlp_parameters(spec.model.hidden)
    per_gate = 4 if spec.config == "si" else 2
    return spec.model.depth * N_QUBITS * per_gate


def mlp_parameters(hidden: Sequence[int], in_features: int = 1024) -> int:
    """Parameters of an MLP ``in_features → hidden → 1``."""
    sizes = [in_features, *hidden, 1]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def methods_table(profile: Profile):
    """One row per (configuration, model): what is trained, how, and where the Hessian is taken."""
    import pandas as pd

    rows, seen = [], set()
    for spec in curvature_specs(profile):
        if (spec.config, spec.model.kind) in seen:
            continue
        seen.add((spec.config, spec.model.kind))
        if spec.model.kind == "mlp":
            arch = f"MLP 1024 → {' → '.join(map(str, spec.model.hidden))} → 1, ReLU"
        elif spec.config == "si":
            arch = f"QNN, {N_QUBITS} qubits, depth {spec.model.depth}: RX-RY-RX + RZZ ring"
        else:
            arch = f"QNN, {N_QUBITS} qubits, depth {spec.model.depth}: RX-RY + CNOT ring"
        split = (
            "all 500 (250 + 250)"
            if spec.config == "si"
            else f"{AUTHORS_TRAIN_FRACTION:.0%} of 500 (seeded random split)"
        )
        where = "training set" if spec.config == "si" else "held-out 30 %"
        rows.append(
            {
                "configuration": spec.config,
                "model": arch,
                "parameters": n_parameters(spec),
                "epochs / batch / lr": f"{spec.train.epochs} / {spec.train.batch_size} / "
                f"{spec.train.lr:g}",
                "trained on": split,
                "Hessian on": f"{spec.hessian_samples} random samples of the {where}",
                "α": ", ".join(f"{a:g}" for a in profile.curvature_alphas),
                "runs": profile.curvature_runs,
            }
        )
    return pd.DataFrame(rows)


def verification_table():
    """Small live checks of the curvature code (float64), as max absolute errors.

    * full Hessian, trace and extreme eigenvalues of a small trained MLP and a 4-qubit QNN
      against :func:`torch.func.hessian`;
    * the QNN fast path's Hessian against one through the tensorcircuit-ng circuit;
    * the authors' RX-RY-CNOT fast path against its tensorcircuit-ng circuit;
    * SLQ weights (sum to 1) and Hutchinson's estimate (in standard errors).

    :return: a ``pandas.DataFrame`` (check, value).
    """
    import pandas as pd

    from qmlr.core.mlp import MLP
    from qmlr.core.qnn import QNN, reference_expectations

    gen = torch.Generator().manual_seed(0)
    rows = []
    x = torch.randn(24, 6, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (24,), generator=gen)
    mlp = MLP(6, (5, 3), seeds=(1,), dtype=torch.float64)
    states = torch.complex(
        torch.randn(8, 16, dtype=torch.float64, generator=gen),
        torch.randn(8, 16, dtype=torch.float64, generator=gen),
    )
    states = states / torch.linalg.vector_norm(states, dim=1, keepdim=True)
    qnn = QNN(4, 2, seeds=(3,), dtype=torch.complex128)
    with torch.no_grad():
        qnn.theta.normal_(0.0, 1.0, generator=gen)
    for name, model, inputs in (("MLP [5, 3]", mlp, x), ("QNN 4 qubits", qnn, states)):
        loss_fn, w0 = C.bce_loss_function(model, inputs, y[: len(inputs)])
        ref = torch.func.hessian(loss_fn)(w0)
        ev = torch.linalg.eigvalsh(ref).numpy()
        op = C.hessian_operator(model, inputs, y[: len(inputs)])
        ext = C.extreme_eigenvalues(op)
        rho = C.slq(op, probes=8, steps=min(20, op.size))
        hutch = C.hutchinson_trace(C.MatrixOperator(ref), probes=200)
        h = C.full_hessian(op)
        extremes_error = max(abs(ext.lam_max - ev[-1]), abs(ext.lam_min - ev[0]))
        hutch_z = abs(hutch.estimate - float(ref.trace())) / hutch.stderr
        rows += [
            (f"{name}: max |H − torch.func.hessian|", float((h - ref).abs().max())),
            (f"{name}: |tr − tr(torch.func.hessian)|", abs(C.exact_trace(op) - float(ref.trace()))),
            (f"{name}: |λ_max, λ_min (eigsh) − eigvalsh|", extremes_error),
            (f"{name}: |Σ SLQ weights − 1|", abs(rho.total_weight() - 1.0)),
            (f"{name}: Hutchinson (200 probes) error / standard error", hutch_z),
        ]
        if model is qnn:
            w = w0.clone()

            def tc_loss(v: torch.Tensor) -> torch.Tensor:
                m = reference_expectations(v.view(2, 4, 4), states, method="vmap")
                return torch.nn.functional.binary_cross_entropy_with_logits(
                    5.0 * m, y[: len(states)].to(torch.float64)
                )

            h_tc = torch.func.hessian(tc_loss)(w)
            rows.append(("QNN 4 qubits: max |H (fast path) − H (tensorcircuit)|",
                         float((C.full_hessian(op) - h_tc).abs().max())))  # fmt: skip
    params = torch.randn(1, 3, 4, 2, dtype=torch.float64, generator=gen)
    fast = rxry_expectation(params, states[None])[0]
    ref = torch.stack([rxry_reference_expectation(params[0], s) for s in states])
    rows.append(
        ("RX-RY-CNOT ansatz: max |<Z> fast − tensorcircuit|", float((fast - ref).abs().max()))
    )
    return pd.DataFrame(rows, columns=["check", "value"])
