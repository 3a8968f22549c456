"""``python manage.py verify_audit [--call SLUG]``: check the tamper-evident record.

Exit 0 with "intact, N entries, head <hash>"; exit 1 naming the first entry that does not
match (edited, deleted, unlinked); exit 2 for an unknown call. The chain is one for the portal: with ``--call``, the whole
chain is still checked (a call's entries are proven by every entry before them) and N and
the head are the call's.
"""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.models import Call
from review.models import AuditEvent
from review.queries.audit import break_message, call_head_hash, chain_verdict


class Command(BaseCommand):
    help = "Verify the audit chain; exit 1 naming the first entry that does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--call", dest="slug", help="report the entries of this call")

    def handle(self, *args, slug: str | None = None, **options) -> None:
        call = None
        if slug:
            call = Call.objects.filter(slug=slug).first()
            if call is None:
                raise CommandError(
                    _("No call with the slug %(slug)s.") % {"slug": slug}, returncode=2
                )
        verdict = chain_verdict()
        if verdict.broken is not None:
            raise CommandError(break_message(verdict.broken), returncode=1)
        if call is None:
            count, head = verdict.count, verdict.head
        else:
            count = AuditEvent.objects.filter(call=call).count()
            head = call_head_hash(call) or "—"
        self.stdout.write(
            ngettext(
                "intact, %(count)s entry, head %(head)s",
                "intact, %(count)s entries, head %(head)s",
                count,
            )
            % {"count": count, "head": head}
        )
