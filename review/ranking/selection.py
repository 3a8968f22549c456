"""The three selection rules, on arrays already sorted in rank order (best bid first).

Positions are indices into those arrays. Scores arrive as exact integers (`score_units`)
so that sums and ties are exact; amounts are int64 euros.
"""

from __future__ import annotations

import bisect
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from review.ranking.model import Overflow

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Selection:
    positions: tuple[int, ...]  # winners' rank positions, best first
    feasible: bool = True
    reason: str | None = None
    # Merit order only: the first eligible position the walk did not visit, and why.
    walk_end: int | None = None
    walk_end_reason: str | None = None


def infeasible(reason: str) -> Selection:
    return Selection(positions=(), feasible=False, reason=reason)


def merit_order(
    costs: IntArray,
    eligible: BoolArray,
    *,
    budget: int,
    min_winners: int,
    max_winners: int,
    overflow: Overflow,
) -> Selection:
    """Walk down the eligible bids, funding each at its request while the envelope allows."""
    chosen: list[int] = []
    remaining = budget
    walk_end: int | None = None
    walk_end_reason: str | None = None
    for position in np.flatnonzero(eligible).tolist():
        if len(chosen) == max_winners:
            walk_end, walk_end_reason = position, "max_winners_reached"
            break
        cost = int(costs[position])
        if cost <= remaining:
            chosen.append(position)
            remaining -= cost
        elif overflow == "stop":
            walk_end, walk_end_reason = position, "walk_stopped"
            break
    if len(chosen) < min_winners:
        return infeasible(
            f"merit order funds only {len(chosen)} bids, fewer than min_winners={min_winners}"
        )
    return Selection(tuple(chosen), walk_end=walk_end, walk_end_reason=walk_end_reason)


def optimal(
    costs: IntArray,
    units: IntArray,
    eligible: BoolArray,
    *,
    budget: int,
    min_winners: int,
    max_winners: int,
) -> Selection:
    """The eligible set of min..max winners within the budget with the highest total score.

    Among sets with the same total, the one whose membership read down the ranking is
    lexicographically largest wins: it holds the best-ranked bid it can, then the next...
    Exact: bids that cannot belong to that set are discarded first (see `undominated`),
    then a branch and bound with a Lagrangian bound searches the few that remain.
    """
    pool = np.flatnonzero(eligible & (costs <= budget))
    if pool.size < min_winners:
        return infeasible(
            f"only {pool.size} eligible bids fit in the envelope, "
            f"fewer than min_winners={min_winners}"
        )
    if min_winners > 0:
        cheapest = int(np.partition(costs[pool], min_winners - 1)[:min_winners].sum())
        if cheapest > budget:
            return infeasible(
                f"the {min_winners} cheapest eligible bids together cost {cheapest}, "
                f"more than the budget {budget}"
            )
    candidates = pool[undominated(costs[pool], max_winners)]
    chosen = _branch_and_bound(
        costs[candidates].tolist(),
        units[candidates].tolist(),
        budget=budget,
        min_winners=min_winners,
        max_winners=max_winners,
    )
    if chosen is None:  # pragma: no cover - the checks above guarantee a feasible set
        return infeasible("no set of bids satisfies the constraints")
    return Selection(tuple(int(candidates[index]) for index in chosen))


def top_up(
    positions: Sequence[int], minimums: IntArray, requested: IntArray, *, budget: int
) -> list[int]:
    """Grant each winner its minimum, then share the rest in rank order up to the request."""
    grants = [int(minimums[position]) for position in positions]
    remaining = budget - sum(grants)
    for index, position in enumerate(positions):
        extra = min(int(requested[position]) - grants[index], remaining)
        grants[index] += extra
        remaining -= extra
    return grants


