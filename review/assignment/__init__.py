"""Pure juror-to-bid assignment optimiser: numbers and texts in, an assignment out.

No Django, no Celery, no project imports outside this package. See `solver` for the
formulation (integer programme on HiGHS with lazy connectivity cuts) and `similarity`
for the TF-IDF matching score.
"""

from review.assignment.problem import (
    AssignedPair,
    AssignmentResult,
    BidInput,
    InfeasibilityReason,
    InfeasibleAssignmentError,
    JurorInput,
)
from review.assignment.similarity import tfidf_similarity, tokenize
from review.assignment.solver import AssignmentSolverError, assign_jurors, check_assignment_feasible

__all__ = [
    "AssignedPair",
    "AssignmentResult",
    "AssignmentSolverError",
    "BidInput",
    "InfeasibilityReason",
    "InfeasibleAssignmentError",
    "JurorInput",
    "assign_jurors",
    "check_assignment_feasible",
    "tfidf_similarity",
    "tokenize",
]
