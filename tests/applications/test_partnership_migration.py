"""The data migration: partners ticked before consent existed become accepted partnerships."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("applications", "0007_partnerships")]
AFTER = [("applications", "0008_partnerships_from_partners")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_existing_partners_become_accepted_partnerships():
    apps = _migrate(BEFORE)
    try:
        Institution = apps.get_model("applications", "Institution")
        Call = apps.get_model("applications", "Call")
        Bid = apps.get_model("applications", "Bid")
        User = apps.get_model("auth", "User")
        now = timezone.now()
        author = User.objects.create(username="author", email="author@example.org")
        lead, partner = (
            Institution.objects.create(
                name=name, kind="university", city="Lyon", identifier_type="uai", identifier=code
            )
            for name, code in [("Lead", "0000001A"), ("Partner", "0000002B")]
        )
        call = Call.objects.create(
            slug="c",
            title_en="C",
            title_fr="C",
            opens_at=now,
            closes_at=now + timedelta(days=1),
            envelope=1,
            max_amount=1,
        )
        bid = Bid.objects.create(
            call=call, lead_institution=lead, acronym="B", title="B", created_by=author
        )
        bid.partners.add(partner)

        apps = _migrate(AFTER)

        Partnership = apps.get_model("applications", "Partnership")
        assert list(
            Partnership.objects.values_list("bid_id", "institution_id", "status", "requested_by_id")
        ) == [(bid.pk, partner.pk, "accepted", author.pk)]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