def undominated(costs: IntArray, max_winners: int) -> IntArray:
    """Positions (in rank order) of the bids that may belong to the preferred optimal set.

    A bid is dominated when at least `max_winners` better-ranked bids cost no more. Then
    any feasible set holding it misses one of them (it has at most max_winners - 1 other
    members), and swapping the bid for that one keeps the size and the budget, does not
    lower the total score (better rank implies a score at least as high) and makes the
    set preferred on ties. So the preferred optimal set never holds a dominated bid, with
    or without a minimum number of winners.

    A bid survives iff its cost is below the max_winners-th smallest cost seen so far.
    Only survivors change that threshold, so we jump from survivor to survivor with
    vectorised scans over growing windows: O(n) comparisons plus a little work per
    survivor (about max_winners * ln(n) of them on random data).
    """
    k = max_winners
    n = costs.size
    if n <= k:
        return np.arange(n, dtype=np.int64)
    keep = list(range(k))
    smallest = sorted(costs[:k].tolist())
    position, window = k, 256
    while position < n:
        hits = np.flatnonzero(costs[position : position + window] < smallest[-1])
        if hits.size == 0:
            position += window
            window = min(window * 2, 1 << 16)
            continue
        survivor = position + int(hits[0])
        keep.append(survivor)
        bisect.insort(smallest, int(costs[survivor]))
        smallest.pop()
        position = survivor + 1
    return np.asarray(keep, dtype=np.int64)


def _branch_and_bound(
    costs: list[int], units: list[int], *, budget: int, min_winners: int, max_winners: int
) -> tuple[int, ...] | None:
    """Exact search over candidates in rank order; returns indices into the candidates.

    Depth-first, including the next bid before excluding it, so that sets are met in order
    of preference and a later set replaces the incumbent only with a strictly higher total.
    """
    multiplier = _lagrange_multiplier(units, costs, budget=budget, max_winners=max_winners)
    lower = _heuristic_value(
        units, costs, multiplier, budget=budget, min_winners=min_winners, max_winners=max_winners
    )
    keep = list(range(len(costs)))
    if lower is not None:
        keep = _fix_by_reduced_cost(units, costs, multiplier, lower, budget, max_winners)
    search = _Search(
        costs=[costs[i] for i in keep],
        units=[units[i] for i in keep],
        multiplier=multiplier,
        budget=budget,
        min_winners=min_winners,
        max_winners=max_winners,
        # Accept sets worth at least the heuristic's value: the preferred optimum may
        # be worth exactly that and still be a different set.
        best_value=None if lower is None else lower - 1,
    )
    # The search recurses once per winner taken: a call funding hundreds of bids (1,250 of
    # 10,000) goes past Python's default limit of 1,000 frames. Python 3.11 frames are not
    # on the C stack, so a higher limit for this search is safe; it is put back after.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, max_winners + 200))
    try:
        search.visit(0, 0, 0, 0)
    finally:
        sys.setrecursionlimit(limit)
    if search.best_set is None:
        return None
    return tuple(keep[index] for index in search.best_set)


def _lagrange_multiplier(
    units: list[int], costs: list[int], *, budget: int, max_winners: int
) -> float:
    """Price of a euro minimising g(l) = l*budget + sum of the max_winners largest
    positive (score - l*cost): the dual of the knapsack's linear relaxation, convex in l.

    Any l >= 0 yields a valid bound, so bisection on the subgradient only needs to be
    roughly right.
    """
    s = np.asarray(units, dtype=np.float64)
    c = np.asarray(costs, dtype=np.float64)

    def slope(multiplier: float) -> float:
        reduced = s - multiplier * c
        top = _top_positive(reduced, max_winners)
        return budget - float(c[top].sum())

    if slope(0.0) >= 0:
        return 0.0
    paying = (c > 0) & (s > 0)
    low, high = 0.0, float((s[paying] / c[paying]).max()) if paying.any() else 0.0
    for _ in range(40):
        middle = (low + high) / 2
        if slope(middle) < 0:
            low = middle
        else:
            high = middle
    return high


