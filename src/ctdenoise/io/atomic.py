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
    """Raise unless writing ``path`` is allowed: never an input, an existing output only with ``overwrite``.

    An input counts as overwritten when the output is the input, a folder holding the input (replacing it would
    delete the input), or a path inside an input folder (it would add a stray file to, e.g., a DICOM series).
    """
    path = Path(path)
    target = path.resolve()
    for source in inputs:
        source_path = Path(source).resolve()
        if source_path == target:
            raise CtDenoiseError(f"{path}: output would overwrite the input; choose another output path")
        if target in source_path.parents:
            raise CtDenoiseError(f"{path}: output folder holds the input {source}; choose another output path")
        if source_path.is_dir() and source_path in target.parents:
            raise CtDenoiseError(f"{path}: output lies inside the input folder {source}; choose a path outside it")
    if path.exists() and not overwrite:
        raise CtDenoiseError(f"{path}: already exists; pass --overwrite to replace it")


def _temporary_sibling(path: Path, is_dir: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Keep the real suffix(es) at the end so format-by-extension writers (SimpleITK) still work.
    prefix = f".{path.name}.tmp-"
    # mkdtemp/mkstemp create private (0700/0600) entries; outputs get the usual permissions instead.
    if is_dir:
        temporary = Path(tempfile.mkdtemp(prefix=prefix, dir=path.parent))
        temporary.chmod(0o755)
        return temporary
    handle, name = tempfile.mkstemp(prefix=prefix, suffix="".join(path.suffixes) or None, dir=path.parent)
    os.close(handle)
    Path(name).chmod(0o644)
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
