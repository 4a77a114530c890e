"""Write outputs so that a crash never leaves half a file and nothing is overwritten by surprise."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ctdenoise.errors import CtDenoiseError


def refuse_to_clobber(path: Path, overwrite: bool, inputs: tuple[Path, ...] = ()) -> None:
    """Raise unless writing ``path`` is allowed: never an input, an existing output only with ``overwrite``."""
    path = Path(path)
    for source in inputs:
        if Path(source).exists() and path.exists() and Path(source).resolve() == path.resolve():
            raise CtDenoiseError(f"{path}: output would overwrite the input; choose another output path")
    if path.exists() and not overwrite:
        raise CtDenoiseError(f"{path}: already exists; pass --overwrite to replace it")


def _temporary_sibling(path: Path, is_dir: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real suffix(es) at the end so format-by-extension writers (SimpleITK) still work.
    prefix = f".{path.name}.tmp-"
    if is_dir:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
    handle, name = tempfile.mkstemp(prefix=prefix, suffix="".join(path.suffixes) or None, dir=path.parent)
    os.close(handle)
    return Path(name)


def _replace(temporary: Path, final: Path) -> None:
    if final.is_dir() and not final.is_symlink():
        backup = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(backup)
        temporary.rename(final)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        os.replace(temporary, final)


@contextlib.contextmanager
def atomic_path(path: Path | str, is_dir: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it is renamed to ``path``, on error removed.

    Example:
        >>> with atomic_path(tmp / "ct.nii.gz") as temporary:   # doctest: +SKIP
        ...     sitk.WriteImage(image, str(temporary))
    """
    final = Path(path)
    temporary = _temporary_sibling(final, is_dir)
    try:
        yield temporary
        _replace(temporary, final)
    except BaseException:
        if temporary.is_dir():
            shutil.rmtree(temporary, ignore_errors=True)
        else:
            temporary.unlink(missing_ok=True)
        raise
