"""Find and load LPIPS weights from local files; nothing is ever downloaded.

Two files per network: the ImageNet backbone (``features`` part of torchvision's AlexNet/VGG16) and the LPIPS
v0.1 linear heads (as the ``lpips`` 0.1.4 package ships them). Folders are searched in this order, and the first
folder holding a file wins, file by file:

1. ``weights_dir`` when given (then only that folder is searched),
2. ``$CTDENOISE_LPIPS_WEIGHTS``,
3. ``$CTDENOISE_SHARED/weights/lpips`` (the project's shared data folder, see the README), when that is set,
4. torch hub's checkpoint cache (``$TORCH_HOME/hub/checkpoints``, by default ``~/.cache/torch/hub/checkpoints``),
   where torchvision keeps ``alexnet-owt-7be5be79.pth`` / ``vgg16-397923af.pth``,
5. the weights folder of an installed ``lpips`` package (``lpips/weights/v0.1/alex.pth``, ``vgg.pth``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import torch

from ctdenoise.errors import CtDenoiseError

WEIGHTS_ENV_VAR = "CTDENOISE_LPIPS_WEIGHTS"
SHARED_ENV_VAR = "CTDENOISE_SHARED"

# Accepted file names, preferred first: ctdenoise's shared names, then torchvision's / the lpips package's.
BACKBONE_FILE_NAMES = {
    "alex": ("alexnet-features.pth", "alexnet-owt-7be5be79.pth"),
    "vgg": ("vgg16-features.pth", "vgg16-397923af.pth"),
}
HEAD_FILE_NAMES = {
    "alex": ("lpips-v0.1-alex-linear.pth", "alex.pth"),
    "vgg": ("lpips-v0.1-vgg-linear.pth", "vgg.pth"),
}


def _lpips_package_weights_dir() -> Path | None:
    spec = importlib.util.find_spec("lpips")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "weights" / "v0.1"


def lpips_weight_dirs(weights_dir: Path | str | None = None) -> list[Path]:
    """The folders searched for LPIPS weights, in order (see the module docstring)."""
    if weights_dir is not None:
        return [Path(weights_dir).expanduser()]
    folders = []
    if os.environ.get(WEIGHTS_ENV_VAR):
        folders.append(Path(os.environ[WEIGHTS_ENV_VAR]).expanduser())
    if os.environ.get(SHARED_ENV_VAR):
        folders.append(Path(os.environ[SHARED_ENV_VAR]).expanduser() / "weights" / "lpips")
    folders.append(Path(torch.hub.get_dir()) / "checkpoints")
    package_dir = _lpips_package_weights_dir()
    if package_dir is not None:
        folders.append(package_dir)
    return folders


def _find_file(names: tuple[str, ...], folders: list[Path], what: str) -> Path:
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    looked = ", ".join(str(folder) for folder in folders)
    raise CtDenoiseError(
        f"LPIPS {what} weights not found: looked for {' or '.join(names)} in {looked}; pass --lpips-weights DIR "
        f"or set ${WEIGHTS_ENV_VAR} to a folder holding them"
    )


def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # a corrupt or non-torch file: name it instead of a pickle traceback
        raise CtDenoiseError(f"{path}: cannot be read as PyTorch weights ({error.__class__.__name__})") from error
    if not isinstance(state, dict):
        raise CtDenoiseError(f"{path}: expected a state dict, found {type(state).__name__}")
    return state


def load_backbone_state(net: str, weights_dir: Path | str | None = None) -> tuple[dict[str, torch.Tensor], Path]:
    """The backbone's ``features`` state dict (keys ``N.weight``/``N.bias``) and the file it came from.

    Accepts both a features-only file and torchvision's full checkpoint (its classifier keys are ignored).
    """
    path = _find_file(BACKBONE_FILE_NAMES[net], lpips_weight_dirs(weights_dir), f"{net} backbone")
    state = _load_state_dict(path)
    features = {key.removeprefix("features."): value for key, value in state.items() if key.startswith("features.")}
    if not features:
        raise CtDenoiseError(f"{path}: no 'features.*' weights in this file; is it an {net} backbone?")
    return features, path


def load_head_state(net: str, weights_dir: Path | str | None = None) -> tuple[list[torch.Tensor], Path]:
    """The five LPIPS v0.1 linear-head weights ``(1, C, 1, 1)`` (keys ``linK.model.1.weight``) and their file."""
    path = _find_file(HEAD_FILE_NAMES[net], lpips_weight_dirs(weights_dir), f"v0.1 {net} linear-head")
    state = _load_state_dict(path)
    try:
        return [state[f"lin{layer}.model.1.weight"] for layer in range(5)], path
    except KeyError as error:
        raise CtDenoiseError(f"{path}: missing LPIPS head weight {error.args[0]!r}") from error
