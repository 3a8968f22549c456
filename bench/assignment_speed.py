"""Time the assignment optimiser on 200 bids × 60 jurors (k=3, loads 8–12).

Run: .venv/bin/python bench/assignment_speed.py [--seed N] [--clustered]
Texts are random draws from a topic vocabulary; conflicts hit ~5% of pairs. With
--clustered, jurors and bids come in three topics sharing no words, which forces the
connectivity rounds to do real work.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from review.assignment import BidInput, JurorInput, assign_jurors

TOPICS = [
    "vision image segmentation detection convolutional medical imaging radiology scans",
    "language translation corpus speech dialogue semantics linguistics transformers",
    "robotics control manipulation autonomous vehicles planning sensors embedded",
    "optimisation graphs combinatorics scheduling logistics operations research",
    "climate energy grids forecasting agriculture environment satellite earth",
    "health genomics biology drugs proteins clinical trials hospitals patients",
    "economics finance markets policy fairness ethics law regulation governance",
    "training education doctoral programmes masters attractiveness talent mobility",
]


def random_text(rng: random.Random, topics: list[str], n_words: int) -> str:
    words = [word for topic in topics for word in topic.split()]
    return " ".join(rng.choice(words) for _ in range(n_words))


def make_instance(
    *, seed: int, n_bids: int, n_jurors: int, clustered: bool
) -> tuple[list[BidInput], list[JurorInput], list[tuple[int, int]]]:
    rng = random.Random(seed)
    if clustered:
        groups = [TOPICS[0:2], TOPICS[2:5], TOPICS[5:8]]
        bids = [BidInput(id=b, text=random_text(rng, groups[b % 3], 60)) for b in range(n_bids)]
        jurors = [
            JurorInput(id=j, expertise=random_text(rng, groups[j % 3], 25), min_load=8, max_load=12)
            for j in range(n_jurors)
        ]
    else:
        bids = [
            BidInput(id=b, text=random_text(rng, rng.sample(TOPICS, 2), 60)) for b in range(n_bids)
        ]
        jurors = [
            JurorInput(
                id=j,
                expertise=random_text(rng, rng.sample(TOPICS, 2), 25),
                min_load=8,
                max_load=12,
            )
            for j in range(n_jurors)
        ]
    conflicts = [(j, b) for j in range(n_jurors) for b in range(n_bids) if rng.random() < 0.05]
    return bids, jurors, conflicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clustered", action="store_true")
    args = parser.parse_args()
    bids, jurors, conflicts = make_instance(
        seed=args.seed, n_bids=200, n_jurors=60, clustered=args.clustered
    )
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=3)
        timings.append(time.perf_counter() - started)
    loads = result.load.values()
    print(
        f"200 bids × 60 jurors, k=3, loads 8–12, {len(conflicts)} conflicts"
        f"{' (clustered topics)' if args.clustered else ''}"
    )
    print(
        f"best of {args.repeat}: {min(timings):.3f} s (all: {', '.join(f'{t:.3f}' for t in timings)})"
    )
    print(
        f"pairs={len(result.pairs)} mean similarity={result.mean_similarity:.3f} "
        f"loads {min(loads)}–{max(loads)} connected={result.connected} ({result.connectivity}) "
        f"solver rounds={result.solver_rounds}"
    )
    for note in result.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
