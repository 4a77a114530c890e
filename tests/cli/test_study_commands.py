"""``ctdenoise reproduce --no-progress`` reaches the study as ``progress=False`` (the stages pass it on)."""

from __future__ import annotations

import pytest

import ctdenoise.study
from ctdenoise.cli.main import main


@pytest.mark.parametrize(("flag", "expected"), [("--no-progress", False), ("--progress", True)])
def test_reproduce_passes_the_progress_flag_to_the_study(monkeypatch, tmp_path, flag, expected):
    seen = {}
    monkeypatch.setattr(ctdenoise.study, "reproduce", lambda *args, **kwargs: seen.update(kwargs))
    with pytest.raises(SystemExit) as exit_info:
        main(["reproduce", "--out", str(tmp_path / "study"), flag])
    assert exit_info.value.code in (0, None)
    assert seen["progress"] is expected
