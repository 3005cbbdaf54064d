"""The settings of the curvature measurement, and when a trained model is *dead* (torch-free).

:mod:`qmlr.core.curvature_metrics` measures with them; the book names them without loading torch.
"""

from __future__ import annotations

import numpy as np

#: Rademacher probes of the Hutchinson cross-check.
HUTCHINSON_PROBES = 30
#: Hessian-vector products mapped at once, per model kind (memory vs speed); the classical
#: controls use the MLP's.
HVP_CHUNK = {"mlp": 1024, "qnn": 8}
#: ARPACK relative tolerance for λ_max / λ_min.
EIGSH_TOL = 1e-8
#: ARPACK restarts allowed (about 40 products each). The paper's models converge within 13;
#: a Hessian of low rank (a logistic model on 100 samples: a cluster of zero eigenvalues at
#: λ_min) would otherwise spend scipy's default ``10 n`` restarts failing.
EIGSH_MAXITER = 100
#: Points of the stored per-run density grid.
DENSITY_POINTS = 101
#: An MLP is *dead* when its logit varies by less than this over all its training inputs
#: (a constant function of the input: every unit of some hidden layer is off on every sample).
DEAD_LOGIT_SPREAD = 1e-6


def is_dead(logits: np.ndarray, spread: float = DEAD_LOGIT_SPREAD) -> bool:
    """Whether a model's output is constant: ``max − min`` of its logits below ``spread``.

    Example:
        >>> is_dead(np.array([0.01, 0.01, 0.01])), is_dead(np.array([-2.0, 3.0]))
        (True, False)
    """
    logits = np.asarray(logits, dtype=np.float64)
    return bool(logits.max() - logits.min() < spread)
