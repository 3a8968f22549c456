"""The jury: evaluation grid, jurors, conflicts, assignments, reviews, consensus, ranking runs.

Thin models; writes across models live in ``review/services/``. Pure computations
(assignment optimiser, ranking engine) live in ``review/assignment`` and ``review/ranking``.

Who may see a bid as a juror is written here once: :func:`juror_excluded` (a confirmed
conflict, or a conflict the juror declared, removes the juror from the bid), used by
``Assignment.objects.active()``, ``JurorProfile.objects.excluded_from(bid)`` and
``CriterionScore.objects.of_active_jurors()``; which bids the jury assesses at all is
``applications.models.BidQuerySet.assessable``.
"""

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language, gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from applications.models import Bid, BidVersion, Call, Institution
from portal import transitions
from portal.editing import Locked
from review import audit_chain, reminder_schedule

# Stored in English in each criterion; translated when shown (see review.queries.criteria.criteria_of).
DEFAULT_SCALE_DESCRIPTORS = {
    "0": gettext_noop("Fails to address the criterion"),
    "1": gettext_noop("Poor"),
    "2": gettext_noop("Fair"),
    "3": gettext_noop("Good"),
    "4": gettext_noop("Very good"),
    "5": gettext_noop("Excellent"),
}


def default_descriptors() -> dict[str, str]:
    return dict(DEFAULT_SCALE_DESCRIPTORS)


