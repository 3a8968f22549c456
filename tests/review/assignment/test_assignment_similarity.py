"""TF-IDF similarity and tokenizer of the assignment optimiser (pure, no database)."""

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review.assignment import tfidf_similarity, tokenize
from review.assignment.similarity import normalize_text


def test_tokenize_strips_accents_case_stop_words_and_elisions():
    tokens = tokenize("L'Intelligence artificielle et les Réseaux de neurones, 2024")

    assert tokens == ["intelligence", "artificielle", "reseaux", "neurones"]


def test_tokenize_drops_english_stop_words():
    tokens = tokenize("The training of the doctoral students in Machine Learning")

    assert tokens == ["training", "doctoral", "students", "machine", "learning"]


def test_tfidf_similarity_identical_texts_score_one():
    similarity = tfidf_similarity(
        juror_texts=["computer vision medical imaging"],
        bid_texts=["Computer vision for medical imaging", "natural language translation"],
    )

    assert similarity.shape == (1, 2)
    assert similarity[0, 0] == pytest.approx(1.0)
    assert similarity[0, 1] == pytest.approx(0.0)


def test_tfidf_similarity_accents_do_not_matter():
    similarity = tfidf_similarity(juror_texts=["réseaux énergie"], bid_texts=["reseaux energie"])

    assert similarity[0, 0] == pytest.approx(1.0)


def test_tfidf_similarity_rare_word_outweighs_common_word():
    # "learning" is in every text, so it weighs less than the rarer "robotics".
    similarity = tfidf_similarity(
        juror_texts=["robotics learning"],
        bid_texts=["robotics learning planning", "learning statistics theory"],
    )

    assert similarity[0, 0] > similarity[0, 1] > 0.0


def test_tfidf_similarity_empty_text_scores_zero():
    similarity = tfidf_similarity(juror_texts=["", "the and of"], bid_texts=["vision"])

    assert np.array_equal(similarity, np.zeros((2, 1)))


def test_tfidf_similarity_no_texts_gives_empty_matrix():
    similarity = tfidf_similarity(juror_texts=["vision"], bid_texts=[])

    assert similarity.shape == (1, 0)


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_normalize_text_strips_every_combining_mark_like_the_reference(text):
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    reference = "".join(char for char in decomposed if not unicodedata.combining(char))

    assert normalize_text(text) == reference
