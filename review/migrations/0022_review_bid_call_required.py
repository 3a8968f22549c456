"""``Review.bid`` and ``Review.call`` required (filled by 0021), and the two indexes the figures
over a whole call read."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0011_deadline_reminders"),
        ("review", "0021_review_bid_call"),
    ]

    operations = [
        migrations.AlterField(
            model_name="review",
            name="bid",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="applications.bid",
                verbose_name="bid",
            ),
        ),
        migrations.AlterField(
            model_name="review",
            name="call",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="applications.call",
                verbose_name="call",
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["call", "status", "weighted_total"], name="review_call_total"
            ),
        ),
        migrations.AddIndex(
            model_name="review",
            index=models.Index(
                fields=["call", "status", "bid", "weighted_total"], name="review_call_bid_total"
            ),
        ),
    ]