class Criterion(models.Model):
    """One criterion of a call's evaluation grid.

    The grid is what every score means: once the first review of the call exists
    (:meth:`grid_frozen`), its criteria can no longer be added, removed or changed in the
    fields of :attr:`GRID_FIELDS` (:meth:`clean`, used by every form including the Django
    admin, which also refuses deletion). Names, guidance and descriptors stay editable:
    fixing a typo changes no score. Weights are positive and every criterion of a call
    shares one scale, so the weighted total (``review.scoring.weighted_total``, a weighted
    mean) stays on the scale the jurors and applicants see.
    """

    GRID_FIELDS = ("call", "code", "weight", "scale_min", "scale_max", "scale_step", "threshold")

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("call")
    )
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    guidance_fr = models.TextField(_("guidance (French)"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=3, default=Decimal(1))
    scale_min = models.DecimalField(
        _("scale minimum"), max_digits=4, decimal_places=1, default=Decimal(0)
    )
    scale_max = models.DecimalField(
        _("scale maximum"), max_digits=4, decimal_places=1, default=Decimal(5)
    )
    scale_step = models.DecimalField(
        _("scale step"), max_digits=3, decimal_places=2, default=Decimal("0.5")
    )
    threshold = models.DecimalField(
        _("threshold"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    descriptors = models.JSONField(
        _("descriptor per level"), default=default_descriptors, blank=True
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    # The sections of the bid form judged on this criterion, shown to applicants in the
    # section's guidance; edited from the guidance's admin page (``review.admin``). Declared
    # here because ``applications`` never depends on review.
    guided_sections = models.ManyToManyField(
        "applications.SectionGuidance",
        blank=True,
        related_name="criteria",
        verbose_name=_("sections judged on it"),
    )

    class Meta:
        ordering = ["call", "order", "code"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="unique_criterion_code"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="criterion_scale_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en

    @staticmethod
    def grid_frozen(call_id: int) -> bool:
        """Whether reviewing has started: a review (draft or submitted) exists on the call."""
        return Review.objects.filter(assignment__bid__call_id=call_id).exists()

    @staticmethod
    def check_grid_editable(call_id: int) -> None:
        """Raise ``portal.editing.Locked`` once the call's evaluation grid is frozen."""
        if Criterion.grid_frozen(call_id):
            raise Locked(
                gettext(
                    "Reviewing has started on this call: its evaluation grid (criteria, "
                    "weights, thresholds and scale) can no longer change. Names, guidance "
                    "and descriptors may still be corrected."
                )
            )

    def clean(self) -> None:
        super().clean()
        if self.call_id is None:
            return
        stored = (
            Criterion.objects.filter(pk=self.pk).values(*self.GRID_FIELDS).first()
            if self.pk
            else None
        )
        current = {name: getattr(self, name) for name in self.GRID_FIELDS}
        current["call"] = self.call_id
        if stored is None or stored != current:
            Criterion.check_grid_editable(self.call_id)
            if stored is not None and stored["call"] != self.call_id:
                Criterion.check_grid_editable(stored["call"])
        if self.weight is not None and self.weight <= 0:
            raise ValidationError(
                {"weight": _("A weight must be above 0: only the ratios between weights count.")}
            )
        others = (
            Criterion.objects.filter(call_id=self.call_id)
            .exclude(pk=self.pk)
            .values_list("scale_min", "scale_max")
            .first()
        )
        if others is not None and others != (self.scale_min, self.scale_max):
            raise ValidationError(
                _(
                    "Every criterion of a call is scored on the same scale (here "
                    "%(low)s–%(high)s), so that the weighted total stays on it."
                )
                % {
                    "low": format(others[0].normalize(), "f"),
                    "high": format(others[1].normalize(), "f"),
                }
            )

    @property
    def guidance(self) -> str:
        return self.guidance_fr if (get_language() or "en").startswith("fr") else self.guidance_en


def juror_excluded(*, juror: Any = None, bid: Any = None) -> Q:
    """The exclusion rule: a confirmed conflict, or a conflict the juror declared, between
    ``juror`` and ``bid`` removes the juror from the bid (they no longer see, score or
    count on it).

    ``juror`` and ``bid`` are the pair as the outer query sees it (``OuterRef`` or a value);
    by default the row's own ``juror_id`` and ``bid_id`` (assignments, conflicts,
    declarations).
    """
    pair = {
        "juror_id": OuterRef("juror_id") if juror is None else juror,
        "bid_id": OuterRef("bid_id") if bid is None else bid,
    }
    return Q(Exists(Conflict.objects.excluding().filter(**pair))) | Q(
        Exists(ConflictDeclaration.objects.excluding().filter(**pair))
    )


class JurorProfileQuerySet(models.QuerySet["JurorProfile"]):
    def excluded_from(self, bid: Bid) -> "JurorProfileQuerySet":
        """Jurors removed from ``bid`` by :func:`juror_excluded`, assigned or not."""
        return self.filter(juror_excluded(juror=OuterRef("pk"), bid=bid.pk))


class JurorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="juror_profile",
        verbose_name=_("user"),
    )
    display_name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    expertise = models.TextField(_("expertise statement"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    # The public results page names only the jurors who agreed (``review.queries.results``).
    listed_publicly = models.BooleanField(
        _("listed on the public results page"),
        default=False,
        help_text=_(
            "The juror's name, country and current affiliation appear in the jury's "
            "composition on the published results of their calls."
        ),
    )
    calls = models.ManyToManyField(
        Call, related_name="jurors", blank=True, verbose_name=_("calls for projects")
    )

    objects = JurorProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("juror")
        verbose_name_plural = _("jurors")

    def __str__(self) -> str:
        return self.display_name


class Affiliation(models.Model):
    """A juror's current (no end year) or past affiliation; drives conflict detection."""

    juror = models.ForeignKey(
        JurorProfile, on_delete=models.CASCADE, related_name="affiliations", verbose_name=_("juror")
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    organisation_name = models.CharField(_("organisation"), max_length=200)
    start_year = models.PositiveSmallIntegerField(_("from"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["juror", "-end_year"]
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")

    def __str__(self) -> str:
        return f"{self.juror}: {self.organisation_name}"


class ConflictQuerySet(models.QuerySet["Conflict"]):
    def excluding(self) -> "ConflictQuerySet":
        """Conflicts that remove the juror from the bid: those an administrator confirmed."""
        return self.filter(status=Conflict.Status.CONFIRMED)

    def undecided(self) -> "ConflictQuerySet":
        """Suggested conflicts: they block an assignment until an administrator decides."""
        return self.filter(status=Conflict.Status.SUGGESTED)

    def holding_scores(self) -> "ConflictQuerySet":
        """Undecided conflicts that a bid's institution declared (matched to the juror by
        e-mail in ``review.services.conflicts``): a ranking run leaves the juror's scores on
        the bid out until an administrator confirms or dismisses the conflict."""
        return self.undecided().filter(source=Conflict.Source.INSTITUTION)


class Conflict(models.Model):
    """A suspected or established conflict of interest between a juror and a bid."""

    class Source(models.TextChoices):
        DETECTED = "detected", _("Detected automatically")
        JUROR = "juror", _("Declared by the juror")
        INSTITUTION = "institution", _("Declared by the institution")
        ADMINISTRATOR = "administrator", _("Set by an administrator")

    class Kind(models.TextChoices):
        AFFILIATION = "affiliation", _("Current or recent affiliation")
        EMAIL_DOMAIN = "email_domain", _("Shared e-mail domain")
        PREPARATION = "preparation", _("Helped prepare the bid")
        COLLABORATION = "collaboration", _("Recent collaboration")
        FAMILY = "family", _("Family or personal tie")
        BENEFIT = "benefit", _("Stands to benefit")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    juror = models.ForeignKey(
        JurorProfile, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("juror")
    )
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("bid")
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.SUGGESTED
    )
    # A pinned decision is kept when detection runs again.
    pinned = models.BooleanField(_("pinned decision"), default=False)
    # Why an administrator dismissed the conflict, and why they pinned the decision:
    # required by ``dismiss_conflict`` and ``set_conflict_pinned``.
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    pin_reason = models.TextField(_("reason for pinning"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "juror"]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["juror", "bid", "source", "kind"], name="unique_conflict_per_source_kind"
            )
        ]
        indexes = [
            # The exclusion rule (``juror_excluded``) and ``excluded_pairs`` read the excluding
            # conflicts of a pair or of a call's bids from this index alone.
            models.Index(fields=["status", "bid", "juror"], name="conflict_status_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.juror} × {self.bid.acronym}: {self.get_status_display()}"


class ConflictDeclarationQuerySet(models.QuerySet["ConflictDeclaration"]):
    def excluding(self) -> "ConflictDeclarationQuerySet":
        """Declarations that remove the juror from the bid: a conflict declared."""
        return self.filter(has_conflict=True)

    def no_conflict(self) -> "ConflictDeclarationQuerySet":
        """Declarations of no conflict: they open the bid beyond its title and summary."""
        return self.filter(has_conflict=False)


class ConflictDeclaration(models.Model):
    """What the juror declared before opening the bid beyond its title and summary."""

    juror = models.ForeignKey(
        JurorProfile, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("juror")
    )
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("bid")
    )
    has_conflict = models.BooleanField(_("conflict declared"))
    kind = models.CharField(_("type"), max_length=20, choices=Conflict.Kind.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    objects = ConflictDeclarationQuerySet.as_manager()

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")
        constraints = [models.UniqueConstraint(fields=["juror", "bid"], name="unique_declaration")]
        indexes = [
            # The few declarations of a conflict, by bid: ``excluded_pairs`` and the staffing
            # rule's candidates read them without scanning every "no conflict" declaration.
            models.Index(
                fields=["bid", "juror"],
                condition=Q(has_conflict=True),
                name="declaration_excluding_pair",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.juror} × {self.bid.acronym}"


class InstitutionConflictDeclaration(models.Model):
    """Someone a bid's institution considers conflicted, named by e-mail.

    Kept whether or not the address belongs to a juror, so that a juror invited later is
    matched when detection runs again (``review.services.conflicts.detect_conflicts``).
    """

    bid = models.ForeignKey(
        Bid,
        on_delete=models.CASCADE,
        related_name="institution_conflict_declarations",
        verbose_name=_("bid"),
    )
    email = models.EmailField(_("e-mail"))
    reason = models.TextField(_("reason"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("declared by"),
    )
    declared_at = models.DateTimeField(_("declared at"), auto_now_add=True)

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("conflict declared by an institution")
        verbose_name_plural = _("conflicts declared by institutions")

    def __str__(self) -> str:
        return f"{self.bid.acronym}: {self.email}"

    def clean(self) -> None:
        # Matched case-insensitively against jurors' addresses; stored lower-cased.
        self.email = (self.email or "").strip().lower()


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def active(self) -> "AssignmentQuerySet":
        """Assignments that still give the juror the bid: not cancelled by
        :func:`juror_excluded`."""
        return self.exclude(juror_excluded())

    def with_declared_no_conflict(self) -> "AssignmentQuerySet":
        """Annotate ``declared_no_conflict``: the juror declared no conflict on the bid.

        A lookup per row (a scalar subquery with a limit) rather than ``EXISTS``: PostgreSQL
        turned the ``EXISTS`` into a hash of every declaration (50,000 at 10,000 bids) for a
        page's thousand rows."""
        return self.annotate(
            declared_no_conflict=Coalesce(
                Subquery(
                    ConflictDeclaration.objects.no_conflict()
                    .filter(juror_id=OuterRef("juror_id"), bid_id=OuterRef("bid_id"))
                    .values(declared=Value(True))[:1]
                ),
                Value(False),
            )
        )


class Assignment(models.Model):
    juror = models.ForeignKey(
        JurorProfile, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("juror")
    )
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("bid")
    )
    is_rapporteur = models.BooleanField(_("rapporteur"), default=False)
    similarity = models.FloatField(_("similarity"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "juror"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["juror", "bid"], name="unique_assignment"),
            models.UniqueConstraint(
                fields=["bid"], condition=Q(is_rapporteur=True), name="one_rapporteur_per_bid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.juror} → {self.bid.acronym}"


class AssignmentProposal(models.Model):
    """An automatic assignment computed by a Celery task, previewed before it is saved."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        SAVED = "saved", _("Saved")

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="assignment_proposals", verbose_name=_("call")
    )
    jurors_per_bid = models.PositiveSmallIntegerField(_("jurors per bid"), default=3)
    min_load = models.PositiveSmallIntegerField(_("minimum bids per juror"), default=0)
    max_load = models.PositiveSmallIntegerField(_("maximum bids per juror"), default=10)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assignment proposal")
        verbose_name_plural = _("assignment proposals")

    def __str__(self) -> str:
        return f"{self.call} #{self.pk}"


class ProposalIndex(models.Model):
    """A computed proposal's figures for its preview page (the result without its pairs),
    written once by ``review.services.proposal_index``; its pairs are :class:`ProposalPair`.
    The stored ``result`` stays what saving the proposal reads."""

    proposal = models.OneToOneField(
        AssignmentProposal,
        on_delete=models.CASCADE,
        related_name="preview_index",
        verbose_name=_("assignment proposal"),
    )
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("assignment proposal index")
        verbose_name_plural = _("assignment proposal indexes")

    def __str__(self) -> str:
        return str(self.proposal)


class ProposalPair(models.Model):
    """One juror–bid pair of a computed proposal, in the result's order (the pk), so that its
    preview reads one page of bids and of jurors in SQL. A bid or juror deleted since drops
    out, as it does from the preview."""

    proposal = models.ForeignKey(
        AssignmentProposal,
        on_delete=models.CASCADE,
        related_name="indexed_pairs",
        verbose_name=_("assignment proposal"),
    )
    juror = models.ForeignKey(
        JurorProfile,
        on_delete=models.CASCADE,
        related_name="proposal_pairs",
        verbose_name=_("juror"),
    )
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="proposal_pairs", verbose_name=_("bid")
    )
    similarity = models.FloatField(_("similarity"))
    pinned = models.BooleanField(_("kept (review started)"))

    class Meta:
        indexes = [
            models.Index(fields=["proposal", "bid"], name="proposal_pair_bid"),
            models.Index(fields=["proposal", "juror"], name="proposal_pair_juror"),
        ]
        verbose_name = _("proposed pair")
        verbose_name_plural = _("proposed pairs")

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.juror_id} → {self.bid_id}"


class JurorImport(models.Model):
    """A table of jurors uploaded for a call: its parsed, checked rows, until confirmed.

    ``rows`` holds each row as read (``review.services.juror_import.JurorRow``) with its
    errors and outcome at preview time; confirming checks them again.
    """

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        IMPORTED = "imported", _("Imported")
        DISCARDED = "discarded", _("Discarded")

    TRANSITIONS = transitions.table(
        {Status.PREVIEWED: {Status.IMPORTED, Status.DISCARDED}, Status.IMPORTED: set()}
    )

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="juror_imports", verbose_name=_("call")
    )
    filename = models.CharField(_("file name"), max_length=200)
    rows = models.JSONField(_("rows"), default=list)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PREVIEWED
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported or discarded by"),
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at"]
        verbose_name = _("juror import")
        verbose_name_plural = _("juror imports")

    def __str__(self) -> str:
        return f"{self.call} — {self.filename}"


class ReviewQuerySet(models.QuerySet["Review"]):
    def bulk_create(  # type: ignore[override]  # the same call, objs taken as any iterable
        self, objs: Iterable["Review"], *args: Any, **kwargs: Any
    ) -> list["Review"]:
        """As ``QuerySet.bulk_create``, with each review's ``bid`` and ``call`` copied from its
        assignment (``save`` does the same for one review): no writer has to remember them."""
        objs = list(objs)
        missing = [obj.assignment_id for obj in objs if obj.bid_id is None or obj.call_id is None]
        if missing:
            located = {
                pk: (bid_id, call_id)
                for pk, bid_id, call_id in Assignment.objects.filter(pk__in=missing).values_list(
                    "pk", "bid_id", "bid__call_id"
                )
            }
            for obj in objs:
                if obj.assignment_id in located:
                    obj.bid_id, obj.call_id = located[obj.assignment_id]
        created = super().bulk_create(objs, *args, **kwargs)  # type: ignore[arg-type]  # the stubs leave the model unbound in a subclass
        return created  # type: ignore[return-value]  # the same


class Review(models.Model):
    class Status(models.TextChoices):
        # "Submitted" of a review is not the bid's ("Déposé"): its own context.
        DRAFT = "draft", pgettext_lazy("review", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("review", "Submitted")

    # Submitting locks a review; only an administrator's reopening unlocks it.
    TRANSITIONS = transitions.table(
        {Status.DRAFT: {Status.SUBMITTED}, Status.SUBMITTED: {Status.DRAFT}}
    )

    class Confidence(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="review", verbose_name=_("assignment")
    )
    # The assignment's bid and that bid's call, copied when the review is created (neither
    # ever changes): the figures over a whole call (``review.queries.progress``) read the
    # call's reviews from one index instead of joining every assignment.
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="+", editable=False, verbose_name=_("bid")
    )
    call = models.ForeignKey(
        Call,
        on_delete=models.CASCADE,
        related_name="+",
        editable=False,
        db_index=False,  # the indexes below start with it
        verbose_name=_("call"),
    )
    bid_version = models.ForeignKey(
        BidVersion,
        on_delete=models.PROTECT,
        null=True,
        related_name="reviews",
        verbose_name=_("submitted version"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    overall_comment = models.TextField(_("overall comment"), blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), choices=Confidence.choices, null=True, blank=True
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # ``review.scoring.weighted_total`` of the review's scores, rounded to the field
    # (``stored_total``), written with the scores by ``review.services.reviews`` (the only
    # writer of ``CriterionScore``); ``None`` while a criterion is unscored. Exact enough to
    # aggregate in the database: the grid's weights cannot change once a review exists
    # (``Criterion.grid_frozen``), so the total changes only when the scores do.
    weighted_total = models.DecimalField(
        _("weighted total"),
        max_digits=14,
        decimal_places=10,
        null=True,
        blank=True,
        editable=False,
    )

    objects = ReviewQuerySet.as_manager()

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            # Covering for a page's assignments with their reviews' status and total, so the
            # join reads no review row.
            models.Index(
                fields=["assignment", "status", "weighted_total"], name="review_assignment_total"
            ),
            # Covering for the figures over a whole call: the distribution of its totals, and
            # each bid's totals (grouped by bid, in order) for the disputed bids.
            models.Index(fields=["call", "status", "weighted_total"], name="review_call_total"),
            models.Index(
                fields=["call", "status", "bid", "weighted_total"], name="review_call_bid_total"
            ),
        ]

    def __str__(self) -> str:
        return _("Review %(assignment)s") % {"assignment": self.assignment}

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.bid_id is None or self.call_id is None:
            self.bid_id = self.assignment.bid_id
            self.call_id = self.assignment.bid.call_id
        super().save(*args, **kwargs)

    @staticmethod
    def stored_total(total: Decimal | None) -> Decimal | None:
        """``total`` as the ``weighted_total`` column holds it (ten decimal places)."""
        return None if total is None else total.quantize(Decimal("1e-10"))


class BidReviewFigures(models.Model):
    """What the figures over a whole call need of each bid, kept by the database itself:
    triggers on the reviews, the assignments and the bids (``review.bid_figures``, installed
    by migration 0023) rewrite a bid's row whenever one of its rows changes, whoever writes
    (a service, ``QuerySet.update``, a bulk load, a cascade), so no writer can leave it stale.

    Read by the progress page (``review.queries.progress``) and the staffing rule
    (``review.queries.staffing``) to pick candidates; the figures shown are computed exactly
    from the candidates' own reviews. The counted reviews are the submitted ones with a total,
    conflicts included: the few pairs a conflict removes are taken out in Python.
    """

    # No constraint in the database: the triggers delete the row with its bid, whatever the
    # order in which Django's cascade deletes the bid's rows.
    bid = models.OneToOneField(
        Bid,
        on_delete=models.DO_NOTHING,
        primary_key=True,
        db_constraint=False,
        related_name="+",
        verbose_name=_("bid"),
    )
    call = models.ForeignKey(
        Call,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # the indexes below start with it
        related_name="+",
        verbose_name=_("call"),
    )
    assignments = models.PositiveIntegerField(_("assignments"))
    totals = models.PositiveIntegerField(_("submitted reviews with a total"))
    # The highest total minus the lowest and the population variance of the totals, both
    # rounded to ten decimal places (SQLite computes in floats: equal sets of totals must give
    # equal values); null without a total.
    range_of = models.DecimalField(_("range"), max_digits=14, decimal_places=10, null=True)
    variance = models.FloatField(_("variance"), null=True)

    class Meta:
        verbose_name = _("figures of a bid's reviews")
        verbose_name_plural = _("figures of the bids' reviews")
        indexes = [
            models.Index(fields=["call", "assignments"], name="bidfigures_call_assignments"),
            models.Index(fields=["call", "range_of", "variance"], name="bidfigures_call_spread"),
        ]

    def __str__(self) -> str:
        return f"{self.bid_id}: {self.totals} totals"


class CriterionScoreQuerySet(models.QuerySet["CriterionScore"]):
    def of_active_jurors(self) -> "CriterionScoreQuerySet":
        """Scores of reviews whose juror :func:`juror_excluded` does not remove from the bid."""
        return self.exclude(
            juror_excluded(
                juror=OuterRef("review__assignment__juror_id"),
                bid=OuterRef("review__assignment__bid_id"),
            )
        )


class CriterionScore(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="scores", verbose_name=_("review")
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    value = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    objects = CriterionScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="unique_review_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.value}"


class ReviewReopening(models.Model):
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, related_name="reopenings", verbose_name=_("review")
    )
    reason = models.TextField(_("reason"))
    # The scores as submitted before the reopening ({criterion id: "3.5" or None}): the next
    # submission is compared with them (a change re-opens an approved consensus).
    submitted_scores = models.JSONField(_("scores as submitted"), default=dict, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reopened by"),
    )
    reopened_at = models.DateTimeField(_("reopened at"), auto_now_add=True)

    class Meta:
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return _("%(review)s reopened") % {"review": self.review}


class ReminderEmail(models.Model):
    juror = models.ForeignKey(
        JurorProfile, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("juror")
    )
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="+", verbose_name=_("call")
    )
    # "days_before_3" and "deadline_day" (the hourly beat, once each), "manual" (sent now by
    # an administrator, any number of times): ``review.services.reminders``.
    kind = models.CharField(_("type"), max_length=20)
    unfinished_reviews = models.PositiveIntegerField(_("unfinished reviews"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["juror", "call", "kind"],
                condition=~Q(kind="manual"),
                name="unique_reminder",
            )
        ]

    def __str__(self) -> str:
        return f"{self.juror} {self.kind}"

    @property
    def kind_label(self) -> str:
        return reminder_schedule.kind_label(self.kind)


class JuryMessage(models.Model):
    """An e-mail an administrator sent to the jury of a call (one message per juror)."""

    class Audience(models.TextChoices):
        ALL = "all", _("All jurors of the call")
        UNFINISHED = "unfinished", _("Jurors with unfinished reviews")

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="jury_messages", verbose_name=_("call")
    )
    audience = models.CharField(_("recipients"), max_length=20, choices=Audience.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    recipients = models.PositiveIntegerField(_("number of recipients"))

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("message to the jury")
        verbose_name_plural = _("messages to the jury")

    def __str__(self) -> str:
        return self.subject


class ConsensusReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")
        TO_REAPPROVE = "to_reapprove", _("To re-approve (a reopened review changed its scores)")

    # An administrator approves a submitted report or returns it to its rapporteur. An
    # approved report goes back to "to re-approve" when a reopened review of the bid is
    # submitted again with other scores; the administrator approves it again (or returns it).
    TRANSITIONS = transitions.table(
        {
            Status.DRAFT: {Status.SUBMITTED},
            Status.SUBMITTED: {Status.APPROVED, Status.DRAFT},
            Status.APPROVED: {Status.TO_REAPPROVE},
            Status.TO_REAPPROVE: {Status.APPROVED, Status.DRAFT},
        }
    )

    bid = models.OneToOneField(
        Bid, on_delete=models.CASCADE, related_name="consensus", verbose_name=_("bid")
    )
    rapporteur = models.ForeignKey(
        JurorProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("rapporteur")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    summary = models.TextField(_("evaluation summary"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # The last return to the rapporteur: why (required by ``return_consensus``), who, when.
    return_reason = models.TextField(_("reason for returning"), blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("consensus report")
        verbose_name_plural = _("consensus reports")

    def __str__(self) -> str:
        return _("Consensus %(acronym)s") % {"acronym": self.bid.acronym}

    @property
    def is_editable(self) -> bool:
        """The rapporteur edits a draft only; submitting (or approval) locks the report."""
        return self.status == self.Status.DRAFT

    @property
    def awaits_approval(self) -> bool:
        """Submitted by the rapporteur, or approved once and to re-approve."""
        return self.status in (self.Status.SUBMITTED, self.Status.TO_REAPPROVE)

    @property
    def accepts_comments(self) -> bool:
        """The bid's jurors comment until the report is approved."""
        return self.status != self.Status.APPROVED


class ConsensusScore(models.Model):
    report = models.ForeignKey(
        ConsensusReport,
        on_delete=models.CASCADE,
        related_name="scores",
        verbose_name=_("consensus report"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    value = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "criterion"], name="unique_consensus_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.value}"


class ConsensusComment(models.Model):
    report = models.ForeignKey(
        ConsensusReport,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("consensus report"),
    )
    author = models.ForeignKey(
        JurorProfile, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return _("%(author)s on %(report)s") % {"author": self.author, "report": self.report}


class RankingRunQuerySet(models.QuerySet["RankingRun"]):
    def without_bulk(self) -> "RankingRunQuerySet":
        """Without the engine's input and the result (megabytes at 10,000 bids): what lists
        and the bootstrap's workers read."""
        return self.defer("engine_input", "result", "result_json")


class RankingRun(models.Model):
    """One immutable ranking computation: its parameters, the hash of its inputs, its result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Done and failed are final: a run is immutable once computed.
    TRANSITIONS = transitions.table(
        {
            Status.PENDING: {Status.RUNNING, Status.DONE, Status.FAILED},
            Status.RUNNING: {Status.DONE, Status.FAILED},
            Status.DONE: set(),
            Status.FAILED: set(),
        }
    )

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="ranking_runs", verbose_name=_("call")
    )
    parameters = models.JSONField(_("parameters"))
    input_hash = models.CharField(_("input hash"), max_length=64, blank=True)
    engine_version = models.CharField(_("engine version"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    chunks_total = models.PositiveIntegerField(_("chunks in total"), default=0)
    chunks_done = models.PositiveIntegerField(_("chunks done"), default=0)
    result = models.JSONField(_("result"), null=True, blank=True)
    # Frozen at creation: the engine's exact input, so the result depends on it alone.
    engine_input = models.JSONField(_("engine input"), null=True, blank=True)
    # The engine's canonical JSON text, byte for byte (`result` is the same, decoded).
    result_json = models.TextField(_("result (JSON text)"), blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = RankingRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ranking run")
        verbose_name_plural = _("ranking runs")

    def __str__(self) -> str:
        return _("Run #%(number)s (%(call)s)") % {"number": self.pk, "call": self.call}


class RankingResultIndex(models.Model):
    """A finished run's figures for its page, computed once from its stored result
    (``review.services.ranking_rows``): the header, the charts' axes. Its rows are the
    :class:`RankingResultRow` of the run; the stored JSON stays the artefact."""

    run = models.OneToOneField(
        RankingRun,
        on_delete=models.CASCADE,
        related_name="result_index",
        verbose_name=_("ranking run"),
    )
    # ``review.queries.ranking.RunTable`` without its rows, and the score axis's bounds.
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("ranking result index")
        verbose_name_plural = _("ranking result indexes")

    def __str__(self) -> str:
        return str(self.run)


class RankingResultRow(models.Model):
    """One bid of a finished run's result, in the result's order: the columns the run page
    filters and sorts on, and the whole row (``review.queries.ranking.RunRow``) as JSON."""

    run = models.ForeignKey(
        RankingRun,
        on_delete=models.CASCADE,
        related_name="result_rows",
        verbose_name=_("ranking run"),
    )
    position = models.PositiveIntegerField(_("position"))
    label = models.CharField(_("bid"), max_length=200)
    rank = models.PositiveIntegerField(_("rank"))
    score = models.FloatField(_("score"), null=True)
    selected = models.BooleanField(_("selected"))
    row = models.JSONField(_("row"))

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="unique_ranking_result_row")
        ]
        verbose_name = _("ranking result row")
        verbose_name_plural = _("ranking result rows")

    def __str__(self) -> str:
        return f"{self.run_id}/{self.position}: {self.label}"


class RankingChunk(models.Model):
    """A slice of a run's bootstrap, computed by one worker; unique so redelivery is harmless."""

    run = models.ForeignKey(
        RankingRun, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("ranking run")
    )
    index = models.PositiveIntegerField(_("index"))
    result = models.JSONField(_("result"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_ranking_chunk")
        ]

    def __str__(self) -> str:
        return _("%(run)s chunk %(index)s") % {"run": self.run, "index": self.index}


class Decision(models.Model):
    """One version of a call's funding decision, prepared from a ranking run.

    A draft is prepared (and edited) by one administrator and approved by another (four
    eyes); approval makes the version immutable. A later change (a winner withdraws, the
    reserve moves up) is a new version with its reason, and the approved version it replaces
    becomes "superseded": every version is kept. An approved decision that is not yet
    published may be withdrawn (with a reason), which reopens the evaluation.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft, awaiting approval")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded by a later version")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DISCARDED = "discarded", _("Discarded draft")

    TRANSITIONS = transitions.table(
        {
            Status.DRAFT: {Status.APPROVED, Status.DISCARDED},
            Status.APPROVED: {Status.SUPERSEDED, Status.WITHDRAWN},
            Status.SUPERSEDED: set(),
            Status.WITHDRAWN: set(),
            Status.DISCARDED: set(),
        }
    )

    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="decisions", verbose_name=_("call")
    )
    number = models.PositiveIntegerField(_("version"))
    run = models.ForeignKey(
        "RankingRun",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("recommending ranking run"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    reason = models.TextField(_("reason for this version"), blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("prepared by"),
    )
    prepared_at = models.DateTimeField(_("prepared at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        ordering = ["call", "-number"]
        verbose_name = _("funding decision")
        verbose_name_plural = _("funding decisions")
        constraints = [
            models.UniqueConstraint(fields=["call", "number"], name="unique_decision_version"),
            # One draft and one approved (current) version per call at most.
            models.UniqueConstraint(
                fields=["call"], condition=Q(status="draft"), name="one_draft_decision_per_call"
            ),
            models.UniqueConstraint(
                fields=["call"],
                condition=Q(status="approved"),
                name="one_approved_decision_per_call",
            ),
        ]

    def __str__(self) -> str:
        return _("Decision v%(number)s (%(call)s)") % {"number": self.number, "call": self.call}


class BidDecision(models.Model):
    """One bid in a decision version: the jury's recommendation beside what is decided."""

    class Outcome(models.TextChoices):
        FUNDED = "funded", _("Funded")
        RESERVE = "reserve", _("Reserve list")
        NOT_FUNDED = "not_funded", _("Not funded")
        INELIGIBLE = "ineligible", _("Ineligible")

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="lines", verbose_name=_("decision")
    )
    bid = models.ForeignKey(
        Bid, on_delete=models.PROTECT, related_name="decision_lines", verbose_name=_("bid")
    )
    rank = models.PositiveIntegerField(_("rank in the run"), null=True, blank=True)
    score = models.DecimalField(
        _("score in the run"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    p_selected = models.DecimalField(
        _("P(selected)"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    reviews = models.PositiveSmallIntegerField(_("submitted reviews"), default=0)
    under_reviewed = models.BooleanField(_("fewer reviews than required"), default=False)
    recommended_outcome = models.CharField(
        _("recommendation"), max_length=20, choices=Outcome.choices
    )
    recommended_amount = models.PositiveBigIntegerField(
        _("recommended amount (€)"), null=True, blank=True
    )
    recommended_reserve = models.PositiveSmallIntegerField(
        _("recommended reserve position"), null=True, blank=True
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=Outcome.choices)
    amount_awarded = models.PositiveBigIntegerField(_("amount awarded (€)"), null=True, blank=True)
    reserve_position = models.PositiveSmallIntegerField(
        _("reserve position"), null=True, blank=True
    )
    reason = models.TextField(_("reason for the deviation"), blank=True)
    override_reason = models.TextField(
        _("reason for funding with fewer reviews than required"), blank=True
    )

    class Meta:
        ordering = ["decision", "rank", "bid__acronym"]
        verbose_name = _("decision on a bid")
        verbose_name_plural = _("decisions on bids")
        constraints = [
            models.UniqueConstraint(fields=["decision", "bid"], name="unique_bid_per_decision")
        ]
        indexes = [
            # The lines in rank order: a page of a 10 000-line decision reads its 50 lines
            # (the acronym only orders equal ranks) instead of sorting all of them.
            models.Index(fields=["decision", "rank"], name="biddecision_decision_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.bid.acronym}: {self.outcome}"


class PanelAdjustmentQuerySet(models.QuerySet["PanelAdjustment"]):
    def current(self) -> "PanelAdjustmentQuerySet":
        """The panel's score of each (report, criterion): its latest adjustment (by time,
        then id); every earlier one is history."""
        later = PanelAdjustment.objects.filter(
            report_id=OuterRef("report_id"), criterion_id=OuterRef("criterion_id")
        ).filter(
            Q(adjusted_at__gt=OuterRef("adjusted_at"))
            | Q(adjusted_at=OuterRef("adjusted_at"), pk__gt=OuterRef("pk"))
        )
        return self.exclude(Exists(later))


class PanelAdjustment(models.Model):
    """The panel's change to a consensus score at the jury meeting, kept beside the original.

    The latest adjustment of a criterion is the panel's score; every earlier one is kept.
    """

    report = models.ForeignKey(
        ConsensusReport,
        on_delete=models.CASCADE,
        related_name="adjustments",
        verbose_name=_("consensus report"),
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", verbose_name=_("criterion")
    )
    original_value = models.DecimalField(
        _("consensus score before"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    value = models.DecimalField(_("panel score"), max_digits=4, decimal_places=1)
    reason = models.TextField(_("reason"))
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("adjusted by"),
    )
    adjusted_at = models.DateTimeField(_("adjusted at"), auto_now_add=True)

    objects = PanelAdjustmentQuerySet.as_manager()

    class Meta:
        ordering = ["report", "criterion", "adjusted_at", "pk"]
        verbose_name = _("panel adjustment")
        verbose_name_plural = _("panel adjustments")

    def __str__(self) -> str:
        return f"{self.criterion.code}: {self.original_value} → {self.value}"


class PanelNote(models.Model):
    """The minutes of the jury meeting on one bid."""

    bid = models.OneToOneField(
        Bid, on_delete=models.CASCADE, related_name="panel_note", verbose_name=_("bid")
    )
    text = models.TextField(_("minutes"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("panel minutes")
        verbose_name_plural = _("panel minutes")

    def __str__(self) -> str:
        return _("Minutes on %(acronym)s") % {"acronym": self.bid.acronym}


def export_upload_to(instance: "CallExport", filename: str) -> str:
    # A random stored name: the download name is built from the call and the kind.
    return f"exports/{instance.call_id}/{uuid.uuid4().hex}-{filename}"


class CallExport(models.Model):
    """One file exporting a call (the jury report, the scores, the bids, the results), built
    by a Celery task and kept with its SHA-256 (``review.services.exports``)."""

    class Kind(models.TextChoices):
        JURY_REPORT = "jury_report", _("Jury report (PDF)")
        SCORES = "scores", _("Scores and comments (XLSX)")
        BIDS = "bids", _("Submitted bids (ZIP)")
        RESULTS = "results", _("Published results (CSV)")
        RANKING = "ranking", _("Ranking run (XLSX)")

    class Language(models.TextChoices):
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Running → running: a redelivered task builds the file again (the first worker died).
    TRANSITIONS = transitions.table(
        {
            Status.PENDING: {Status.RUNNING, Status.FAILED},
            Status.RUNNING: {Status.RUNNING, Status.DONE, Status.FAILED},
            Status.DONE: set(),
            Status.FAILED: set(),
        }
    )

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="exports", verbose_name=_("call")
    )
    kind = models.CharField(_("file"), max_length=20, choices=Kind.choices)
    # The ranking workbook's run (of the same call); empty for the other files.
    run = models.ForeignKey(
        RankingRun,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exports",
        verbose_name=_("ranking run"),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    pseudonymise = models.BooleanField(_("jurors as pseudonyms"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export of a call")
        verbose_name_plural = _("exports of calls")

    def __str__(self) -> str:
        return f"{self.call.slug} {self.kind} #{self.pk}"


class Publication(models.Model):
    """When and by whom a call's results were published, and which decision version was.

    Written once, by ``review.services.publication`` when the call moves to "published"; the
    redress window runs from ``published_at``.
    """

    call = models.OneToOneField(
        Call, on_delete=models.CASCADE, related_name="publication", verbose_name=_("call")
    )
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="+", verbose_name=_("decision")
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("published by"),
    )
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("publication of results")
        verbose_name_plural = _("publications of results")

    def __str__(self) -> str:
        return _("Results of %(call)s") % {"call": self.call}


def letter_upload_to(instance: "DecisionLetter", filename: str) -> str:
    # A random stored name: the download name is built from the call and the bid.
    return f"letters/{instance.call_id}/{uuid.uuid4().hex}-{filename}"


class DecisionLetter(models.Model):
    """The letter telling an institution the outcome of its bid, with its evaluation summary.

    Written at publication (PDF and SHA-256 fixed then), e-mailed to every member of the lead
    institution by ``task_send_decision_letter``; an administrator may send it again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    # Sent → queued: an administrator sends a letter again (a member lost it, a new member).
    TRANSITIONS = transitions.table(
        {
            Status.QUEUED: {Status.SENT, Status.FAILED},
            Status.SENT: {Status.QUEUED},
            Status.FAILED: {Status.QUEUED},
        }
    )

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="letters", verbose_name=_("call")
    )
    bid = models.OneToOneField(
        Bid, on_delete=models.CASCADE, related_name="decision_letter", verbose_name=_("bid")
    )
    decision = models.ForeignKey(
        Decision, on_delete=models.PROTECT, related_name="letters", verbose_name=_("decision")
    )
    language = models.CharField(_("language"), max_length=2, choices=Institution.Language.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=BidDecision.Outcome.choices)
    amount_requested = models.PositiveBigIntegerField(_("amount requested (€)"))
    amount_awarded = models.PositiveBigIntegerField(_("amount awarded (€)"), null=True, blank=True)
    reserve_position = models.PositiveSmallIntegerField(
        _("reserve position"), null=True, blank=True
    )
    ineligibility_reason = models.TextField(_("screening reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED, editable=False
    )
    pdf = models.FileField(_("letter (PDF)"), upload_to=letter_upload_to, max_length=200)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    # Addresses this sending already reached: a retried or redelivered task skips them.
    delivered_to = models.JSONField(_("delivered to"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["call", "bid__acronym"]
        verbose_name = _("decision letter")
        verbose_name_plural = _("decision letters")

    def __str__(self) -> str:
        return _("Decision letter for %(acronym)s") % {"acronym": self.bid.acronym}


class RedressRequest(models.Model):
    """A procedural appeal filed by a bid's coordinator after publication, and its answer.

    Appeals contest the procedure, not the jury's judgement; one per bid, filed within
    ``Call.redress_days`` of the publication (``review.services.redress``).
    """

    bid = models.OneToOneField(
        Bid, on_delete=models.CASCADE, related_name="redress_request", verbose_name=_("bid")
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("filed by"),
    )
    text = models.TextField(_("appeal"))
    filed_at = models.DateTimeField(_("filed at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["filed_at"]
        verbose_name = _("procedural appeal")
        verbose_name_plural = _("procedural appeals")

    def __str__(self) -> str:
        return _("Appeal on %(acronym)s") % {"acronym": self.bid.acronym}


class AuditEvent(models.Model):
    """One entry of the portal's tamper-evident record (``review.audit_chain``): appended by
    ``review.services.audit.record_event`` only, never changed or deleted.

    A single chain for the whole portal (per-call pages filter it): its sequence numbers are
    gapless and each entry holds the previous entry's hash. The foreign keys protect their
    rows: an entry's call, bid and actor ids are part of its hash.
    """

    class Kind(models.TextChoices):
        REVIEW_SUBMITTED = "review_submitted", _("Review submitted")
        REVIEW_REOPENED = "review_reopened", _("Review reopened")
        CONSENSUS_APPROVED = "consensus_approved", _("Consensus approved")
        CONSENSUS_ADJUSTED = "consensus_adjusted", _("Consensus score adjusted by the panel")
        CONFLICT_CONFIRMED = "conflict_confirmed", _("Conflict of interest confirmed")
        CONFLICT_DISMISSED = "conflict_dismissed", _("Conflict of interest dismissed")
        CONFLICT_PINNED = "conflict_pinned", _("Conflict decision pinned or unpinned")
        RUN_CREATED = "run_created", _("Ranking run created")
        RUN_COMPLETED = "run_completed", _("Ranking run completed")
        DECISION_PREPARED = "decision_prepared", _("Decision prepared")
        DECISION_SAVED = "decision_saved", _("Decision saved")
        DECISION_APPROVED = "decision_approved", _("Decision approved")
        DECISION_DISCARDED = "decision_discarded", _("Draft decision discarded")
        DECISION_WITHDRAWN = "decision_withdrawn", _("Decision withdrawn")
        DECISION_REVISED = "decision_revised", _("New decision version")
        CALL_PUBLISHED = "call_published", _("Results published")
        LETTER_SENT = "letter_sent", _("Letter sent")
        JURORS_IMPORTED = "jurors_imported", _("Jurors imported")
        CONSORTIUM_CHANGED = "consortium_changed", _("Consortium changed")

    sequence = models.PositiveBigIntegerField(_("number"), unique=True)
    call = models.ForeignKey(
        Call,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call"),
    )
    bid = models.ForeignKey(
        Bid,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bid"),
    )
    kind = models.CharField(_("event"), max_length=40, choices=Kind.choices)
    payload = models.JSONField(_("details"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        ordering = ["sequence"]
        indexes = [models.Index(fields=["call", "sequence"])]
        verbose_name = _("audit record entry")
        verbose_name_plural = _("audit record entries")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind}"


class AuditChainHead(models.Model):
    """The chain's head: one row (pk 1), locked by every append so that appends are serialised,
    and the last (sequence, hash) appended, so that entries deleted at the end show."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=audit_chain.GENESIS)

    class Meta:
        verbose_name = _("audit record head")
        verbose_name_plural = _("audit record heads")

    def __str__(self) -> str:
        return f"#{self.sequence} {self.hash[:12]}"
