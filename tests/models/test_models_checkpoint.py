"""Model files: a round trip rebuilds the same network; bad files are refused with a one-line error."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch
from torch import nn

from ctdenoise.errors import CtDenoiseError
from ctdenoise.models import HUNormalization, ModelConfig, build_model, load_model_file, save_model_file


class NotAModel:
    """Any Python object: a weights-only load must refuse to unpickle it."""

    def __init__(self) -> None:
        self.payload = "arbitrary"


def saved_model(tmp_path: Path) -> tuple[Path, nn.Module, ModelConfig]:
    config = ModelConfig.of("stresnet", features=4, blocks=1, z_scale=2, head_kernel=3)
    torch.manual_seed(1)
    model = build_model(config)
    nn.init.normal_(model.tail.last_conv.weight, std=0.1)
    path = save_model_file(tmp_path / "model.pt", model, config, HUNormalization(), {"trained_steps": 7})
    return path, model, config


def test_round_trip_gives_the_same_network(tmp_path: Path) -> None:
    path, model, config = saved_model(tmp_path)
    loaded = load_model_file(path)
    assert loaded.config == config
    assert loaded.normalization == HUNormalization()
    assert loaded.metadata == {"trained_steps": 7}
    assert not loaded.model.training
    batch = torch.randn(1, 1, 3, 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(loaded.model(batch), model.eval()(batch), rtol=0, atol=0)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(CtDenoiseError, match="no such model file"):
        load_model_file(tmp_path / "absent.pt")
    with pytest.raises(CtDenoiseError, match="is a folder"):
        load_model_file(tmp_path)


def test_corrupt_and_truncated_files(tmp_path: Path) -> None:
    path, _, _ = saved_model(tmp_path)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[:300])
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"\x00\x01 not a checkpoint" * 20)
    for bad in (truncated, garbage):
        with pytest.raises(CtDenoiseError, match=bad.name):
            load_model_file(bad)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_pickled_objects_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.pt"
    torch.save({"format": "ctdenoise-model", "evil": NotAModel()}, path)
    with pytest.raises(CtDenoiseError, match="refused"):
        load_model_file(path)
    plain_pickle = tmp_path / "plain.pkl"
    plain_pickle.write_bytes(pickle.dumps(NotAModel()))
    with pytest.raises(CtDenoiseError):
        load_model_file(plain_pickle)


def test_foreign_state_dict_and_wrong_architecture(tmp_path: Path) -> None:
    path, model, _ = saved_model(tmp_path)
    foreign = tmp_path / "foreign.pt"
    torch.save(model.state_dict(), foreign)
    with pytest.raises(CtDenoiseError, match="not a ctdenoise model file"):
        load_model_file(foreign)
    record = torch.load(path, weights_only=True)
    record["model_config"]["arch"] = "srresnet"  # STResNet weights under an SRResNet header
    mismatched = tmp_path / "mismatched.pt"
    torch.save(record, mismatched)
    with pytest.raises(CtDenoiseError, match="do not match the stored architecture"):
        load_model_file(mismatched)
    record["model_config"]["arch"] = "unet"
    torch.save(record, mismatched)
    with pytest.raises(CtDenoiseError, match="unknown architecture"):
        load_model_file(mismatched)


def test_files_from_before_the_registry_still_load(tmp_path: Path) -> None:
    """Older files stored STResNet's temporal_relu for SRResNet too; it did nothing there and is dropped."""
    config = ModelConfig.of("srresnet", features=4, blocks=1, z_scale=2, head_kernel=3)
    path = save_model_file(tmp_path / "old.pt", build_model(config), config, HUNormalization())
    record = torch.load(path, weights_only=True)
    record["model_config"]["temporal_relu"] = True
    torch.save(record, path)
    assert load_model_file(path).config == config
