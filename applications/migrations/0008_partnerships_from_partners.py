"""Existing partners (the former ``Bid.partners`` many-to-many) become accepted partnerships.

They were ticked by the lead before consent existed; they are kept as accepted so that no
partner loses access overnight, with the bid's creator as the requester and no answerer
(the history shows they were carried over). Reversing recreates the many-to-many rows
from the accepted partnerships.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    Bid = apps.get_model("applications", "Bid")
    Partnership = apps.get_model("applications", "Partnership")
    through = Bid.partners.through
    rows = through.objects.select_related("bid").order_by("pk")
    Partnership.objects.bulk_create(
        [
            Partnership(
                bid_id=row.bid_id,
                institution_id=row.institution_id,
                status="accepted",
                requested_by_id=row.bid.created_by_id,
                requested_at=row.bid.created_at,
            )
            for row in rows
        ]
    )


def backwards(apps, schema_editor):
    Bid = apps.get_model("applications", "Bid")
    Partnership = apps.get_model("applications", "Partnership")
    through = Bid.partners.through
    through.objects.bulk_create(
        [
            through(bid_id=bid_id, institution_id=institution_id)
            for bid_id, institution_id in Partnership.objects.filter(
                status="accepted"
            ).values_list("bid_id", "institution_id")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [("applications", "0007_partnerships")]

    operations = [migrations.RunPython(forwards, backwards)]
