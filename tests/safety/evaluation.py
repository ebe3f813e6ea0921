"""Measure the crisis screen on the labelled evaluation corpus (tests/data/safety/eval).

Each share was written by someone who had not read the concept files. `tune.yaml` is what
the concept files were first tuned on; `holdout.yaml`, `fresh.yaml`, `fresh2.yaml` and
`fresh3.yaml` were each measured once while unseen, then read for the next round of tuning
(fresh3: crisis recall 0.737 unseen, before the fourth round). `fresh4.yaml` was measured
unseen at 0.724 with the concept files alone; the concept files were never tuned on it, and
with `ordinary.yaml` (everyday traffic, all labelled none) it chose the thresholds of the
example reading. `fresh5.yaml` was measured unseen twice while the example reading was built
(0.729, then 0.801; 0.602 with the concept files alone). The messages of all these shares are
also among the example files (content/safety/examples); every share is screened with its own
messages left out of the examples, so its figure is still for messages the examples have not
seen. The unseen shares are in neither the examples nor any tuning: they say how the screen
does on messages nobody has seen. `fresh6.yaml` was measured on 2026-11-30 before fresh5 and
ordinary joined the examples (crisis recall 0.751, precision 0.943; 0.627 and 0.965 with the
concept files alone), `fresh7.yaml` (written the same day by a writer who had read none of the
content) first with the examples as they were (0.831, 0.977), then with example batch 7
(0.850, 0.972; fresh6 then 0.791 and 0.959); batch 7 was taken out of the examples again
for now, as it made every screen about half again as slow (it is in git history, commit
6fbdf34), and came back with the fifth round: batch 7, fresh6 and fresh7 joined the
examples, and concept rules were added from the misses of fresh4 to fresh7. `fresh8.yaml`
(450 messages by a writer who had read none of the content or other shares) was then
measured once, unseen: crisis recall 0.905, precision 0.979 (0.871 and 0.979 with the
content as it was before the round). UNMATCHED_RESEMBLANCE lowered from 0.35 to 0.30
(chosen on fresh4+fresh5+ordinary) gave fresh7 0.879 and fresh6 0.853, but answered the
reminder button "I need another time" as a crisis, so it was not kept. The sixth round
(2026-12-01) then read fresh8's misses (20 crisis messages read as none or gentle, 2 ordinary
ones as crisis) and added concept rules for what they lacked ("sjette runde" and "sixth
round" in the concept files); fresh8 joined the examples and moved to MEASURED. Left out of
the examples it now reads crisis recall 1.000, precision 0.981, but that is the share the
rules were written from, no longer a figure for unseen messages. Over `every` crisis recall
went from 0.953 to 0.969 (precision 0.965 both; fresh4-fresh7 together gained 4 of 728);
`ordinary` kept 8 of 340 read as crisis (gentle checks 11 -> 12). `fresh9.yaml` (450
messages, 2026-12-01, by a writer who had read none of the content or other shares; 74 hard
negatives and near pairs across labels) was then measured once, unseen: crisis recall 0.833,
precision 0.921; with the content as it was before the sixth round 0.833 and 0.916. The
round's rules lifted the share they were written from and not this one: tuning on one
writer's misses does not carry to the next writer. Run
`python -m tests.safety.evaluation [tune|…|fresh8|ordinary|all|every]
[--misses]` for the report the test prints; `all` is the tuned shares, `every` adds the others.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.safety.screen import CrisisMatch, load_screener

EVAL_DIR = Path(__file__).resolve().parents[1] / "data" / "safety" / "eval"
SHARES = ("tune", "holdout", "fresh", "fresh2", "fresh3")
"""Shares the concept files were tuned on; the acceptance test holds its thresholds here."""
MEASURED = ("fresh4", "fresh5", "ordinary", "fresh6", "fresh7", "fresh8")
"""Shares measured once while unseen, now among the examples (left out when measured). The
fifth round's rules were written from the misses of fresh4-fresh7 and the sixth round's from
fresh8's, so their figures now say how the screen does on messages the examples have not
seen, not on messages nobody tuned for: only an UNSEEN share says that."""
UNSEEN = ("fresh9",)
"""Shares nobody tuning may read; skipped while their file does not exist yet."""


def available(shares: tuple[str, ...]) -> tuple[str, ...]:
    """The shares whose file exists; a tuned share that is missing is an error."""
    for name in shares:
        if name not in UNSEEN and not (EVAL_DIR / f"{name}.yaml").exists():
            raise FileNotFoundError(EVAL_DIR / f"{name}.yaml")
    return tuple(name for name in shares if (EVAL_DIR / f"{name}.yaml").exists())


def load(share: str) -> list[dict[str, Any]]:
    """The labelled messages of one share ('tune'), the tuned ones ('all') or all ('every').

    An unseen share whose file does not exist yet has no messages.
    """
    every = (*SHARES, *MEASURED, *UNSEEN)
    shares = SHARES if share == "all" else every if share == "every" else (share,)
    messages: list[dict[str, Any]] = []
    for name in available(shares):
        data = yaml.safe_load((EVAL_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
        messages += [{**m, "share": name} for m in data["messages"]]
    return messages


def outcome(match: CrisisMatch | None) -> str:
    """'crisis', 'gentle' or 'none', as the young person would experience it."""
    if match is None:
        return "none"
    return "gentle" if match.gentle else "crisis"


@dataclass
class Report:
    """Counts by label and predicted outcome, per language and per crisis category."""

    rows: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def _subset(self, **where: str) -> list[tuple[dict[str, Any], str]]:
        return [(m, p) for m, p in self.rows if all(m.get(k) == v for k, v in where.items())]

    def recall(self, **where: str) -> tuple[float, int]:
        """Share of crisis messages screened as crisis."""
        crisis = [p for m, p in self._subset(label="crisis", **where)]
        return (sum(p == "crisis" for p in crisis) / len(crisis) if crisis else 1.0), len(crisis)

    def precision(self, **where: str) -> tuple[float, int]:
        """Share of messages screened as crisis that are crisis messages."""
        flagged = [m for m, p in self._subset(**where) if p == "crisis"]
        hits = sum(m["label"] == "crisis" for m in flagged)
        return (hits / len(flagged) if flagged else 1.0), len(flagged)

    def rate(self, label: str, predicted: tuple[str, ...], **where: str) -> tuple[float, int]:
        """Share of messages with this label screened as one of `predicted`."""
        rows = self._subset(label=label, **where)
        return (sum(p in predicted for _, p in rows) / len(rows) if rows else 0.0), len(rows)

    def misses(self) -> list[tuple[dict[str, Any], str]]:
        """Every message whose outcome differs from its label."""
        return [(m, p) for m, p in self.rows if m["label"] != p]

    def text(self) -> str:
        """The printed report."""
        lines = []
        r, n = self.recall()
        pr, f = self.precision()
        g, gn = self.rate("gentle", ("gentle", "crisis"))
        o, on = self.rate("none", ("gentle",))
        oc, _ = self.rate("none", ("crisis",))
        caught, _ = self.rate("crisis", ("crisis", "gentle"))
        lines.append(
            f"crisis recall {r:.3f} (n={n})  precision {pr:.3f} (flagged={f})  "
            f"crisis met by at least a gentle check {caught:.3f}  "
            f"gentle messages caught {g:.3f} (n={gn})  "
            f"ordinary messages: gentle check {o:.3f}, crisis {oc:.3f} (n={on})"
        )
        langs = Counter(m["lang"] for m, _ in self.rows)
        for lang in sorted(langs, key=lambda x: -langs[x]):
            r, n = self.recall(lang=lang)
            pr, f = self.precision(lang=lang)
            o, on = self.rate("none", ("gentle",), lang=lang)
            lines.append(
                f"  {lang}: recall {r:.3f} (n={n})  precision {pr:.3f} "
                f"(flagged={f})  ordinary→gentle {o:.3f} (n={on})"
            )
        cats = Counter(m.get("category") for m, _ in self.rows if m["label"] == "crisis")
        for cat in sorted(c for c in cats if c):
            r, n = self.recall(category=cat)
            lines.append(f"  {cat}: recall {r:.3f} (n={n})")
        return "\n".join(lines)


def evaluate(share: str) -> Report:
    """Screen every message of a share, or of each share of 'all' and 'every'.

    The example files (content/safety/examples) hold the messages of the tuned shares. A
    share is screened with its own messages left out of the examples, so every figure says
    how the screen does on messages it has not seen as examples (leave one share out).
    """
    report = Report()
    screener = load_screener()
    messages = load(share)
    for name in dict.fromkeys(m["share"] for m in messages):
        mine = [m for m in messages if m["share"] == name]
        blind = screener.without_examples(m["text"] for m in mine)
        report.rows += [(m, outcome(blind.screen(m["text"]))) for m in mine]
    return report


def main() -> None:
    """Print the report and, with --misses, every message screened differently."""
    share = sys.argv[1] if len(sys.argv) > 1 else "tune"
    if share in UNSEEN and not available((share,)):
        print(f"{share}: no such share yet ({EVAL_DIR / share}.yaml)")
        return
    report = evaluate(share)
    print(report.text())
    if "--misses" in sys.argv:
        for m, p in report.misses():
            print(f"  [{m['lang']}] {m['label']}/{m.get('category', '')} -> {p}: {m['text']}")


if __name__ == "__main__":
    main()
