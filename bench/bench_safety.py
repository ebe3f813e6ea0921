"""Crisis screen throughput: messages per second, against a plain substring check.

Run: .venv/bin/python bench/bench_safety.py [--messages N]

The reference (one `in` test per message) is measured in the same run on the same
messages, so the ratio says how much the screen costs on this machine, whatever its speed.
The messages are the labelled evaluation corpus (tests/data/safety/eval), so the screen
reads what young people really write. The target is 2,000 messages/second on one core: the
whole country's youth service at its busiest sends well under 100 messages a second, so
that leaves twenty times headroom (the first screen's 20,000 was for exact phrases; reading
concepts with stems and misspellings costs more). This is a measurement, not a test:
nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.safety.cpr import redact_cpr
from bot.safety.screen import load_screener
from tests.safety.evaluation import load

TARGET = 2_000


def rate(function: Callable[[str], object], messages: list[str], rounds: int = 3) -> float:
    """Best of `rounds`: messages per second."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for message in messages:
            function(message)
        best = min(best, time.perf_counter() - start)
    return len(messages) / best


def main() -> None:
    """Print messages/second for the screen, CPR redaction and the reference."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=12_000)
    args = parser.parse_args()
    corpus = [m["text"] for m in load("every")]
    messages = [corpus[i % len(corpus)] for i in range(args.messages)]
    screener = load_screener()
    screener.screen("warm up")

    reference = rate(lambda m: "selvmord" in m.lower(), messages)
    # `read`, not `screen`: the screen remembers recent texts, and the corpus repeats.
    screen = rate(screener.read, messages)
    redact = rate(redact_cpr, messages)
    print(f"messages:             {len(messages):>10,}")
    print(f"reference (in):       {reference:>10,.0f} msg/s")
    print(f"crisis screen:        {screen:>10,.0f} msg/s  ({reference / screen:,.1f}x slower)")
    print(f"CPR redaction:        {redact:>10,.0f} msg/s  ({reference / redact:,.1f}x slower)")
    print(f"target {TARGET:,} msg/s:   {'met' if screen >= TARGET else 'NOT met'}")


if __name__ == "__main__":
    main()
