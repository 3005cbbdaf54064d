"""A row of synthetic unlearning records, shared by the unlearning tests."""

from __future__ import annotations

from typing import Any

import numpy as np


def unlearning_row(
    model: str, method: str, run: int, step: int, val: np.ndarray, forget: np.ndarray, **extra: Any
) -> dict[str, Any]:
    """One MNIST record of the main series at ``step`` (MLP in the SI setting, QNN in the paper
    figure's), with ``val[step]`` and ``forget[step]`` as its accuracies and ``extra`` columns."""
    return dict(
        dataset="mnist",
        phase="",
        model=model,
        setting="si" if model == "mlp" else "paper-figure",
        role="main",
        method=method,
        run=run,
        step=int(step),
        val_accuracy=val[step],
        forget_accuracy=forget[step],
        **extra,
    )
