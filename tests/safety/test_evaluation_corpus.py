"""Acceptance: the crisis screen on the labelled evaluation corpus, per language and category.

The corpus (tests/data/safety/eval) was written apart from the concept files, the way young
people write. The thresholds hold for the shares the concept files were tuned on (`tune`,
`holdout`, `fresh`, `fresh2`, `fresh3`), each with its own messages left out of the example
files. `fresh4`, `fresh5`, `ordinary`, `fresh6`, `fresh7` and `fresh8` are among the
examples too, each left out when it is measured; the fifth round of concept rules
(2026-11-30) was written from the misses of fresh4 to fresh7, the sixth (2026-12-01) from
those of fresh8 (crisis recall 0.905, precision 0.979 when first measured unseen). The
unseen `fresh9` (in nothing that was tuned) is printed beside them once its file exists, so
a reader sees how the screen does on messages nobody tuned it for.
"""

from __future__ import annotations

from collections import Counter

from tests.safety.evaluation import MEASURED, SHARES, UNSEEN, available, evaluate, load

OTHER_LANGUAGES = ("ar", "fa", "pl", "ru", "so", "tr", "uk")


def test_corpus_is_large_and_varied_enough() -> None:
    messages = load("every")
    assert len(messages) >= 400
    per_language = Counter(m["lang"] for m in messages)
    assert all(per_language[lang] >= 20 for lang in OTHER_LANGUAGES), per_language
    labels = Counter(m["label"] for m in messages)
    assert labels["crisis"] >= 200 and labels["gentle"] >= 80 and labels["none"] >= 150
    for m in messages:
        assert (m["label"] == "crisis") == ("category" in m), m


def test_recall_and_precision_on_the_whole_corpus() -> None:
    for share in available((*SHARES, *MEASURED, *UNSEEN)):
        print(f"\n--- {share} ---\n{evaluate(share).text()}")
    report = evaluate("all")
    print(f"\n--- all ---\n{report.text()}")
    recall, crisis = report.recall()
    precision, flagged = report.precision()
    missed = [m["text"] for m, p in report.rows if m["label"] == "crisis" and p != "crisis"]
    assert recall >= 0.98, f"recall {recall:.3f} of {crisis}; missed: {missed}"
    assert precision >= 0.9, f"precision {precision:.3f} of {flagged} flagged"
