"""Phase augmentation: new phases per epoch and sample, seeded, modulus kept, default unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core.augment import PhaseAugmentation, input_augmentation, phase_angles, rotate_phase
from qmlr.core.data import mlp_features
from qmlr.core.mlp import MLP
from qmlr.core.train import TrainConfig, fit


def complex_states(n_members: int = 2, n: int = 12, d: int = 5, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_members, n, d)) + 1j * rng.normal(size=(n_members, n, d))
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def test_angles_are_new_per_epoch_sample_and_member_and_seeded():
    a0, a1 = phase_angles((5, 6), 0, 50), phase_angles((5, 6), 1, 50)
    assert a0.shape == (2, 50) and ((a0 >= 0) & (a0 < 2 * np.pi)).all()
    np.testing.assert_array_equal(a0, phase_angles((5, 6), 0, 50))  # seeded
    assert np.unique(a0).size == a0.size  # per sample and per member
    assert not np.isclose(a0, a1).any()  # per epoch
    np.testing.assert_array_equal(phase_angles((6,), 0, 50)[0], a0[1])  # member's own stream
    with pytest.raises(ValueError):
        phase_angles((0,), -1, 3)


def test_rotating_features_equals_the_complex_phase_and_keeps_the_modulus():
    x = complex_states()
    angles = torch.as_tensor(phase_angles((1, 2), 3, x.shape[1]))
    rotated = rotate_phase(torch.as_tensor(mlp_features(x)), angles).numpy()
    expected = x * np.exp(1j * angles.numpy())[..., None]
    np.testing.assert_allclose(rotated, mlp_features(expected), atol=1e-15)
    np.testing.assert_allclose(
        rotate_phase(torch.as_tensor(x), angles).numpy(), expected, rtol=0, atol=1e-15
    )
    d = x.shape[-1]
    modulus = rotated[..., :d] ** 2 + rotated[..., d:] ** 2
    np.testing.assert_allclose(modulus, np.abs(x) ** 2, atol=1e-15)
    assert not np.allclose(rotated, mlp_features(x))
    with pytest.raises(ValueError):
        rotate_phase(torch.zeros(2, 3), torch.zeros(2))  # odd width
    with pytest.raises(ValueError):
        rotate_phase(torch.zeros(2, 4), torch.zeros(3))


def test_augmentation_hook_checks_members_and_names():
    aug = PhaseAugmentation((1, 2))
    with pytest.raises(ValueError):
        aug(0, torch.zeros(3, 4, 2))
    with pytest.raises(ValueError):
        input_augmentation("mirror", (0,))
    with pytest.raises(ValueError):
        PhaseAugmentation((-1,))
    with pytest.raises(ValueError):
        TrainConfig(1, 1, 0.1, augment="mirror")


def _train(augment=None, **kw):
    x = torch.as_tensor(mlp_features(complex_states()))
    y = torch.as_tensor(np.arange(2 * 12).reshape(2, 12) % 2)
    model = MLP(x.shape[-1], (6,), seeds=(3, 4), dtype=torch.float64)
    config = TrainConfig(epochs=4, batch_size=5, lr=0.01)
    args = {} if augment == "absent" else {"augment": augment}
    hist = fit(model, x, y, config, seeds=(7, 8), x_val=x[0], y_val=y[0], **args, **kw)
    return hist, [p.detach().clone() for p in model.parameters()]


def test_training_without_augmentation_is_unchanged_bit_for_bit():
    base, base_params = _train("absent")
    for hook in (None, lambda epoch, x: x):
        hist, params = _train(hook)
        np.testing.assert_array_equal(hist.train_loss, base.train_loss)
        for p, q in zip(params, base_params, strict=True):
            assert torch.equal(p, q)


def test_augmented_training_is_seeded_and_sees_every_epoch():
    seen = []
    aug = PhaseAugmentation((11, 12))

    def recording(epoch, x):
        seen.append(epoch)
        return aug(epoch, x)

    first, first_params = _train(recording)
    assert seen == [0, 1, 2, 3]
    again, again_params = _train(PhaseAugmentation((11, 12)))
    np.testing.assert_array_equal(first.train_loss, again.train_loss)
    for p, q in zip(first_params, again_params, strict=True):
        assert torch.equal(p, q)
    plain, _ = _train(None)
    assert not np.allclose(first.train_loss, plain.train_loss)
    other, _ = _train(PhaseAugmentation((13, 14)))
    assert not np.allclose(first.train_loss, other.train_loss)
    with pytest.raises(ValueError):
        _train(lambda epoch, x: x[:, :3])


def test_default_train_config_keeps_its_json_form():
    from qmlr.engine.specs import OMIT_DEFAULT, json_form

    assert json_form(TrainConfig(400, 32, 0.01)) == {"epochs": 400, "batch_size": 32, "lr": 0.01}
    assert json_form(TrainConfig(400, 32, 0.01, augment="phase"))["augment"] == "phase"
    field = TrainConfig.__dataclass_fields__["augment"]
    assert dict(field.metadata) == OMIT_DEFAULT
