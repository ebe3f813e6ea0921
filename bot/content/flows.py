"""Load and check the conversation flows in content/flows/*.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.yaml_files import load_yaml
from bot.paths import REPO_ROOT

CONTENT_DIR = REPO_ROOT / "content"
MENU = "menu.main"
# Actions after which the bot says nothing more: a human has the conversation (every
# `handoff…` action), or the young person has said STOP.
ENDING_ACTIONS = ("handoff", "opt_out")


class ChoiceSpec(BaseModel):
    """A button or numbered choice: where it goes and what it does."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(min_length=1, max_length=32)
    label: str = Field(min_length=1, max_length=60)
    goto: str | None = None
    do: str | None = None


class Step(BaseModel):
    """One step: say something, show data, act, then wait for an answer or move on."""

    model_config = ConfigDict(extra="forbid")

    say: str | None = None
    show: str | None = None
    do: str | None = None
    choices: list[ChoiceSpec] = []
    choices_from: str | None = None
    input: str | None = None
    # Free text read by a registered reader; its outcome picks the next step from `routes`.
    read: str | None = None
    routes: dict[str, str] = {}
    skip_if: str | None = None
    goto: str | None = None
    # Typed text here is only ever an answer: never a question for another step, nor a
    # reason to offer another language ("Er du okay?" is answered, not redirected).
    stays: bool = False

    @property
    def waits(self) -> bool:
        """True when the step waits for the young person's answer."""
        return bool(self.choices or self.choices_from or self.input or self.read)

    @property
    def ends(self) -> bool:
        """True when the step's action ends the bot's part (a human takes over, or STOP)."""
        return (self.do or "").startswith(ENDING_ACTIONS)


class Flow(BaseModel):
    """A named set of steps with a start."""

    model_config = ConfigDict(extra="forbid")

    flow: str
    start: str
    steps: dict[str, Step]

    @model_validator(mode="after")
    def _start_exists(self) -> Flow:
        if self.start not in self.steps:
            raise ValueError(f"flow {self.flow}: start step {self.start!r} is missing")
        return self


class Flows:
    """Every flow, addressed as 'flow.step'."""

    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows

    def step(self, ref: str) -> Step:
        """The step at 'flow.step' (or a flow's start for 'flow')."""
        flow_name, _, step_name = ref.partition(".")
        flow = self.flows[flow_name]
        return flow.steps[step_name or flow.start]

    def resolve(self, ref: str, current: str | None = None) -> str:
        """The full 'flow.step' for `ref`: a bare name is a step of `current`, else a flow."""
        if "." not in ref and current is not None and ref in self.flows[current].steps:
            return f"{current}.{ref}"
        flow_name, _, step_name = ref.partition(".")
        return f"{flow_name}.{step_name or self.flows[flow_name].start}"

    def problems(
        self, actions: set[str], views: set[str], sources: set[str], readers: set[str] | None = None
    ) -> list[str]:
        """Everything wrong with the content: dangling links, unknown actions, dead ends."""
        found = []
        for flow in self.flows.values():
            for name, step in flow.steps.items():
                where = f"{flow.flow}.{name}"
                targets = [step.goto] + [c.goto for c in step.choices] + [*step.routes.values()]
                for target in filter(None, targets):
                    if not self._exists(target, flow.flow):
                        found.append(f"{where}: goto {target!r} does not exist")
                for action in filter(None, [step.do] + [c.do for c in step.choices]):
                    if action.partition(":")[0] not in actions:
                        found.append(f"{where}: unknown action {action!r}")
                if step.show and step.show not in views:
                    found.append(f"{where}: unknown view {step.show!r}")
                if step.choices_from and step.choices_from not in sources:
                    found.append(f"{where}: unknown choices_from {step.choices_from!r}")
                if step.read and readers is not None and step.read not in readers:
                    found.append(f"{where}: unknown reader {step.read!r}")
                if step.routes and not step.read:
                    found.append(f"{where}: routes without read")
                if step.read and not (step.routes or step.goto):
                    found.append(f"{where}: read {step.read!r} leads nowhere (no routes)")
                if not step.waits and not step.goto and not step.ends:
                    found.append(f"{where}: dead end (no choices, no goto, no handoff)")
                for choice in step.choices:
                    if not (choice.goto or choice.do or step.goto):
                        found.append(f"{where}: choice {choice.key!r} leads nowhere")
        return found

    def _exists(self, ref: str, current: str) -> bool:
        if "." not in ref and ref in self.flows[current].steps:
            return True
        flow_name, _, step_name = ref.partition(".")
        flow = self.flows.get(flow_name)
        return flow is not None and (not step_name or step_name in flow.steps)


def load_flows(content_dir: Path = CONTENT_DIR) -> Flows:
    """Read every flow file; a broken file raises with its name."""
    flows: dict[str, Flow] = {}
    for path in sorted((content_dir / "flows").glob("*.yaml")):
        try:
            flow = Flow.model_validate(load_yaml(path.read_text(encoding="utf-8")))
        except Exception as exc:
            raise ValueError(f"{path.name}: {exc}") from exc
        flows[flow.flow] = flow
    return Flows(flows)


@lru_cache
def flows() -> Flows:
    """The flows shipped in content/ (loaded once)."""
    return load_flows()
