"""The exports' figures: pure functions, no database."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from review import figures


def test_histogram_bins_scores_on_their_levels():
    result = figures.histogram([0, 0.5, 0.5, 5, 4.5], low=-0.25, high=5.25, width=0.5)

    assert len(result.counts) == 11
    assert result.counts[0] == 1
    assert result.counts[1] == 2
    assert result.counts[-1] == 1
    assert result.counts[-2] == 1
    assert result.tallest == 2


def test_histogram_counts_values_beyond_the_edges_in_the_end_bins():
    result = figures.histogram([-3, 99], low=0, high=10, width=5)

    assert result.counts == (1, 1)


def test_histogram_refuses_an_empty_range():
    with pytest.raises(ValueError, match="width"):
        figures.histogram([1], low=1, high=1, width=1)


@given(st.lists(st.floats(min_value=0, max_value=15, allow_nan=False), max_size=50))
def test_histogram_counts_every_value_once(values):
    assert sum(figures.histogram(values, low=0, high=15, width=1.5).counts) == len(values)


def test_summarise_an_empty_list_and_loads():
    assert figures.summarise([]).count == 0
    assert figures.loads([2, 4, 3]) == figures.Summary(
        count=3, minimum=2.0, median=3.0, mean=3.0, maximum=4.0
    )
