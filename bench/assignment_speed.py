"""Time the assignment optimiser at a given size, against a plain min-cost flow.

Run: .venv/bin/python bench/assignment_speed.py --bids 10000 --jurors 2000 [--k 3]
     [--clustered] [--repeat 3] [--compare-flow]

Texts are random draws from a topic vocabulary (each bid and juror on two of eight topics;
with --clustered, three groups of topics that share no word, which forces the linking
step to do real work); conflicts hit 5 % of pairs; juror loads are 0.8–1.2 × the average.
Each run is a fresh process, timed from the optimiser's input (texts) to its result, and
its peak memory (maxrss) is reported; the figures are medians over --repeat runs.
--compare-flow also times a plain min-cost flow (OR-Tools, every pair in one network, no
linking requirement) on the same instance, the reference the portal is compared with.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from review.assignment import BidInput, JurorInput, assign_jurors, tfidf_similarity

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


def make_instance(
    *, seed: int, n_bids: int, n_jurors: int, clustered: bool, k: int = 3
) -> tuple[list[BidInput], list[JurorInput], list[tuple[int, int]]]:
    rng = np.random.default_rng(seed)
    words = [np.array(topic.split()) for topic in TOPICS]
    groups = [[0, 1], [2, 3, 4], [5, 6, 7]]

    def text(index: int, n_words: int) -> str:
        if clustered:
            topics = groups[index % 3]
        else:
            topics = list(rng.choice(len(TOPICS), size=2, replace=False))
        vocabulary = np.concatenate([words[t] for t in topics])
        return " ".join(rng.choice(vocabulary, size=n_words))

    bids = [BidInput(id=b, text=text(b, 60)) for b in range(n_bids)]
    average = n_bids * k / n_jurors
    min_load, max_load = int(average * 0.8), int(np.ceil(average * 1.2))
    jurors = [
        JurorInput(id=j, expertise=text(j, 25), min_load=min_load, max_load=max_load)
        for j in range(n_jurors)
    ]
    juror_index, bid_index = np.nonzero(rng.random((n_jurors, n_bids)) < 0.05)
    conflicts = list(zip(juror_index.tolist(), bid_index.tolist(), strict=True))
    return bids, jurors, conflicts


def _portal_run(args: argparse.Namespace, queue: multiprocessing.Queue) -> None:
    bids, jurors, conflicts = make_instance(
        seed=args.seed, n_bids=args.bids, n_jurors=args.jurors, clustered=args.clustered, k=args.k
    )
    started = time.perf_counter()
    result = assign_jurors(bids=bids, jurors=jurors, conflicts=conflicts, jurors_per_bid=args.k)
    seconds = time.perf_counter() - started
    loads = list(result.load.values())
    queue.put(
        {
            "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "total": result.total_similarity,
            "bound": result.upper_bound,
            "connectivity": result.connectivity,
            "connected": result.connected,
            "loads": (min(loads), max(loads)),
            "conflicts": len(conflicts),
            "notes": result.notes,
        }
    )


def _plain_flow_run(args: argparse.Namespace, queue: multiprocessing.Queue) -> None:
    """Every non-conflicted pair in one OR-Tools network: the reference without linking."""
    from ortools.graph.python import min_cost_flow

    bids, jurors, conflicts = make_instance(
        seed=args.seed, n_bids=args.bids, n_jurors=args.jurors, clustered=args.clustered, k=args.k
    )
    started = time.perf_counter()
    similarity = tfidf_similarity(
        juror_texts=[juror.expertise for juror in jurors], bid_texts=[bid.text for bid in bids]
    )
    allowed = np.ones(similarity.shape, dtype=bool)
    for j, b in conflicts:
        allowed[j, b] = False
    pair_bids, pair_jurors = np.nonzero(allowed.T)
    n_bids, n_jurors = len(bids), len(jurors)
    sink = n_bids + n_jurors
    lo, hi = jurors[0].min_load, jurors[0].max_load
    network = min_cost_flow.SimpleMinCostFlow()
    network.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([pair_bids, n_bids + np.arange(n_jurors)]),
        np.concatenate([n_bids + pair_jurors, np.full(n_jurors, sink)]),
        np.concatenate([np.ones(len(pair_bids), np.int64), np.full(n_jurors, hi - lo)]),
        np.concatenate(
            [
                -np.rint(similarity[pair_jurors, pair_bids] * 1e6).astype(np.int64),
                np.zeros(n_jurors, np.int64),
            ]
        ),
    )
    network.set_nodes_supplies(
        np.arange(sink + 1),
        np.concatenate(
            [np.full(n_bids, args.k), np.full(n_jurors, -lo), [-(n_bids * args.k - n_jurors * lo)]]
        ),
    )
    status = network.solve()
    seconds = time.perf_counter() - started
    queue.put(
        {
            "seconds": seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "total": -network.optimal_cost() / 1e6,
            "status": str(status),
        }
    )


def _median_of(target, args: argparse.Namespace) -> list[dict]:
    runs = []
    context = multiprocessing.get_context("spawn")
    for _ in range(args.repeat):
        queue = context.Queue()
        process = context.Process(target=target, args=(args, queue))
        process.start()
        runs.append(queue.get())
        process.join()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bids", type=int, default=200)
    parser.add_argument("--jurors", type=int, default=60)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clustered", action="store_true")
    parser.add_argument("--compare-flow", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    runs = _median_of(_portal_run, args)
    last = runs[-1]
    print(
        f"{args.bids} bids × {args.jurors} jurors, k={args.k}, loads {last['loads'][0]}–"
        f"{last['loads'][1]}, {last['conflicts']} conflicts"
        f"{' (clustered topics)' if args.clustered else ''}"
    )
    seconds = [run["seconds"] for run in runs]
    print(
        f"portal: median {statistics.median(seconds):.2f} s over {args.repeat} runs "
        f"({', '.join(f'{s:.2f}' for s in seconds)}), peak "
        f"{max(run['peak_mb'] for run in runs):.0f} MB"
    )
    gap = 1 - last["total"] / last["bound"] if last["bound"] else 0.0
    print(
        f"total similarity {last['total']:.3f}, proved bound {last['bound']:.3f} "
        f"(within {100 * gap:.4f} %), connected={last['connected']} ({last['connectivity']})"
    )
    for note in last["notes"]:
        print(f"note: {note}")
    if args.compare_flow:
        flows = _median_of(_plain_flow_run, args)
        flow_seconds = [run["seconds"] for run in flows]
        print(
            f"plain min-cost flow (no linking): median {statistics.median(flow_seconds):.2f} s "
            f"({', '.join(f'{s:.2f}' for s in flow_seconds)}), peak "
            f"{max(run['peak_mb'] for run in flows):.0f} MB, total {flows[-1]['total']:.3f}, "
            f"{flows[-1]['status']}; portal / flow time: "
            f"{statistics.median(seconds) / statistics.median(flow_seconds):.2f}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
