"""``python manage.py index_ranking_results``: index, once, every finished ranking run and
computed assignment proposal that has no page index yet.

Runs and proposals computed before the indexes existed (migrations ``review`` 0016 and 0018)
are otherwise indexed on their first page view, which then takes seconds at 10,000 bids.
Idempotent: what is indexed already is left as it is, so a second run indexes nothing. Prints
how many of each it indexed.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from review.queries.indexes import unindexed_proposal_ids, unindexed_run_ids
from review.services.proposal_index import index_proposal_result
from review.services.ranking_rows import index_run_result


class Command(BaseCommand):
    help = "Index every finished ranking run and computed proposal that has no page index yet."

    def handle(self, *args, **options) -> None:
        # One transaction per run or proposal (the services'): an interruption keeps what
        # is done, and the next invocation goes on with the rest.
        runs = sum(index_run_result(run_id=run_id) for run_id in unindexed_run_ids())
        proposals = sum(
            index_proposal_result(proposal_id=proposal_id)
            for proposal_id in unindexed_proposal_ids()
        )
        self.stdout.write(
            _("Indexed %(runs)s ranking run(s) and %(proposals)s assignment proposal(s).")
            % {"runs": runs, "proposals": proposals}
        )
