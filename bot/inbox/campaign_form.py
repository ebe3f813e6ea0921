"""The campaign form in the inbox: its fields become a `CampaignSpec`, its errors Danish text.

The form never builds SQL: it builds the same spec a YAML file does, and pydantic checks it.
Each error is put back next to the field it came from, in words staff understand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml
from pydantic import ValidationError
from starlette.datastructures import ImmutableMultiDict

from bot.campaigns.spec import CampaignSpec
from bot.content.yaml_files import load_yaml
from bot.i18n import N_

Form = ImmutableMultiDict[str, Any]
CHOICES = 3
# Where an answer button may lead (flow steps every municipality has).
GOTO = {"menu.main": N_("Menuen"), "contact.open": N_("Kontakt en voksen")}
# The form's fields by name, for the list of problems above the form.
FIELD_LABELS = {
    "": N_("Kampagnen"),
    "name": N_("Navn"),
    "age_min": N_("Alder fra"),
    "age_max": N_("Alder til"),
    "appointment_within_days": N_("Møde inden for dage"),
    "no_contact_days": N_("Ingen kontakt i dage"),
    "milestone_tag": N_("Milepælens tag"),
    "text_da": N_("Besked på dansk"),
    "b_text_da": N_("Besked B på dansk"),
    "choice1_da": N_("Svarknap 1"),
    "choice2_da": N_("Svarknap 2"),
    "choice3_da": N_("Svarknap 3"),
    "at": N_("Tidspunkt"),
    "cron": N_("Gentagelse (cron)"),
    "offsets": N_("Hvornår før datoen"),
    "per_second": N_("Beskeder i sekundet"),
    "holdout": N_("Kontrolgruppe (%)"),
    "yaml": N_("YAML"),
}
# What a pydantic error type means, in Danish; {limit} and {n} come from the error.
ERROR_TYPES = {
    "missing": N_("Skal udfyldes."),
    "string_too_short": N_("Skal udfyldes."),
    "string_too_long": N_("Højst {n} tegn."),
    "int_parsing": N_("Skriv et helt tal."),
    "int_from_float": N_("Skriv et helt tal."),
    "float_parsing": N_("Skriv et tal."),
    "datetime_parsing": N_("Skriv en dato og et klokkeslæt."),
    "datetime_from_date_parsing": N_("Skriv en dato og et klokkeslæt."),
    "greater_than_equal": N_("Mindst {limit}."),
    "greater_than": N_("Over {limit}."),
    "less_than_equal": N_("Højst {limit}."),
    "less_than": N_("Under {limit}."),
    "too_long": N_("Højst {n}."),
    "too_short": N_("Mindst {n}."),
    "literal_error": N_("Ugyldigt valg."),
    "extra_forbidden": N_("Ukendt felt."),
    "string_pattern_mismatch": N_("Ugyldige tegn."),
}
# Our own validators' messages (bot/campaigns/spec.py), by how they begin.
VALUE_ERRORS = {
    "every label needs Danish": N_("Skriv dansk tekst."),
    "every message needs Danish": N_("Skriv dansk tekst."),
    "a campaign message is at most": N_("Højst 1000 tegn."),
    "unknown placeholder": N_("Ukendt felt i teksten: brug {first_name}, {contact_name}, {when}."),
    "a schedule has exactly one": N_("Vælg hvornår kampagnen sendes."),
    "each audience condition": N_("Hver betingelse tester én ting."),
    "write either text or arms": N_("Skriv enten text eller arms, ikke begge."),
    "bad reminder offset": N_("Skriv tider som 3d@16:00, 2h eller +1d@10:00."),
}
# Fields whose every error means the same thing to staff.
FIELD_ERRORS = {
    "holdout": N_("En andel mellem 0 og 49 %."),
    "cron": N_("Ikke et gyldigt cron-udtryk (fx 0 16 * * 1)."),
    "offsets": N_("Skriv tider som 3d@16:00, 2h eller +1d@10:00."),
}
YAML_ERROR = N_("Ikke gyldig YAML: en kampagne er en mapning (name:, audience:, …).")


@dataclass(frozen=True)
class Problem:
    """One error: a Danish message id, the values to fill in, and where it was."""

    message: str
    values: dict[str, Any] = field(default_factory=dict)
    where: str = ""


@dataclass
class Checked:
    """The spec, or the problems by form field ('' for the form as a whole)."""

    spec: CampaignSpec | None
    problems: dict[str, list[Problem]] = field(default_factory=dict)


def _text(form: Form, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _texts(form: Form, prefix: str) -> dict[str, str]:
    texts = {"da": _text(form, f"{prefix}_da")}
    if _text(form, f"{prefix}_en"):
        texts["en"] = _text(form, f"{prefix}_en")
    return texts


def _tests(form: Form) -> list[tuple[str, dict[str, Any]]]:
    """Each filled audience field as (field, condition); raw text is left for pydantic."""
    found: list[tuple[str, dict[str, Any]]] = []
    age = {k: _text(form, f"age_{k}") for k in ("min", "max") if _text(form, f"age_{k}")}
    if age:
        found.append(("age", {"age": age}))
    for name in ("status", "language", "channel"):
        picked = [v for v in form.getlist(name) if isinstance(v, str) and v]
        if picked:
            found.append((name, {name: picked}))
    if _text(form, "team"):
        found.append(("team", {"team": _text(form, "team")}))
    if _text(form, "milestone_tag"):
        test = {"tag": _text(form, "milestone_tag"), "state": _text(form, "milestone_state")}
        found.append(("milestone", {"milestone": {k: v for k, v in test.items() if v}}))
    for name in ("appointment_within_days", "no_contact_days"):
        if _text(form, name):
            found.append((name, {name: _text(form, name)}))
    if _text(form, "risk_flag") in ("yes", "no"):
        found.append(("risk_flag", {"risk_flag": _text(form, "risk_flag") == "yes"}))
    return found


def audience(form: Form) -> tuple[dict[str, Any], list[str]]:
    """The audience condition the form describes, and the field behind each of its parts."""
    tests = _tests(form)
    combine = "any" if _text(form, "combine") == "any" and tests else "all"
    return {combine: [condition for _, condition in tests]}, [name for name, _ in tests]


def _holdout(form: Form) -> Any:
    raw = _text(form, "holdout").replace(",", ".")
    try:
        return float(raw) / 100 if raw else 0.0
    except ValueError:
        return raw


def _schedule(form: Form) -> dict[str, Any]:
    kind = _text(form, "schedule_kind") or "at"
    if kind == "cron":
        return {"cron": _text(form, "cron") or None}
    if kind == "relative":
        offsets = [o.strip() for o in _text(form, "offsets").split(",") if o.strip()]
        relative: dict[str, Any] = {"to": _text(form, "relative_to") or "appointment"}
        relative["offsets"] = offsets
        if _text(form, "relative_tag"):
            relative["tag"] = _text(form, "relative_tag")
        return {"relative": relative}
    return {"at": _text(form, "at") or None}


def spec_data(form: Form) -> tuple[dict[str, Any], list[str]]:
    """The spec as a dict (what pydantic validates), and the audience's fields in order."""
    condition, places = audience(form)
    arms = [{"name": "A", "text": _texts(form, "text")}]
    if _text(form, "b_text_da") or _text(form, "b_text_en"):
        arms.append({"name": "B", "text": _texts(form, "b_text")})
    choices = [
        {
            "key": f"c{n}",
            "label": _texts(form, f"choice{n}"),
            "goto": _text(form, f"choice{n}_goto") or "menu.main",
        }
        for n in range(1, CHOICES + 1)
        if _text(form, f"choice{n}_da") or _text(form, f"choice{n}_en")
    ]
    experiment: dict[str, Any] = {"outcome": _text(form, "outcome") or "replied"}
    if experiment["outcome"] == "milestone_done" and _text(form, "milestone_tag"):
        experiment["tag"] = _text(form, "milestone_tag")
    data = {
        "name": _text(form, "name"),
        "audience": condition,
        "arms": arms,
        "holdout": _holdout(form),
        "choices": choices,
        "schedule": _schedule(form),
        "per_second": _text(form, "per_second") or 1,
        "experiment": experiment,
    }
    return data, places


