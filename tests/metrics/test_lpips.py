"""LPIPS v0.1 against the upstream package's published example distances."""

import numpy as np
import pytest
import torch

from ctdenoise.errors import CtDenoiseError
from ctdenoise.metrics.lpips import LPIPS, load_rgb_image, lpips_volume
from ctdenoise.metrics.lpips_weights import SHARED_ENV_VAR, WEIGHTS_ENV_VAR
from ctdenoise.volume import Volume


@pytest.fixture(scope="module")
def weights_dir(shared_dir):
    return shared_dir / "weights" / "lpips"


@pytest.fixture(scope="module")
def alex(weights_dir):
    return LPIPS("alex", weights_dir)


def test_alexnet_lpips_reproduces_the_upstream_example_distances(alex, weights_dir):
    reference = load_rgb_image(weights_dir / "ex_ref.png")
    assert round(alex(reference, load_rgb_image(weights_dir / "ex_p0.png")), 3) == 0.722
    assert round(alex(reference, load_rgb_image(weights_dir / "ex_p1.png")), 3) == 0.138


def test_vgg_lpips_runs_and_is_zero_for_identical_images(weights_dir):
    vgg = LPIPS("vgg", weights_dir)
    reference = load_rgb_image(weights_dir / "ex_ref.png")[:32, :32]
    distorted = load_rgb_image(weights_dir / "ex_p0.png")[:32, :32]
    assert vgg(reference, reference) == 0.0
    assert vgg(reference, distorted) > 0.05


def test_volume_lpips_is_zero_for_identical_volumes_and_grows_with_noise(weights_dir):
    rng = np.random.default_rng(0)
    target = Volume(rng.normal(-600, 200, (3, 40, 40)))
    slightly = target.with_array(target.hu + rng.normal(0, 20, target.shape))
    strongly = target.with_array(target.hu + rng.normal(0, 200, target.shape))
    assert lpips_volume(target, target, net="alex", weights_dir=weights_dir) == 0.0
    small = lpips_volume(slightly, target, net="alex", weights_dir=weights_dir)
    assert 0.0 < small < lpips_volume(strongly, target, net="alex", weights_dir=weights_dir)


def test_grey_image_is_replicated_to_three_channels(alex):
    grey = np.random.default_rng(2).uniform(-1, 1, (2, 40, 40)).astype(np.float32)
    as_rgb = torch.from_numpy(grey)[:, None].expand(-1, 3, -1, -1)
    assert alex(grey[0], grey[1]) == pytest.approx(alex(as_rgb[:1], as_rgb[1:]))


def test_torchvision_checkpoint_in_the_torch_hub_cache_is_found(weights_dir, tmp_path, monkeypatch):
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    features = torch.load(weights_dir / "alexnet-features.pth", weights_only=True)
    full_checkpoint = {**features, "classifier.1.weight": torch.zeros(2, 2)}  # torchvision's file also has a classifier
    torch.save(full_checkpoint, checkpoints / "alexnet-owt-7be5be79.pth")
    (checkpoints / "lpips-v0.1-alex-linear.pth").write_bytes((weights_dir / "lpips-v0.1-alex-linear.pth").read_bytes())
    monkeypatch.delenv(WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.delenv(SHARED_ENV_VAR, raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    assert LPIPS("alex").backbone_file == checkpoints / "alexnet-owt-7be5be79.pth"


def test_weights_folder_from_the_environment_variable(weights_dir, monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV_VAR, str(weights_dir))
    assert LPIPS("alex").head_file == weights_dir / "lpips-v0.1-alex-linear.pth"


def test_weights_in_the_shared_data_folder_are_found(weights_dir, tmp_path, monkeypatch):
    monkeypatch.delenv(WEIGHTS_ENV_VAR, raising=False)
    monkeypatch.setenv(SHARED_ENV_VAR, str(weights_dir.parent.parent))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))  # an empty hub cache
    assert LPIPS("alex").head_file == weights_dir / "lpips-v0.1-alex-linear.pth"


def test_missing_weights_name_every_folder_searched(tmp_path, monkeypatch):
    monkeypatch.setenv(WEIGHTS_ENV_VAR, str(tmp_path / "nowhere"))
    monkeypatch.setenv(SHARED_ENV_VAR, str(tmp_path / "no-shared"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    with pytest.raises(CtDenoiseError, match="not found") as error:
        LPIPS("vgg")
    assert str(tmp_path / "nowhere") in str(error.value)
    assert str(tmp_path / "hub" / "checkpoints") in str(error.value)


def test_images_too_small_for_the_backbone_raise(alex):
    tiny = np.zeros((20, 20), dtype=np.float32)
    with pytest.raises(CtDenoiseError, match="too small"):
        alex(tiny, tiny)
