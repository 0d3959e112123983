"""Draw docs/decay.png: memory strength over time for each decay function, with and without
recalls. Needs the `docs` extra (matplotlib). Run: python benchmarks/decay_plot.py"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from bot.config import DecayConfig  # noqa: E402
from personas.model import DECAY_FUNCTIONS as FUNCTIONS  # noqa: E402
from storage.decay import strength  # noqa: E402


def main() -> None:
    cfg = DecayConfig()
    days = [d / 2 for d in range(0, 241)]  # 0 … 120 days
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    styles = dict(zip(FUNCTIONS, ("-", "--", ":"), strict=True))
    for function in FUNCTIONS:
        curve = [strength(function, d, cfg.half_life_days) for d in days]
        left.plot(days, curve, styles[function], label=function, linewidth=2)
    left.set_title(f"Never recalled (half-life {cfg.half_life_days:g} days)")
    # Recalled on days 10 and 40: strength resets and each recall adds a half-life.
    recalls = [10.0, 40.0]
    for function in FUNCTIONS:
        values = []
        for d in days:
            done = [r for r in recalls if r <= d]
            since = d - (done[-1] if done else 0.0)
            values.append(strength(function, since, cfg.half_life_days, recalls=len(done)))
        right.plot(days, values, styles[function], label=function, linewidth=2)
    right.set_title("Recalled on days 10 and 40")
    for ax in (left, right):
        for floor, name in (
            (cfg.warm_below, "warm"),
            (cfg.cold_below, "cold"),
            (cfg.archive_below, "archived"),
        ):
            ax.axhline(floor, color="grey", linewidth=0.6, linestyle="--")
            ax.text(121, floor, f" {name}", va="center", fontsize=8, color="grey")
        ax.set_xlabel("days")
        ax.set_xlim(0, 120)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    left.set_ylabel("strength")
    left.legend()
    fig.tight_layout()
    out = ROOT / "docs" / "decay.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