def _top_positive(values: FloatArray, count: int) -> IntArray:
    if values.size > count:
        top = np.argpartition(-values, count - 1)[:count]
    else:
        top = np.arange(values.size)
    return top[values[top] > 0]


def _heuristic_value(
    units: list[int],
    costs: list[int],
    multiplier: float,
    *,
    budget: int,
    min_winners: int,
    max_winners: int,
) -> int | None:
    """A lower bound: greedy walks (rank order, reduced-score order) improved by swaps.

    The tighter this bound, the more bids `_fix_by_reduced_cost` can discard.
    """
    reduced = np.asarray(units, dtype=np.float64) - multiplier * np.asarray(costs, np.float64)
    orders = [range(len(units)), np.argsort(-reduced, kind="stable").tolist()]
    best: int | None = None
    for order in orders:
        chosen: list[int] = []
        remaining = budget
        for index in order:
            if len(chosen) == max_winners:
                break
            # Greedy walks only add bids that help, once the minimum count is reached.
            if costs[index] <= remaining and (units[index] > 0 or len(chosen) < min_winners):
                chosen.append(index)
                remaining -= costs[index]
        if len(chosen) >= min_winners:
            value = _improve_by_swaps(chosen, units, costs, budget)
            best = value if best is None else max(best, value)
    return best


def _improve_by_swaps(chosen: list[int], units: list[int], costs: list[int], budget: int) -> int:
    """Replace one chosen bid by an unchosen one while that raises the total and fits."""
    s = np.asarray(units, dtype=np.int64)
    c = np.asarray(costs, dtype=np.int64)
    members = np.zeros(s.size, dtype=bool)
    members[chosen] = True
    for _ in range(2 * len(chosen)):
        inside, outside = np.flatnonzero(members), np.flatnonzero(~members)
        if inside.size == 0 or outside.size == 0:
            break
        left = budget - int(c[inside].sum())
        gain = s[outside][None, :] - s[inside][:, None]
        fits = c[outside][None, :] - c[inside][:, None] <= left
        gain = np.where(fits, gain, 0)
        row, column = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[row, column] <= 0:
            break
        members[inside[row]], members[outside[column]] = False, True
    return int(s[members].sum())


def _fix_by_reduced_cost(
    units: list[int],
    costs: list[int],
    multiplier: float,
    lower: int,
    budget: int,
    max_winners: int,
) -> list[int]:
    """Keep the bids whose Lagrangian bound, with the bid forced in, reaches `lower`.

    Forcing bid i in, any feasible set is worth at most
    l*budget + r_i + (the max_winners - 1 largest positive r_j, j != i), r = score - l*cost.
    """
    reduced = np.asarray(units, dtype=np.float64) - multiplier * np.asarray(costs, np.float64)
    positive = np.maximum(reduced, 0.0)
    order = np.argsort(-reduced, kind="stable")
    others = max_winners - 1
    top_sum = float(positive[order[:others]].sum())
    next_value = float(positive[order[others]]) if others < reduced.size else 0.0
    in_top = np.zeros(reduced.size, dtype=bool)
    in_top[order[:others]] = True
    bound = multiplier * budget + np.where(in_top, top_sum + next_value, reduced + top_sum)
    tolerance = 1e-7 * (abs(lower) + multiplier * budget + top_sum + 1.0) + 2.0
    return np.flatnonzero(bound + tolerance >= lower).tolist()


