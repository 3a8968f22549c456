"""Store each review's weighted total (``review.scoring.weighted_total`` of its scores) so that
the progress and decision pages aggregate it in the database; existing reviews are filled."""

from collections import defaultdict
from decimal import Decimal

from django.db import migrations, models

from review import scoring


def fill_weighted_totals(apps, schema_editor):
    """Every review's total from its scores and its call's grid (frozen since the first review
    existed), rounded as ``Review.stored_total`` rounds it (ten decimal places)."""
    Review = apps.get_model("review", "Review")
    Criterion = apps.get_model("review", "Criterion")
    CriterionScore = apps.get_model("review", "CriterionScore")
    weights: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for criterion_id, call_id, weight in Criterion.objects.values_list("pk", "call_id", "weight"):
        weights[call_id][criterion_id] = weight
    values: dict[int, dict[int, Decimal | None]] = defaultdict(dict)
    for review_id, criterion_id, value in CriterionScore.objects.values_list(
        "review_id", "criterion_id", "value"
    ).iterator(chunk_size=10_000):
        values[review_id][criterion_id] = value
    changed = []
    for review in (
        Review.objects.only("pk")
        .annotate(grid_call=models.F("assignment__bid__call_id"))
        .iterator(chunk_size=10_000)
    ):
        total = scoring.weighted_total(values.get(review.pk, {}), weights.get(review.grid_call, {}))
        if total is not None:
            review.weighted_total = total.quantize(Decimal("1e-10"))
            changed.append(review)
    Review.objects.bulk_update(changed, ["weighted_total"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0018_proposal_preview_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="weighted_total",
            field=models.DecimalField(
                blank=True,
                decimal_places=10,
                editable=False,
                max_digits=14,
                null=True,
                verbose_name="weighted total",
            ),
        ),
        migrations.RunPython(fill_weighted_totals, migrations.RunPython.noop),
    ]