def _field_of(loc: tuple[Any, ...], places: list[str], schedule_kind: str) -> str:
    """The form field a pydantic error location points at."""
    head = loc[0] if loc else ""
    if head == "audience" and len(loc) > 2 and isinstance(loc[2], int) and loc[2] < len(places):
        name = places[loc[2]]
        if name == "age":
            return "age_max" if "max" in loc else "age_min"
        return "milestone_tag" if name == "milestone" else name
    if head == "arms":
        return "b_text_da" if len(loc) > 1 and loc[1] == 1 else "text_da"
    if head == "choices" and len(loc) > 1 and isinstance(loc[1], int):
        return f"choice{loc[1] + 1}_da"
    if head == "schedule":
        return {"relative": "offsets", "cron": "cron"}.get(schedule_kind, "at")
    return str(head) if head in ("name", "holdout", "per_second") else ""


def problem(error: Any, where: str = "") -> Problem:
    """A pydantic error in Danish (our own validators' words mapped, others by type)."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "value_error":
        text = str(context.get("error", error["msg"]))
        for start, message in VALUE_ERRORS.items():
            if text.startswith(start):
                return Problem(message, where=where)
        return Problem(N_("Ugyldig værdi: {detail}"), {"detail": text}, where)
    if kind in ERROR_TYPES:
        values = {
            "limit": next((context[k] for k in ("ge", "gt", "le", "lt") if k in context), ""),
            "n": context.get("max_length", context.get("min_length", "")),
        }
        return Problem(ERROR_TYPES[kind], values, where)
    return Problem(N_("Ugyldig værdi: {detail}"), {"detail": error["msg"]}, where)


def _by_field(
    exc: ValidationError, places: list[str], kind: str, prefix: tuple[str, ...] = ()
) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for error in exc.errors():
        loc = prefix + tuple(error["loc"])
        name = _field_of(loc, places, kind)
        where = "" if name else ".".join(str(part) for part in loc)
        said = Problem(FIELD_ERRORS[name]) if name in FIELD_ERRORS else problem(error, where)
        if said not in found.get(name, []):
            found.setdefault(name, []).append(said)
    return found


def check(form: Form) -> Checked:
    """The spec the form describes, or its problems by field."""
    data, places = spec_data(form)
    try:
        return Checked(CampaignSpec.model_validate(data))
    except ValidationError as exc:
        return Checked(None, _by_field(exc, places, _text(form, "schedule_kind") or "at"))


def check_audience(exc: ValidationError, places: list[str]) -> dict[str, list[Problem]]:
    """The audience condition's problems by field (for the live count)."""
    return _by_field(exc, places, "", ("audience",))