class _Search:
    """Depth-first branch and bound; bounds are exact integers except the Lagrangian one."""

    def __init__(
        self,
        *,
        costs: list[int],
        units: list[int],
        multiplier: float,
        budget: int,
        min_winners: int,
        max_winners: int,
        best_value: int | None,
    ) -> None:
        self.costs, self.units = costs, units
        self.multiplier, self.budget = multiplier, budget
        self.min_winners, self.max_winners = min_winners, max_winners
        self.best_value = best_value
        self.best_set: tuple[int, ...] | None = None
        self.chosen: list[int] = []
        n = len(costs)
        # Scores are non-increasing in rank order, so the best r scores after a position
        # are the next r positive ones: a prefix sum gives an exact bound.
        self.positive_prefix = [0]
        for unit in units:
            self.positive_prefix.append(self.positive_prefix[-1] + max(unit, 0))
        self.reduced_top = self._suffix_top_reduced(n)
        self.cheapest = self._suffix_cheapest(n)
        self.tolerance = 1e-7 * (sum(abs(u) for u in units) + multiplier * budget + 1.0) + 2.0

    def _suffix_top_reduced(self, n: int) -> list[list[float]]:
        """For each position, prefix sums of the largest positive reduced scores after it."""
        table: list[list[float]] = [[0.0] * (self.max_winners + 1) for _ in range(n + 1)]
        largest: list[float] = []  # ascending, at most max_winners values
        for position in range(n - 1, -1, -1):
            reduced = self.units[position] - self.multiplier * self.costs[position]
            if reduced > 0:
                bisect.insort(largest, reduced)
                if len(largest) > self.max_winners:
                    largest.pop(0)
            row = table[position]
            total = 0.0
            for r, value in enumerate(reversed(largest), start=1):
                total += value
                row[r] = total
            for r in range(len(largest) + 1, self.max_winners + 1):
                row[r] = total
        return table

    def _suffix_cheapest(self, n: int) -> list[list[int]]:
        """For each position, prefix sums of the cheapest costs after it (0, c1, c1+c2...).

        Bounds how many more bids a remaining budget can buy, which is what prunes the
        search when many bids tie on score.
        """
        table: list[list[int]] = [[0] for _ in range(n + 1)]
        cheapest: list[int] = []  # ascending, at most max_winners values
        for position in range(n - 1, -1, -1):
            bisect.insort(cheapest, self.costs[position])
            if len(cheapest) > self.max_winners:
                cheapest.pop()
            sums = table[position]
            for item_cost in cheapest:
                sums.append(sums[-1] + item_cost)
        return table

    def visit(self, position: int, count: int, cost: int, value: int) -> None:
        n = len(self.costs)
        if count + (n - position) < self.min_winners:
            return
        if count < self.max_winners:
            slots = self.max_winners - count - 1  # left after taking the next bid
            remaining = self.budget - cost
            for index in range(position, n):
                item_cost = self.costs[index]
                if item_cost > remaining:
                    continue
                gain = self.units[index]
                end = min(index + 1 + slots, n)
                exact_bound = (
                    value + gain + self.positive_prefix[end] - self.positive_prefix[index + 1]
                )
                if self.best_value is not None and exact_bound <= self.best_value:
                    break  # later bids score no more, so their bound is no higher
                # At most `affordable` more bids fit in what this one leaves.
                affordable = min(
                    bisect.bisect_right(self.cheapest[index + 1], remaining - item_cost) - 1, slots
                )
                if count + 1 + affordable < self.min_winners:
                    continue
                affordable_end = index + 1 + affordable
                budget_bound = value + gain + self.positive_prefix[affordable_end]
                budget_bound -= self.positive_prefix[index + 1]
                if self.best_value is not None and budget_bound <= self.best_value:
                    continue
                lagrange_bound = (
                    value
                    + gain
                    + self.multiplier * (remaining - item_cost)
                    + self.reduced_top[index + 1][slots]
                )
                if (
                    self.best_value is not None
                    and lagrange_bound + self.tolerance < self.best_value + 1
                ):
                    continue
                self.chosen.append(index)
                self.visit(index + 1, count + 1, cost + item_cost, value + gain)
                self.chosen.pop()
        if count >= self.min_winners and (self.best_value is None or value > self.best_value):
            self.best_value, self.best_set = value, tuple(self.chosen)
