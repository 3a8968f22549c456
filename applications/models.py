"""Calls, institutions, memberships, bids and everything an institution submits.

Models stay thin: fields, constraints, cheap properties and QuerySet filters. Writes that
span several rows live in ``applications/services/``.
"""

import math
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from applications import text_limits
from applications.validators import validate_siren, validate_uai
from portal import transitions
from portal.editing import EvaluationFrozen


class Institution(models.Model):
    class Kind(models.TextChoices):
        UNIVERSITY = "university", _("University")
        ECOLE = "ecole", _("Grande école")
        RESEARCH_ORGANISATION = "research", _("Research organisation")

    class Language(models.TextChoices):
        FRENCH = "fr", _("French")
        ENGLISH = "en", _("English")

    class IdentifierType(models.TextChoices):
        UAI = "uai", _("UAI")
        SIREN = "siren", _("SIREN")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    city = models.CharField(_("city"), max_length=100)
    identifier_type = models.CharField(
        _("identifier type"), max_length=5, choices=IdentifierType.choices
    )
    identifier = models.CharField(_("official identifier"), max_length=20)
    email_domain = models.CharField(
        _("e-mail domain"),
        max_length=100,
        blank=True,
        help_text=_("Used to detect jurors' conflicts of interest, e.g. univ-example.fr."),
    )
    language = models.CharField(
        _("language of correspondence"),
        max_length=2,
        choices=Language.choices,
        default=Language.FRENCH,
        help_text=_("The language of the decision letters sent to the institution."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            models.UniqueConstraint(
                fields=["identifier_type", "identifier"], name="unique_institution_identifier"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        self.identifier = (self.identifier or "").replace(" ", "").upper()
        validator = (
            validate_uai if self.identifier_type == self.IdentifierType.UAI else validate_siren
        )
        try:
            validator(self.identifier)
        except ValidationError as error:
            raise ValidationError({"identifier": error.messages}) from error
        self.email_domain = (self.email_domain or "").strip().lower().lstrip("@")


class Membership(models.Model):
    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Coordinator")
        EDITOR = "editor", _("Editor")
        READER = "reader", _("Reader")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("institution"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.institution} ({self.get_role_display()})"


# An invitation's link works once and for this long after it was sent.
INVITATION_VALIDITY = timedelta(days=14)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    institution = models.ForeignKey(
        Institution,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("institution"),
    )
    email = models.EmailField(_("e-mail"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_invitation_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.institution}"


class CallQuerySet(models.QuerySet["Call"]):
    def visible_to_applicants(self) -> "CallQuerySet":
        return self.exclude(status=Call.Status.DRAFT)

    def accepting_submissions(self, *, at: datetime | None = None) -> "CallQuerySet":
        """Calls accepting writes at ``at`` (default now).

        ``Call.is_accepting_submissions`` as a filter; a test holds the two to the same edges.
        """
        now = at or timezone.now()
        return self.filter(status=Call.Status.OPEN, opens_at__lte=now, closes_at__gt=now)

    def evaluation_open(self) -> "CallQuerySet":
        """Calls whose evaluation is not frozen by a decision (``Call.evaluation_frozen``)."""
        return self.exclude(status__in=Call.EVALUATION_FROZEN)


class Call(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        UNDER_REVIEW = "under_review", _("Under review")
        DECIDED = "decided", _("Decided")
        PUBLISHED = "published", _("Published")

    # Reopening (closed → open) is the only step back (``applications.services.calls``).
    TRANSITIONS = transitions.table(
        {
            Status.DRAFT: {Status.OPEN},
            Status.OPEN: {Status.CLOSED},
            Status.CLOSED: {Status.OPEN, Status.UNDER_REVIEW},
            Status.UNDER_REVIEW: {Status.DECIDED},
            # Back to "under review" only by withdrawing the decision (review's guard).
            Status.DECIDED: {Status.PUBLISHED, Status.UNDER_REVIEW},
            Status.PUBLISHED: set(),
        }
    )
    EVALUATION_FROZEN = frozenset({Status.DECIDED, Status.PUBLISHED})

    class JuryVisibility(models.TextChoices):
        NEVER = "never", _("Never")
        AFTER_OWN_REVIEW = "after_own_review", _("After the juror's own review is submitted")

    slug = models.SlugField(_("slug"), unique=True)
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    envelope = models.PositiveBigIntegerField(_("total envelope (€)"))
    min_winners = models.PositiveSmallIntegerField(_("minimum number of winners"), default=5)
    max_winners = models.PositiveSmallIntegerField(_("maximum number of winners"), default=10)
    min_amount = models.PositiveBigIntegerField(_("minimum amount per bid (€)"), default=0)
    max_amount = models.PositiveBigIntegerField(_("maximum amount per bid (€)"))
    budget_years = models.PositiveSmallIntegerField(
        _("years in the budget table"), default=5, validators=[MinValueValidator(1)]
    )
    max_attachment_bytes = models.PositiveIntegerField(
        _("maximum attachment size (bytes)"), default=10 * 1024 * 1024
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # Jury settings (used by the review app).
    review_deadline = models.DateTimeField(_("review deadline"), null=True, blank=True)
    jurors_per_bid = models.PositiveSmallIntegerField(_("jurors per bid"), default=3)
    min_reviews_per_bid = models.PositiveSmallIntegerField(
        _("minimum submitted reviews per bid"),
        default=3,
        help_text=_("A bid with fewer submitted reviews is funded only with a written override."),
    )
    reserve_list_size = models.PositiveSmallIntegerField(
        _("reserve list size recommended"), default=3
    )
    jury_visibility = models.CharField(
        _("jurors see other reviews"),
        max_length=20,
        choices=JuryVisibility.choices,
        default=JuryVisibility.AFTER_OWN_REVIEW,
    )
    overall_threshold = models.DecimalField(
        _("overall threshold"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    # The call's own page (``/calls/<slug>/``): rules as plain text (blank lines separate
    # paragraphs; shown escaped), and whom applicants write to.
    rules_en = models.TextField(
        _("rules (English)"),
        blank=True,
        help_text=_("Plain text: a blank line starts a new paragraph."),
    )
    rules_fr = models.TextField(
        _("rules (French)"),
        blank=True,
        help_text=_("Plain text: a blank line starts a new paragraph."),
    )
    contact_email = models.EmailField(
        _("contact e-mail"),
        blank=True,
        help_text=_("Shown on the call's page for applicants' questions."),
    )
    redress_days = models.PositiveSmallIntegerField(
        _("days to file a procedural appeal"),
        default=30,
        help_text=_(
            "After publication, a bid's coordinator may contest the procedure (not the jury's "
            "judgement) for this many days, to the second."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-opens_at"]
        verbose_name = _("call for projects")
        verbose_name_plural = _("calls for projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(max_winners__gte=models.F("min_winners")),
                name="call_max_winners_gte_min",
            ),
            models.CheckConstraint(
                condition=Q(max_amount__gte=models.F("min_amount")),
                name="call_max_amount_gte_min",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_fr if (get_language() or "en").startswith("fr") else self.title_en

    @property
    def description(self) -> str:
        if (get_language() or "en").startswith("fr"):
            return self.description_fr
        return self.description_en

    @property
    def rules(self) -> str:
        return self.rules_fr if (get_language() or "en").startswith("fr") else self.rules_en

    def clean(self) -> None:
        errors = {}
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("The call must close after it opens.")
        if self.max_winners < self.min_winners:
            errors["max_winners"] = _("The maximum number of winners is below the minimum.")
        if self.max_amount is not None and self.max_amount < self.min_amount:
            errors["max_amount"] = _("The maximum amount per bid is below the minimum.")
        if errors:
            raise ValidationError(errors)

    @property
    def evaluation_frozen(self) -> bool:
        """From "decided" on, the evaluation is read-only for everyone: reviews, consensus,
        assignments, conflicts, ranking runs, eligibility and the panel's minutes. Only
        withdrawing an unpublished decision reopens it."""
        return self.status in self.EVALUATION_FROZEN

    def check_evaluation_open(self) -> None:
        """Raise :class:`portal.editing.EvaluationFrozen` (a 403) once the call is decided."""
        if self.evaluation_frozen:
            raise EvaluationFrozen(
                _(
                    "The funding decision of this call is approved: its evaluation (reviews, "
                    "consensus, assignments, conflicts, ranking runs, eligibility) is read-only. "
                    "Withdrawing an unpublished decision, with a reason, reopens it."
                )
            )

    def is_accepting_submissions(self, *, at: datetime | None = None) -> bool:
        """Whether bids of this call may be started, changed, submitted or withdrawn at ``at``
        (default now): the call is open, has opened, and its deadline has not passed.

        Every service that writes a bid asks this; ``CallQuerySet.accepting_submissions`` is
        the same rule as a filter.
        """
        now = at or timezone.now()
        return (
            self.status == self.Status.OPEN
            and self.has_opened(at=now)
            and not self.deadline_passed(at=now)
        )

    def has_opened(self, *, at: datetime | None = None) -> bool:
        """``opens_at`` is the first second at which writes are accepted."""
        return (at or timezone.now()) >= self.opens_at

    def deadline_passed(self, *, at: datetime | None = None) -> bool:
        """``closes_at`` is the first second at which writes are refused (to the second)."""
        return (at or timezone.now()) >= self.closes_at

    def seconds_left(self, *, at: datetime | None = None) -> int:
        """Whole seconds until the deadline, rounded up: 0 exactly when it has passed.

        Pages hand this to the countdown script, which ticks it down without reading the
        visitor's clock.
        """
        now = at or timezone.now()
        if self.deadline_passed(at=now):
            return 0
        return math.ceil((self.closes_at - now).total_seconds())


class RequiredAttachment(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="required_attachments", verbose_name=_("call")
    )
    code = models.SlugField(_("code"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    max_pages = models.PositiveIntegerField(_("maximum pages"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("required attachment")
        verbose_name_plural = _("required attachments")
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="unique_required_attachment")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_fr if (get_language() or "en").startswith("fr") else self.name_en


def call_document_upload_to(instance: "CallDocument", filename: str) -> str:
    # Random stored name with the extension of the checked format, never the user's name.
    return f"call-documents/{instance.call_id}/{uuid.uuid4().hex}.{instance.extension}"


class CallDocument(models.Model):
    """A document applicants download from the call's page (a template, the full rules).

    Its format is read from its content when it is uploaded
    (``applications.services.call_documents.check_call_document``): ``content_type`` and
    ``extension`` are the checked format's, never the browser's or the file name's.
    """

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="documents", verbose_name=_("call")
    )
    title_en = models.CharField(_("title (English)"), max_length=200)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    file = models.FileField(_("file"), upload_to=call_document_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    extension = models.CharField(_("extension"), max_length=10, editable=False)
    size = models.PositiveIntegerField(_("size (bytes)"), editable=False)
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64, editable=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["call", "order", "pk"]
        verbose_name = _("call document")
        verbose_name_plural = _("call documents")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_fr if (get_language() or "en").startswith("fr") else self.title_en


class CallFAQ(models.Model):
    """A question and its answer on the call's page, in both languages, in ``order``."""

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="faqs", verbose_name=_("call")
    )
    question_en = models.CharField(_("question (English)"), max_length=300)
    question_fr = models.CharField(_("question (French)"), max_length=300)
    answer_en = models.TextField(_("answer (English)"))
    answer_fr = models.TextField(_("answer (French)"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["call", "order", "pk"]
        verbose_name = _("frequently asked question")
        verbose_name_plural = _("frequently asked questions")

    def __str__(self) -> str:
        return self.question

    @property
    def question(self) -> str:
        return self.question_fr if (get_language() or "en").startswith("fr") else self.question_en

    @property
    def answer(self) -> str:
        return self.answer_fr if (get_language() or "en").startswith("fr") else self.answer_en


class BidQuerySet(models.QuerySet["Bid"]):
    def visible_to(self, user) -> "BidQuerySet":
        """Bids the user may see: all of them for an administrator with TOTP
        (``is_verified_administrator``, as ``bids.view``); for an institution member, those
        led by their institution or in which it is an accepted partner (a partnership only
        requested shows nothing of the bid: ``is_bid_partner_member``)."""
        from applications.rules import is_verified_administrator  # rules import this module

        if not user.is_authenticated:
            return self.none()
        if is_verified_administrator(user):
            return self
        institutions = Membership.objects.filter(user=user).values("institution")
        partnered = Partnership.objects.accepted().filter(
            bid=models.OuterRef("pk"), institution__in=institutions
        )
        return self.filter(Q(lead_institution__in=institutions) | Q(models.Exists(partnered)))

    def submitted(self) -> "BidQuerySet":
        return self.filter(status=Bid.Status.SUBMITTED)

    def assessable(self) -> "BidQuerySet":
        """Bids the jury assesses (assigns, scores, ranks): submitted, which leaves withdrawn
        bids out, and not found ineligible at screening."""
        return self.submitted().exclude(eligibility=Bid.Eligibility.INELIGIBLE)


class Bid(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Submitting again (a new version) keeps a bid submitted; a draft never submitted has
    # nothing to withdraw (it is simply not evaluated); undoing a withdrawal returns it to
    # submitted if it has a version, else to draft (rows withdrawn before this rule).
    TRANSITIONS = transitions.table(
        {
            Status.DRAFT: {Status.SUBMITTED},
            Status.SUBMITTED: {Status.SUBMITTED, Status.WITHDRAWN},
            Status.WITHDRAWN: {Status.DRAFT, Status.SUBMITTED},
        }
    )

    class Eligibility(models.TextChoices):
        PENDING = "pending", _("Not yet screened")
        ELIGIBLE = "eligible", _("Eligible")
        INELIGIBLE = "ineligible", _("Ineligible")

    public_id = models.UUIDField(
        _("public identifier"), default=uuid.uuid4, unique=True, editable=False
    )
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="bids", verbose_name=_("call")
    )
    lead_institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="led_bids",
        verbose_name=_("lead institution"),
    )
    acronym = models.CharField(_("acronym"), max_length=30)
    title = models.CharField(_("title"), max_length=250)
    requested_amount = models.PositiveBigIntegerField(_("requested amount (€)"), default=0)
    minimum_amount = models.PositiveBigIntegerField(
        _("minimum viable amount (€)"),
        default=0,
        help_text=_("The smallest award with which the project can still be carried out."),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    # Version check for the consortium/header fields edited together.
    consortium_version = models.PositiveIntegerField(
        _("consortium version"), default=1, editable=False
    )
    budget_version = models.PositiveIntegerField(_("budget version"), default=1, editable=False)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True, editable=False)
    eligibility = models.CharField(
        _("eligibility"),
        max_length=20,
        choices=Eligibility.choices,
        default=Eligibility.PENDING,
        editable=False,
    )
    eligibility_reason = models.TextField(_("eligibility reason"), blank=True, editable=False)
    eligibility_decided_at = models.DateTimeField(
        _("eligibility decided at"), null=True, blank=True, editable=False
    )
    eligibility_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("eligibility decided by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = BidQuerySet.as_manager()

    class Meta:
        ordering = ["call", "acronym"]
        verbose_name = _("bid")
        verbose_name_plural = _("bids")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "lead_institution"], name="one_bid_per_lead_per_call"
            ),
            models.CheckConstraint(
                condition=Q(minimum_amount__lte=models.F("requested_amount")),
                name="bid_minimum_lte_requested",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.acronym} — {self.lead_institution}"

    @property
    def latest_version(self) -> "BidVersion | None":
        """The last submitted version: what the jury reads."""
        return self.versions.order_by("-number").first()


class BidSection(models.Model):
    """One free-text section of the bid form, saved (and version-checked) on its own."""

    class Key(models.TextChoices):
        SUMMARY = "summary", _("Project summary")
        RESEARCH = "research", _("Research excellence")
        TRAINING = "training", _("Training offer")
        ATTRACTIVENESS = "attractiveness", _("International attractiveness of talent")
        TRANSFER = "transfer", _("Transfer and partnerships with companies")
        GOVERNANCE = "governance", _("Governance")
        INDICATORS = "indicators", _("Key indicators")

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="sections", verbose_name=_("bid")
    )
    key = models.CharField(_("section"), max_length=20, choices=Key.choices)
    content = models.TextField(_("content"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["bid", "key"]
        verbose_name = _("bid section")
        verbose_name_plural = _("bid sections")
        constraints = [models.UniqueConstraint(fields=["bid", "key"], name="unique_bid_section")]

    def __str__(self) -> str:
        return f"{self.bid.acronym}: {self.get_key_display()}"


class BudgetLine(models.Model):
    """One cell of the budget table: a year × a category, requested and co-funded euros."""

    class Category(models.TextChoices):
        STAFF = "staff", _("Staff")
        EQUIPMENT = "equipment", _("Equipment and computing")
        OPERATING = "operating", _("Operating costs")
        SCHOLARSHIPS = "scholarships", _("Scholarships and mobility")
        OTHER = "other", _("Other")

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="budget_lines", verbose_name=_("bid")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(1)])
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    requested = models.PositiveBigIntegerField(_("requested (€)"), default=0)
    cofunding = models.PositiveBigIntegerField(_("co-funding (€)"), default=0)

    class Meta:
        ordering = ["bid", "year", "category"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["bid", "year", "category"], name="unique_budget_cell")
        ]

    def __str__(self) -> str:
        return f"{self.bid.acronym} Y{self.year} {self.category}"


def attachment_upload_to(instance: "Attachment", filename: str) -> str:
    # The stored name is random: the user's file name never reaches the file system.
    return f"attachments/{instance.bid.call_id}/{uuid.uuid4().hex}.pdf"


class Attachment(models.Model):
    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("bid")
    )
    required_attachment = models.ForeignKey(
        RequiredAttachment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
        verbose_name=_("document type"),
    )
    file = models.FileField(_("file"), upload_to=attachment_upload_to, max_length=200)
    original_name = models.CharField(_("original file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    pages = models.PositiveIntegerField(_("pages"))
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["bid", "required_attachment__order", "uploaded_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class BidVersion(models.Model):
    """An immutable snapshot of exactly what was submitted, with its receipt."""

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="versions", verbose_name=_("bid")
    )
    number = models.PositiveIntegerField(_("version number"))
    snapshot = models.JSONField(_("snapshot"))
    sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    # Built by a task after the commit (``applications.tasks.task_deliver_receipt``), or on
    # the first download if that has not run yet: empty until then.
    receipt_pdf = models.FileField(
        _("receipt (PDF)"), upload_to="receipts/", max_length=200, blank=True
    )
    # The submitter's language: the receipt and the e-mails are written in it, whenever and
    # wherever (task or download) they are built.
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    # When the confirmation e-mails were queued: set once, so a redelivered task sends none.
    receipt_mailed_at = models.DateTimeField(_("receipt e-mailed at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted by"),
    )

    class Meta:
        ordering = ["bid", "-number"]
        verbose_name = _("submitted version")
        verbose_name_plural = _("submitted versions")
        constraints = [
            models.UniqueConstraint(fields=["bid", "number"], name="unique_bid_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.bid.acronym} v{self.number}"


class DeadlineReminder(models.Model):
    """A reminder e-mailed to a bid's coordinators ``days_before`` the call's deadline.

    One row per bid and threshold (``applications.services.deadline_reminders``): the row is
    written in the transaction that queues the e-mails, so no reminder goes twice.
    """

    class Reason(models.TextChoices):
        NOT_SUBMITTED = "not_submitted", _("Never submitted")
        CHANGES = "changes", _("Changes not submitted")

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="deadline_reminders", verbose_name=_("bid")
    )
    days_before = models.PositiveSmallIntegerField(_("days before the deadline"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    recipients = models.PositiveSmallIntegerField(_("recipients"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["bid", "days_before"], name="one_deadline_reminder_per_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bid.acronym} −{self.days_before} d"


class SectionGuidance(models.Model):
    """What applicants are told about one section of a call's bid form, and its length limit.

    Configured per call in the Django admin. The criteria the section is judged on are the
    jury's (``review.models.Criterion.guided_sections``, declared on the review side because
    this app never depends on review); the limit is counted by
    ``applications.text_limits.count_text`` on the server and mirrored by the editor's
    live counter.
    """

    class LimitUnit(models.TextChoices):
        CHARS = text_limits.CHARS, _("characters")
        WORDS = text_limits.WORDS, _("words")

    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="section_guidance", verbose_name=_("call")
    )
    section = models.CharField(_("section"), max_length=20, choices=BidSection.Key.choices)
    help_text_en = models.TextField(_("help text (English)"), blank=True)
    help_text_fr = models.TextField(_("help text (French)"), blank=True)
    limit = models.PositiveIntegerField(
        _("length limit"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit. Counted on the server when the section is saved."),
    )
    limit_unit = models.CharField(
        _("limit counted in"), max_length=5, choices=LimitUnit.choices, default=LimitUnit.CHARS
    )

    class Meta:
        ordering = ["call", "section"]
        verbose_name = _("section guidance")
        verbose_name_plural = _("section guidance")
        constraints = [
            models.UniqueConstraint(fields=["call", "section"], name="unique_section_guidance")
        ]

    def __str__(self) -> str:
        return f"{self.call.slug}: {self.get_section_display()}"

    @property
    def help_text(self) -> str:
        return self.help_text_fr if (get_language() or "en").startswith("fr") else self.help_text_en

    def count(self, text: str) -> int:
        """``text``'s length in this guidance's unit (``text_limits.count_text``)."""
        return text_limits.count_text(text, self.limit_unit)

    def exceeded_by(self, text: str) -> int:
        """How far ``text`` is over the limit (0 when within it, or without a limit)."""
        if self.limit is None:
            return 0
        return max(0, self.count(text) - self.limit)


class PartnershipQuerySet(models.QuerySet["Partnership"]):
    def accepted(self) -> "PartnershipQuerySet":
        """Partnerships the partner institution consented to: its members see the bid."""
        return self.filter(status=Partnership.Status.ACCEPTED)

    def requested(self) -> "PartnershipQuerySet":
        """Requests awaiting the partner institution's answer."""
        return self.filter(status=Partnership.Status.REQUESTED)

    def open(self) -> "PartnershipQuerySet":
        """Requested or accepted: at most one per bid and institution (a constraint)."""
        return self.filter(status__in=Partnership.OPEN)


class Partnership(models.Model):
    """An institution of the portal as a partner of a bid, with its consent.

    The lead's coordinator requests it; the partner's coordinator accepts or declines it;
    the lead may withdraw it (requested or accepted) and the partner may leave. Only an
    accepted partnership lets the partner's members read the bid (``BidQuerySet.visible_to``,
    ``applications.rules.is_bid_partner_member``). Rows are never deleted: a refused or ended
    partnership stays as history, and a new request makes a new row.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn by the lead")
        LEFT = "left", _("Left by the partner")

    TRANSITIONS = transitions.table(
        {
            Status.REQUESTED: {Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN},
            Status.ACCEPTED: {Status.WITHDRAWN, Status.LEFT},
            Status.DECLINED: set(),
            Status.WITHDRAWN: set(),
            Status.LEFT: set(),
        }
    )
    OPEN = frozenset({Status.REQUESTED, Status.ACCEPTED})

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="partnerships", verbose_name=_("bid")
    )
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        related_name="partnerships",
        verbose_name=_("partner institution"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=Status.choices,
        default=Status.REQUESTED,
        editable=False,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    # Who accepted or declined (the partner's coordinator), or withdrew or left.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered or ended by"),
    )
    decided_at = models.DateTimeField(_("answered or ended at"), null=True, blank=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["bid", "institution__name", "-requested_at"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.UniqueConstraint(
                fields=["bid", "institution"],
                condition=Q(status__in=["requested", "accepted"]),
                name="one_open_partnership_per_institution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bid.acronym} ↔ {self.institution} ({self.get_status_display()})"


class ExternalPartner(models.Model):
    """A partner without an account on the portal (a company, a foreign university): listed
    on the bid by name, country and type, for the jury and the conflict-of-interest check."""

    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        UNIVERSITY = "university", _("University or school")
        RESEARCH = "research", _("Research organisation")
        PUBLIC_BODY = "public", _("Public body or local authority")
        OTHER = "other", _("Association or other")

    bid = models.ForeignKey(
        Bid, on_delete=models.CASCADE, related_name="external_partners", verbose_name=_("bid")
    )
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["bid", "name", "pk"]
        verbose_name = _("partner not on the portal")
        verbose_name_plural = _("partners not on the portal")

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"
