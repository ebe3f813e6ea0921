"""`indgang content …`: check content and draw the flow diagrams."""

from __future__ import annotations

import typer

app = typer.Typer(help="Check and draw the content in content/.", no_args_is_help=True)


@app.command("check")
def check() -> None:
    """List every problem in the content; exit 1 if there are any."""
    from bot.clock import utcnow
    from bot.content.check import problems
    from bot.safety import check as safety
    from bot.wiring import build_registry

    found = problems(build_registry()) + safety.problems()
    for line in [*found, *safety.warnings(utcnow().date())]:
        typer.echo(line)
    if found:
        raise typer.Exit(1)
    typer.echo("content is fine")


@app.command("diagrams")
def diagrams() -> None:
    """Write a Mermaid diagram beside each flow (content/flows/<flow>.mmd)."""
    from bot.content.diagrams import write_all
    from bot.content.flows import load_flows

    for path in write_all(load_flows()):
        typer.echo(f"wrote {path.name}")
