"""Risk rules for check-in answers, kept as data in content/checkins/risk.yaml."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.content.flows import CONTENT_DIR
from bot.content.texts import fold
from bot.content.yaml_files import load_yaml


class LowScores(BaseModel):
    """Answers at or below `at_most`, `in_a_row` times."""

    model_config = ConfigDict(extra="forbid")

    at_most: int = Field(ge=1, le=5)
    in_a_row: int = Field(ge=1)
    reason: str = Field(max_length=200)


class NoAnswer(BaseModel):
    """Check-ins without an answer, `in_a_row` times."""

    model_config = ConfigDict(extra="forbid")

    in_a_row: int = Field(ge=1)
    reason: str = Field(max_length=200)


class Words(BaseModel):
    """Phrases in a free-text answer."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=200)
    phrases: list[str] = Field(min_length=1)


class RiskRules(BaseModel):
    """All rules, with the date they were last checked by a person."""

    model_config = ConfigDict(extra="forbid")

    last_verified: date
    low_scores: LowScores
    no_answer: NoAnswer
    words: Words

    def low_streak(self, scores: list[int | None]) -> bool:
        """True when the newest answers (newest first) are a low streak."""
        rule = self.low_scores
        recent = scores[: rule.in_a_row]
        return len(recent) == rule.in_a_row and all(
            s is not None and s <= rule.at_most for s in recent
        )

    def silent_streak(self, answered: list[bool]) -> bool:
        """True when the newest check-ins (newest first) all went unanswered."""
        recent = answered[: self.no_answer.in_a_row]
        return len(recent) == self.no_answer.in_a_row and not any(recent)

    def mentions_stopping(self, text: str) -> bool:
        """True when the text mentions stopping school or work."""
        folded = f" {fold(text)} "
        return any(re.search(rf"\b{re.escape(p)}\b", folded) for p in self._phrases())

    def _phrases(self) -> list[str]:
        return [fold(p) for p in self.words.phrases]


def load_rules(path: Path | None = None) -> RiskRules:
    """Read and check the rules file."""
    path = path or CONTENT_DIR / "checkins" / "risk.yaml"
    return RiskRules.model_validate(load_yaml(path.read_text(encoding="utf-8")))


@lru_cache
def rules() -> RiskRules:
    """The shipped rules (loaded once)."""
    return load_rules()
