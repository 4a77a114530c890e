"""What a run reports: a CSV of metrics (``metrics.csv``) and TensorBoard event files (``tensorboard/``)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

COLUMNS = ("step", "loss", "lr", "seconds_per_iteration", "val_psnr_db", "val_input_psnr_db")


class RunLog:
    """Append metric rows to ``metrics.csv`` and TensorBoard; on resume, drop rows after the checkpoint's step
    (they came from steps a killed run did not save and will be trained again).

    Args:
        run_dir: the run folder.
        start_step: the step training (re)starts from.
        tensorboard: also write TensorBoard event files.
    """

    def __init__(self, run_dir: Path, start_step: int = 0, tensorboard: bool = True) -> None:
        self.csv_path = Path(run_dir) / "metrics.csv"
        kept = self._rows_up_to(start_step)
        with self.csv_path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(kept)
        self.writer = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"), purge_step=start_step or None)

    def _rows_up_to(self, step: int) -> list[dict[str, str]]:
        if step == 0 or not self.csv_path.exists():
            return []
        with self.csv_path.open(newline="") as handle:
            return [row for row in csv.DictReader(handle) if int(row["step"]) <= step]

    def log(self, step: int, metrics: dict[str, Any]) -> None:
        row = {"step": step, **{key: metrics.get(key, "") for key in COLUMNS[1:]}}
        with self.csv_path.open("a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=COLUMNS).writerow(row)
        if self.writer is not None:
            for key, value in metrics.items():
                if value not in ("", None):
                    self.writer.add_scalar(key, float(value), step)

    def history(self) -> list[dict[str, float]]:
        """All rows so far, numbers as floats (empty cells left out)."""
        with self.csv_path.open(newline="") as handle:
            return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
