import json

import pytest

from ctdenoise.study.stages import Stage, load_stage_record, run_stage


def test_finished_stage_is_skipped_on_resume(tmp_path):
    calls = []

    def work(folder):
        calls.append(folder)
        (folder / "output.txt").write_text("done")
        return {"value": 42}

    stage = Stage("example", "an example stage", work)
    first = run_stage(stage, tmp_path, resume=True)
    second = run_stage(stage, tmp_path, resume=True)
    assert len(calls) == 1
    assert first["result"] == second["result"] == {"value": 42}
    assert second["skipped"] is True


def test_killed_stage_leaves_no_record_and_restarts_clean(tmp_path):
    def crash(folder):
        (folder / "half-written.bin").write_bytes(b"x")
        raise RuntimeError("killed")

    stage = Stage("fragile", "crashes", crash)
    with pytest.raises(RuntimeError, match="killed"):
        run_stage(stage, tmp_path, resume=True)
    assert load_stage_record(tmp_path, "fragile") is None

    def succeed(folder):
        return {"leftovers": sorted(p.name for p in folder.iterdir())}

    record = run_stage(Stage("fragile", "works now", succeed), tmp_path, resume=True)
    assert record["result"]["leftovers"] == []  # the half-written file of the killed run is gone
    assert json.loads((tmp_path / "stages" / "fragile.json").read_text())["result"]["leftovers"] == []


def test_stage_that_continues_partial_work_keeps_its_folder(tmp_path):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "last.pt").write_bytes(b"checkpoint")

    def resume_training(folder):
        return {"found_checkpoint": (folder / "last.pt").exists()}

    record = run_stage(Stage("train", "resumes", resume_training, True), tmp_path, resume=True)
    assert record["result"]["found_checkpoint"] is True
