"""The study's report: ``report.md`` and a self-contained ``report.html`` (figures inlined, opens offline).

Every number comes from the ``results`` dict the study computed in the same run; this module only lays it out,
next to the seed paper's published values (``seed_results``).
"""

from __future__ import annotations

import base64
import csv
import html
import json
import math
from pathlib import Path
from typing import Any

import yaml

from ctdenoise.io.atomic import atomic_path
from ctdenoise.study.iq_stage import iq_report_blocks
from ctdenoise.study.real_scans_stage import real_scans_report_blocks
from ctdenoise.study.seed_results import SEED_CITATION, SEED_CONSISTENT_FEATURES, SEED_TABLE1

TABLE1_COLUMNS = [
    ("model", "Model"),
    ("precision", "Precision"),
    ("psnr", "↑PSNR (dB)"),
    ("ssim", "↑SSIM"),
    ("lpips", "↓LPIPS"),
    ("inference_s", "Inference time (s/volume, CPU)"),
    ("train_s_per_iter", "Training time per iter (s, CPU)"),
    ("inference_speedup", "Inference speed-up"),
    ("training_speedup", "Training speed-up"),
]


def _mean_std(row: dict[str, Any], key: str, digits: int) -> str:
    mean, std = row.get(f"{key}_mean"), row.get(f"{key}_std")
    if mean is None or math.isnan(mean):
        return "n/a"
    if std is None or math.isnan(std):  # a single test subject has no spread
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _number(value: Any, digits: int, suffix: str = "") -> str:
    if value is None:
        return "N/A"
    return f"{value:.{digits}f}{suffix}"


def format_table1_row(row: dict[str, Any]) -> dict[str, str]:
    """One computed Table 1 row as display strings in the seed's layout."""
    return {
        "model": row["model"],
        "precision": row["precision"],
        "psnr": _mean_std(row, "psnr", 2),
        "ssim": _mean_std(row, "ssim", 4),
        "lpips": _mean_std(row, "lpips", 4),
        "inference_s": _number(row.get("inference_s"), 3),
        "train_s_per_iter": _number(row.get("train_s_per_iter"), 3),
        "inference_speedup": _number(row.get("inference_speedup"), 2, "×"),
        "training_speedup": _number(row.get("training_speedup"), 2, "×"),
    }