class Values:
    """What the form shows: what was sent back, or the defaults of a new campaign."""

    DEFAULTS: ClassVar[dict[str, str]] = {
        "combine": "all",
        "schedule_kind": "at",
        "per_second": "1",
        "outcome": "replied",
    }

    def __init__(self, form: Form | None = None, *, yaml: str = "") -> None:
        self.form = form
        self.yaml = yaml

    def get(self, name: str) -> str:
        """One field's value."""
        if self.form is None:
            return self.DEFAULTS.get(name, "")
        value = self.form.get(name, "")
        return value if isinstance(value, str) else ""

    def has(self, name: str, value: str) -> bool:
        """Whether a checkbox or radio button is ticked."""
        if self.form is None:
            return (name, value) == ("status", "active") or self.DEFAULTS.get(name) == value
        return value in self.form.getlist(name)


def check_yaml(text: str) -> Checked:
    """A pasted or uploaded YAML spec; problems go under 'yaml' with their path."""
    try:
        raw = load_yaml(text)
    except yaml.YAMLError:
        raw = None
    if not isinstance(raw, dict):
        return Checked(None, {"yaml": [Problem(YAML_ERROR)]})
    try:
        return Checked(CampaignSpec.model_validate(raw))
    except ValidationError as exc:
        said = [problem(e, ".".join(str(p) for p in e["loc"])) for e in exc.errors()]
        return Checked(None, {"yaml": said})


__all__ = [
    "FIELD_LABELS",
    "GOTO",
    "Checked",
    "Problem",
    "Values",
    "audience",
    "check",
    "check_yaml",
]
