"""A call's evaluation grid, in display order, with the descriptors per level."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext

from applications.models import Call
from review import scoring
from review.models import Criterion


@dataclass(frozen=True)
class CriterionInfo:
    pk: int
    code: str
    name: str
    guidance: str
    weight: Decimal
    scale: scoring.Scale
    threshold: Decimal | None
    descriptors: list[tuple[Decimal, str]]


def criteria_of(call: Call) -> list[CriterionInfo]:
    """The call's evaluation grid, in display order, with the descriptors per level."""
    result = []
    for criterion in Criterion.objects.filter(call=call).order_by("order", "code"):
        scale = scoring.Scale(criterion.scale_min, criterion.scale_max, criterion.scale_step)
        descriptors = []
        for key, text in sorted(
            (criterion.descriptors or {}).items(), key=lambda kv: scoring.parse_score(kv[0]) or 0
        ):
            level = scoring.parse_score(key)
            if level is not None:
                # The default descriptors are in the catalog (gettext_noop in models.py);
                # descriptors typed by an administrator come back unchanged.
                # (gettext("") would return the catalog header, hence the guard.)
                shown = str(text)
                descriptors.append((level, gettext(shown) if shown else shown))
        result.append(
            CriterionInfo(
                pk=criterion.pk,
                code=criterion.code,
                name=criterion.name,
                guidance=criterion.guidance,
                weight=criterion.weight,
                scale=scale,
                threshold=criterion.threshold,
                descriptors=descriptors,
            )
        )
    return result


def weights_of(criteria: list[CriterionInfo]) -> dict[int, Decimal]:
    return {c.pk: c.weight for c in criteria}
