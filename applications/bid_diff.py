"""What changed between two states of a bid: pure Python (no Django), numbers and text in.

- :func:`diff_text`: a section's text, line by line (``difflib``), then word by word inside
  the lines that changed, as ``(op, text)`` segments (``equal`` / ``insert`` / ``delete``)
  whose concatenations give back the old text (equal + delete) and the new one (equal +
  insert). The page renders them with ``<ins>``/``<del>``, escaped by the template engine.
- :func:`diff_budget`: the budget, cell by cell (year × category, requested and co-funding).

A replaced block too long to compare word by word (over :data:`MAX_WORD_PAIRS` pairs of
words) is shown as deleted then inserted, so a page never takes seconds.
"""

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

EQUAL, INSERT, DELETE = "equal", "insert", "delete"
MAX_WORD_PAIRS = 4_000_000
# A word with the whitespace after it: spaces alone never match, so a diff is not cut into
# words kept only for the spaces between them.
_TOKENS = re.compile(r"\S+\s*|\s+")

Segment = tuple[str, str]


def _append(segments: list[Segment], op: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1][0] == op:
        segments[-1] = (op, segments[-1][1] + text)
    else:
        segments.append((op, text))


def _diff_words(old: str, new: str, segments: list[Segment]) -> None:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    if len(a) * len(b) > MAX_WORD_PAIRS:
        _append(segments, DELETE, old)
        _append(segments, INSERT, new)
        return
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _append(segments, EQUAL, "".join(a[i1:i2]))
        else:
            _append(segments, DELETE, "".join(a[i1:i2]))
            _append(segments, INSERT, "".join(b[j1:j2]))


def diff_text(old: str, new: str) -> list[Segment]:
    """``old`` → ``new`` as segments (see the module's docstring); ``[]`` for two empty texts."""
    segments: list[Segment] = []
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        before, after = "".join(a[i1:i2]), "".join(b[j1:j2])
        if tag == "equal":
            _append(segments, EQUAL, before)
        elif tag == "replace":
            _diff_words(before, after, segments)
        else:
            _append(segments, DELETE, before)
            _append(segments, INSERT, after)
    return segments


def changed(segments: list[Segment]) -> bool:
    return any(op != EQUAL for op, _text in segments)


@dataclass(frozen=True)
class BudgetCellChange:
    year: int
    category: str
    old_requested: int
    new_requested: int
    old_cofunding: int
    new_cofunding: int


Cells = dict[tuple[int, str], tuple[int, int]]


def diff_budget(old: Cells, new: Cells, *, categories: list[str]) -> list[BudgetCellChange]:
    """The cells whose requested or co-funded amount differs (a missing cell is 0 € and 0 €),
    by year, then in the order of ``categories`` (unknown categories last)."""
    order = {code: position for position, code in enumerate(categories)}
    changes = []
    for year, category in sorted(
        set(old) | set(new), key=lambda cell: (cell[0], order.get(cell[1], len(order)), cell[1])
    ):
        before = old.get((year, category), (0, 0))
        after = new.get((year, category), (0, 0))
        if before != after:
            changes.append(
                BudgetCellChange(
                    year=year,
                    category=category,
                    old_requested=before[0],
                    new_requested=after[0],
                    old_cofunding=before[1],
                    new_cofunding=after[1],
                )
            )
    return changes