def markdown_table(rows: list[dict[str, str]], columns: list[tuple[str, str]]) -> str:
    header = "| " + " | ".join(title for _, title in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    lines = ["| " + " | ".join(str(row.get(key, "")) for key, _ in columns) + " |" for row in rows]
    return "\n".join([header, rule, *lines])


def _benchmark_rows(benchmark: dict[str, Any]) -> list[dict[str, str]]:
    rows = []
    for result in benchmark.get("timings", benchmark.get("results", [])):
        rows.append(
            {
                "model": result["model"],
                "runtime": result["runtime"],
                "precision": result["precision"],
                "median_s": _number(result.get("median_s"), 4),
                "range_s": f"{_number(result.get('min_s'), 4)}–{_number(result.get('max_s'), 4)}",
                "speedup": _number(result.get("speedup_vs_srresnet_fp32"), 2, "×"),
                "gops": _number(result.get("gops"), 1),
                "peak": _number(result.get("percent_of_peak"), 1, " %"),
            }
        )
    return rows


BENCHMARK_COLUMNS = [
    ("model", "Model"),
    ("runtime", "Runtime"),
    ("precision", "Precision"),
    ("median_s", "Median (s)"),
    ("range_s", "Min–max (s)"),
    ("speedup", "Speed-up vs SRResNet FP32 torch"),
    ("gops", "GOP/s"),
    ("peak", "of measured peak"),
]

RADIOMICS_COLUMNS = [
    ("method", "Method"),
    ("consistent", "Features not different from SRResNet FP32 (paired t, p ≥ 0.05)"),
    ("consistent_bh", "… after Benjamini–Hochberg"),
    ("median_ccc", "Median CCC to full dose"),
]


def report_blocks(results: dict[str, Any]) -> list[tuple[str, Any]]:
    """The report's content once, as (kind, content) blocks that ``build_markdown`` and ``build_html`` lay out.

    Kinds: ``title``, ``heading``, ``text``, ``table`` (rows, columns), ``list`` (items), ``figure`` (path relative
    to the study folder, caption) and ``code`` (text).
    """
    table1 = [format_table1_row(row) for row in results["table1"]]
    extra = [format_table1_row(row) for row in results.get("reference_rows", [])]
    figures = results["figures"]
    machine = yaml.safe_dump({"machine": results["machine"], "versions": results["versions"]})
    return [
        ("title", "ctdenoise — reproduction of Wei & Hsu (MIDL 2021)"),
        (
            "text",
            f"Preset {results['preset']}, data: {results['data_description']}. "
            f"Test split: {results['n_test_subjects']} subjects, {results['n_test_nodules']} nodules. "
            f"Run finished {results['finished']}; total {results['total_minutes']:.1f} min.",
        ),
        ("heading", "Table 1 — image quality and speed (this run)"),
        (
            "text",
            "PSNR/SSIM/LPIPS: mean ± std over test subjects against the full-dose 1 mm reference "
            f"(HU window {results['window_hu']}, per-slice in three views). Inference: "
            f"{results['inference_description']} Training: seconds per iteration on this CPU "
            f"({results['training_description']}). Speed-ups are against SRResNet FP32 in this run.",
        ),
        ("table", (table1, TABLE1_COLUMNS)),
        ("text", "Reference rows (not networks):"),
        ("table", (extra, TABLE1_COLUMNS[:5])),
        ("heading", "Checks"),
        ("list", results.get("checks", [])),
        ("heading", "The seed's Table 1 (published)"),
        ("table", (SEED_TABLE1, TABLE1_COLUMNS)),
        ("heading", "Where ours differs from the seed's, and why"),
        ("list", results.get("differences", [])),
        ("heading", "Inference speed benchmark (ctdenoise benchmark, same run)"),
        ("text", results["benchmark"].get("description", "")),
        ("table", (_benchmark_rows(results["benchmark"]), BENCHMARK_COLUMNS)),
        ("heading", "Figure 1 — a nodule ROI (lung window W1500/L−600)"),
        ("figure", (figures["figure1"], "Figure 1")),
        ("heading", "Figure 2 — radiomic features against the SRResNet FP32 baseline"),
        (
            "text",
            f"Paired t-test per feature over {results['n_test_nodules']} test nodules; red = significant "
            f"(p < 0.05), green = not. Seed: {SEED_CONSISTENT_FEATURES}.",
        ),
        ("figure", (figures["figure2"], "Figure 2")),
        ("table", (results["radiomics_summary"], RADIOMICS_COLUMNS)),
        *iq_report_blocks(results),
        *real_scans_report_blocks(results),
        ("heading", "Training curves"),
        ("figure", (figures["training"], "Training curves")),
        ("heading", "Machine and versions"),
        ("code", machine),
        ("heading", "Resolved configuration"),
        ("code", yaml.safe_dump(results["config"], sort_keys=False)),
        ("text", f"Seed: {SEED_CITATION}"),
        ("text", "All numbers above are in results.json, table1.csv, radiomics/radiomics_tests.csv and stages/."),
    ]


def build_markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown; figures are referenced by relative path."""
    parts = []
    for kind, content in report_blocks(results):
        if kind == "title":
            parts.append(f"# {content}")
        elif kind == "heading":
            parts.append(f"## {content}")
        elif kind == "text":
            parts.append(content)
        elif kind == "table":
            parts.append(markdown_table(*content))
        elif kind == "list":
            parts.append("\n".join(f"- {item}" for item in content))
        elif kind == "figure":
            parts.append(f"![{content[1]}]({content[0]})")
        elif kind == "code":
            parts.append(f"```\n{content}```")
    return "\n\n".join(parts) + "\n"


def _html_table(rows: list[dict[str, str]], columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(title)}</th>" for _, title in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row.get(key, '')))}</td>" for key, _ in columns) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _html_image(path: Path, alt: str) -> str:
    if not path.is_file():
        return f"<p><em>{html.escape(alt)}: figure missing ({html.escape(str(path.name))})</em></p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


HTML_STYLE = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}
pre{background:#f6f6f6;padding:1em;overflow:auto;font-size:0.8em}
"""


def build_html(results: dict[str, Any], out_dir: Path) -> str:
    """The report as one HTML file with its figures embedded, so it opens offline and travels alone."""
    esc = html.escape
    parts = []
    for kind, content in report_blocks(results):
        if kind == "title":
            parts.append(f"<h1>{esc(content)}</h1>")
        elif kind == "heading":
            parts.append(f"<h2>{esc(content)}</h2>")
        elif kind == "text":
            parts.append(f"<p>{esc(content)}</p>")
        elif kind == "table":
            parts.append(_html_table(*content))
        elif kind == "list":
            parts.append("<ul>" + "".join(f"<li>{esc(item)}</li>" for item in content) + "</ul>")
        elif kind == "figure":
            parts.append(_html_image(out_dir / content[0], content[1]))
        elif kind == "code":
            parts.append(f"<pre>{esc(content)}</pre>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ctdenoise report</title>'
        f"<style>{HTML_STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def write_table1_csv(rows: list[dict[str, Any]], path: Path) -> None:
    keys = sorted({key for row in rows for key in row}, key=lambda k: (k not in ("model", "precision"), k))
    with atomic_path(path) as temporary, temporary.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def write_report(results: dict[str, Any], out_dir: Path) -> dict[str, Path]:
    """Write report.md, report.html, results.json and table1.csv into ``out_dir``."""
    out_dir = Path(out_dir)
    paths = {
        "markdown": out_dir / "report.md",
        "html": out_dir / "report.html",
        "json": out_dir / "results.json",
        "table1": out_dir / "table1.csv",
    }
    with atomic_path(paths["markdown"]) as temporary:
        temporary.write_text(build_markdown(results))
    with atomic_path(paths["html"]) as temporary:
        temporary.write_text(build_html(results, out_dir))
    with atomic_path(paths["json"]) as temporary:
        temporary.write_text(json.dumps(results, indent=2, default=str))
    write_table1_csv(results["table1"] + results.get("reference_rows", []), paths["table1"])
    return paths
