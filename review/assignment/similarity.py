"""TF-IDF cosine similarity between juror expertise statements and bid summaries.

Deliberately small (no scikit-learn): accent-stripping lowercase tokenizer, a minimal
English + French stop-word list, smoothed IDF computed over jurors and bids together,
L2-normalised term counts, cosine via a sparse matrix product.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy import sparse

# Minimal on purpose: only words that carry no topic. Accents are already stripped,
# so French words are listed without them ("ete", "tres").
_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are as at be been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my no nor not now of off on once only or other our ours out over own
    same she should so some such than that the their theirs them then there these they this
    those through to too under until up very was we were what when where which while who
    whom why will with would you your yours
    ai au aux avec ce ces cet cette comme dans de des du elle elles en est et etre eu eux il
    ils je la le les leur leurs lui ma mais me meme mes moi mon ne nos notre nous on ont ou
    par pas plus pour qu que qui sa sans se ses son sont sur ta te tes toi ton tres tu un une
    vos votre vous ete etait aussi ainsi entre chez dont cela ceci ici
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_WORDS_TEXT.split())

_TOKEN_RE = re.compile(r"[^\W_]+")


class _CombiningMarks(dict[int, int | None]):
    """str.translate table deleting combining marks, filled per code point on first use."""

    def __missing__(self, code_point: int) -> int | None:
        kept = None if unicodedata.combining(chr(code_point)) else code_point
        self[code_point] = kept
        return kept


_STRIP_COMBINING = _CombiningMarks()


def normalize_text(text: str) -> str:
    """Lowercase and strip accents, so "Réseaux" and "reseaux" are the same word."""
    folded = text.casefold()
    if folded.isascii():  # nothing to decompose: the common case, kept fast
        return folded
    # translate() runs in C with one table lookup per character (the mapping is memoised).
    return unicodedata.normalize("NFKD", folded).translate(_STRIP_COMBINING)


def tokenize(text: str) -> list[str]:
    """Split into words, dropping stop words, single letters (French elisions) and numbers."""
    return [
        token
        for token in _TOKEN_RE.findall(normalize_text(text))
        if len(token) > 1 and not token.isdigit() and token not in STOP_WORDS
    ]


def _tfidf_rows(documents: Sequence[str]) -> sparse.csr_matrix:
    """One L2-normalised TF-IDF row per document (an all-zero row for an empty text)."""
    counts = [Counter(tokenize(doc)) for doc in documents]
    # Sorted vocabulary: column order, and therefore the floats, never depend on hashing.
    vocabulary = {term: col for col, term in enumerate(sorted(set().union(*counts)))}
    rows, cols, values = [], [], []
    for row, counter in enumerate(counts):
        for term in sorted(counter):
            rows.append(row)
            cols.append(vocabulary[term])
            values.append(float(counter[term]))
    matrix = sparse.csr_matrix(
        (values, (rows, cols)), shape=(len(documents), len(vocabulary)), dtype=np.float64
    )
    document_frequency = np.bincount(cols, minlength=len(vocabulary))
    # Smoothed IDF (as in scikit-learn): a term in every document still weighs 1, not 0.
    idf = np.log((1.0 + len(documents)) / (1.0 + document_frequency)) + 1.0
    matrix = matrix @ sparse.diags(idf)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0.0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def tfidf_similarity(*, juror_texts: Sequence[str], bid_texts: Sequence[str]) -> np.ndarray:
    """Cosine similarity matrix of shape (jurors, bids), values in [0, 1].

    IDF is computed over jurors and bids together so that a word frequent in bid summaries
    ("intelligence", "artificielle" in an AI call) weighs little for everyone.
    """
    rows = _tfidf_rows([*juror_texts, *bid_texts])
    juror_rows = rows[: len(juror_texts)]
    bid_rows = rows[len(juror_texts) :]
    similarity = np.asarray((juror_rows @ bid_rows.T).todense(), dtype=np.float64)
    return np.clip(similarity, 0.0, 1.0).reshape(len(juror_texts), len(bid_texts))
