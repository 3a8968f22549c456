"""Each review holds its assignment's bid and that bid's call (``Review.bid``, ``Review.call``),
so that the figures over a whole call read its reviews from one index; existing reviews are
filled here, and the next migration makes the columns required."""

import django.db.models.deletion
from django.db import migrations, models


def copy_bid_and_call(apps, schema_editor):
    """One ``UPDATE`` (the same on SQLite and PostgreSQL): each review's bid and call from its
    assignment."""
    Review = apps.get_model("review", "Review")
    Assignment = apps.get_model("review", "Assignment")
    Bid = apps.get_model("applications", "Bid")
    quote = schema_editor.quote_name
    review, assignment, bid = (
        quote(model._meta.db_table) for model in (Review, Assignment, Bid)
    )
    schema_editor.execute(
        f"UPDATE {review} SET "  # nosec B608 - table names from the models, no user input
        f"bid_id = (SELECT a.bid_id FROM {assignment} a WHERE a.id = {review}.assignment_id), "
        f"call_id = (SELECT b.call_id FROM {assignment} a JOIN {bid} b ON b.id = a.bid_id "
        f"WHERE a.id = {review}.assignment_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0011_deadline_reminders"),
        ("review", "0020_progress_decision_figures"),
    ]

    operations = [
        migrations.AddField(
            model_name="review",
            name="bid",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="applications.bid",
                verbose_name="bid",
            ),
        ),
        migrations.AddField(
            model_name="review",
            name="call",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="applications.call",
                verbose_name="call",
            ),
        ),
        migrations.RunPython(copy_bid_and_call, migrations.RunPython.noop, elidable=True),
    ]
