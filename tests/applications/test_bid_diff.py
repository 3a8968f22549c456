"""The differences between two states of a bid (``applications.bid_diff``): no database."""

from hypothesis import given
from hypothesis import strategies as st

from applications.bid_diff import (
    DELETE,
    EQUAL,
    INSERT,
    BudgetCellChange,
    changed,
    diff_budget,
    diff_text,
)

texts = st.text(alphabet=st.sampled_from(list("ab c\n\té<>&")), max_size=60)


def _side(segments, keep):
    return "".join(text for op, text in segments if op in keep)


@given(texts, texts)
def test_diff_text_gives_back_both_texts(old, new):
    segments = diff_text(old, new)

    assert _side(segments, {EQUAL, DELETE}) == old
    assert _side(segments, {EQUAL, INSERT}) == new
    assert changed(segments) == (old != new)


def test_diff_text_is_word_level_inside_a_changed_line():
    segments = diff_text(
        "The cluster trains 300 students.\nSame line.\n",
        "The cluster trains 450 students.\nSame line.\n",
    )

    assert segments == [
        (EQUAL, "The cluster trains "),
        (DELETE, "300 "),
        (INSERT, "450 "),
        (EQUAL, "students.\nSame line.\n"),
    ]


def test_diff_text_added_paragraph_is_one_insertion():
    assert diff_text("One.\n", "One.\nTwo.\n") == [(EQUAL, "One.\n"), (INSERT, "Two.\n")]


def test_diff_text_huge_replacement_falls_back_to_delete_then_insert(monkeypatch):
    monkeypatch.setattr("applications.bid_diff.MAX_WORD_PAIRS", 3)

    assert diff_text("a b c", "a b d") == [(DELETE, "a b c"), (INSERT, "a b d")]


def test_diff_budget_lists_changed_cells_in_year_then_category_order():
    old = {(1, "staff"): (100, 10), (2, "equipment"): (50, 0), (1, "other"): (5, 5)}
    new = {(1, "staff"): (100, 10), (2, "equipment"): (70, 0), (1, "equipment"): (1, 0)}

    changes = diff_budget(old, new, categories=["staff", "equipment", "other"])

    assert changes == [
        BudgetCellChange(1, "equipment", 0, 1, 0, 0),
        BudgetCellChange(1, "other", 5, 0, 5, 0),
        BudgetCellChange(2, "equipment", 50, 70, 0, 0),
    ]
