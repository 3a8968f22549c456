"""The jury: evaluation grid, jurors, conflicts, assignments, reviews, consensus, ranking runs.

Thin models; writes across models live in ``review/services.py``. Pure computations
(assignment optimiser, ranking engine) live in ``review/assignment`` and ``review/ranking``.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext_lazy as _

from applications.models import Bid, BidVersion, Call, Institution

# Stored in English in each criterion; translated when shown (see review.queries.criteria_of).
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
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    guidance_fr = models.TextField(_("guidance (French)"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=3, default=Decimal(1))
    scale_min = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal(0))
    scale_max = models.DecimalField(max_digits=4, decimal_places=1, default=Decimal(5))
    scale_step = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.5"))
    threshold = models.DecimalField(
        _("threshold"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    descriptors = models.JSONField(
        _("descriptor per level"), default=default_descriptors, blank=True
    )
    order = models.PositiveSmallIntegerField(default=0)

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

    @property
    def guidance(self) -> str:
        return self.guidance_fr if (get_language() or "en").startswith("fr") else self.guidance_en


class JurorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="juror_profile"
    )
    display_name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    expertise = models.TextField(_("expertise statement"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    languages = models.CharField(_("languages"), max_length=200, blank=True)
    calls = models.ManyToManyField(Call, related_name="jurors", blank=True)

    class Meta:
        ordering = ["display_name"]
        verbose_name = _("juror")
        verbose_name_plural = _("jurors")

    def __str__(self) -> str:
        return self.display_name


class Affiliation(models.Model):
    """A juror's current (no end year) or past affiliation; drives conflict detection."""

    juror = models.ForeignKey(JurorProfile, on_delete=models.CASCADE, related_name="affiliations")
    institution = models.ForeignKey(
        Institution, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
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

    juror = models.ForeignKey(JurorProfile, on_delete=models.CASCADE, related_name="conflicts")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=20, choices=Source.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUGGESTED)
    # A pinned decision is kept when detection runs again.
    pinned = models.BooleanField(default=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["bid", "juror"]
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [
            models.UniqueConstraint(
                fields=["juror", "bid", "source", "kind"], name="unique_conflict_per_source_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.juror} × {self.bid.acronym}: {self.get_status_display()}"


class ConflictDeclaration(models.Model):
    """What the juror declared before opening the bid beyond its title and summary."""

    juror = models.ForeignKey(JurorProfile, on_delete=models.CASCADE, related_name="declarations")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="declarations")
    has_conflict = models.BooleanField()
    kind = models.CharField(max_length=20, choices=Conflict.Kind.choices, blank=True)
    reason = models.TextField(blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("conflict declaration")
        verbose_name_plural = _("conflict declarations")
        constraints = [models.UniqueConstraint(fields=["juror", "bid"], name="unique_declaration")]

    def __str__(self) -> str:
        return f"{self.juror} × {self.bid.acronym}"


class Assignment(models.Model):
    juror = models.ForeignKey(JurorProfile, on_delete=models.CASCADE, related_name="assignments")
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="assignments")
    is_rapporteur = models.BooleanField(_("rapporteur"), default=False)
    similarity = models.FloatField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

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

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="assignment_proposals")
    jurors_per_bid = models.PositiveSmallIntegerField(default=3)
    min_load = models.PositiveSmallIntegerField(default=0)
    max_load = models.PositiveSmallIntegerField(default=10)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("assignment proposal")
        verbose_name_plural = _("assignment proposals")

    def __str__(self) -> str:
        return f"{self.call} #{self.pk}"


class Review(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    class Confidence(models.IntegerChoices):
        LOW = 1, _("Low")
        MEDIUM = 2, _("Medium")
        HIGH = 3, _("High")

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    bid_version = models.ForeignKey(
        BidVersion, on_delete=models.PROTECT, null=True, related_name="reviews"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    overall_comment = models.TextField(_("overall comment"), blank=True)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), choices=Confidence.choices, null=True, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return _("Review %(assignment)s") % {"assignment": self.assignment}


class CriterionScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        verbose_name = _("criterion score")
        verbose_name_plural = _("criterion scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="unique_review_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.value}"


class ReviewReopening(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="reopenings")
    reason = models.TextField()
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-reopened_at"]

    def __str__(self) -> str:
        return _("%(review)s reopened") % {"review": self.review}


class ReminderEmail(models.Model):
    juror = models.ForeignKey(JurorProfile, on_delete=models.CASCADE, related_name="reminders")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # e.g. "days_before_3", "deadline_day"
    unfinished_reviews = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["juror", "call", "kind"], name="unique_reminder")
        ]

    def __str__(self) -> str:
        return f"{self.juror} {self.kind}"


class ConsensusReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for approval")
        APPROVED = "approved", _("Approved")

    bid = models.OneToOneField(Bid, on_delete=models.CASCADE, related_name="consensus")
    rapporteur = models.ForeignKey(JurorProfile, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    summary = models.TextField(_("evaluation summary"), blank=True)
    version = models.PositiveIntegerField(default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("consensus report")
        verbose_name_plural = _("consensus reports")

    def __str__(self) -> str:
        return _("Consensus %(acronym)s") % {"acronym": self.bid.acronym}


class ConsensusScore(models.Model):
    report = models.ForeignKey(ConsensusReport, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["report", "criterion"], name="unique_consensus_criterion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.criterion.code}={self.value}"


class ConsensusComment(models.Model):
    report = models.ForeignKey(ConsensusReport, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(JurorProfile, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return _("%(author)s on %(report)s") % {"author": self.author, "report": self.report}


class RankingRun(models.Model):
    """One immutable ranking computation: its parameters, the hash of its inputs, its result."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="ranking_runs")
    parameters = models.JSONField()
    input_hash = models.CharField(max_length=64, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    # Frozen at creation: the engine's exact input, so the result depends on it alone.
    engine_input = models.JSONField(null=True, blank=True)
    # The engine's canonical JSON text, byte for byte (`result` is the same, decoded).
    result_json = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ranking run")
        verbose_name_plural = _("ranking runs")

    def __str__(self) -> str:
        return _("Run #%(number)s (%(call)s)") % {"number": self.pk, "call": self.call}


class RankingChunk(models.Model):
    """A slice of a run's bootstrap, computed by one worker; unique so redelivery is harmless."""

    run = models.ForeignKey(RankingRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    result = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "index"], name="unique_ranking_chunk")
        ]

    def __str__(self) -> str:
        return _("%(run)s chunk %(index)s") % {"run": self.run, "index": self.index}
