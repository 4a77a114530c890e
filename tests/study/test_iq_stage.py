"""The IQ stage's answer — the lowest dose at which a method reaches full-dose FBP's d′ — on hand-made results."""

from ctdenoise.study.iq_stage import FBP, iq_report_blocks, matching_doses


def _assessment(dprimes):
    return {
        "inserts": [{"dprime": d, "dprime_ci": [d - 0.5, d + 0.5]} for d in dprimes],
        "nps": {"noise_std_hu": 10.0},
        "ttf": [{"f50_per_mm": 0.1}],
    }


RESULTS = {
    FBP: {"0.1": _assessment([0.2, 0.5]), "0.5": _assessment([0.8, 1.4]), "1": _assessment([1.0, 2.0])},
    "Denoiser": {"0.1": _assessment([1.1, 0.9]), "0.5": _assessment([1.5, 1.9]), "1": _assessment([1.6, 2.5])},
}
DOSES = [0.1, 0.5, 1.0]


def test_matching_dose_is_the_lowest_dose_reaching_full_dose_fbp():
    matching = matching_doses(RESULTS, DOSES)
    assert matching[FBP] == [1.0, 1.0]
    assert matching["Denoiser"] == [0.1, 1.0]


def test_report_table_has_one_row_per_method_and_nothing_without_iq():
    iq = {
        "doses": DOSES,
        "n_realisations": 10,
        "results": RESULTS,
        "matching_dose": matching_doses(RESULTS, DOSES),
        "phantom": {
            "detection_inserts": [{"diameter_mm": 3, "contrast_hu": 14}, {"diameter_mm": 10, "contrast_hu": 3}]
        },
    }
    blocks = iq_report_blocks({"iq": iq, "figures": {"figure3": "iq/figure3_iq.png"}})
    rows, _ = next(content for kind, content in blocks if kind == "table")
    assert [row["method"] for row in rows] == [FBP, "Denoiser"]
    assert rows[1]["insert0"] == "1.10 [0.60, 1.60]; 10%"
    assert rows[1]["insert1"] == "0.90 [0.40, 1.40]; 100%"
    assert iq_report_blocks({}) == []
