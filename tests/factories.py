"""Factories with unsurprising defaults: an open call closing in 30 days, a draft bid."""

import io
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfWriter

from applications.models import (
    Bid,
    BidSection,
    BudgetLine,
    Call,
    ExternalPartner,
    Institution,
    Membership,
    Partnership,
    RequiredAttachment,
    SectionGuidance,
)
from applications.validators import uai_checksum_letter
from review.models import Assignment, Criterion, JurorProfile, Review

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def make_pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def valid_uai(n: int) -> str:
    digits = f"{(751000 + n) % 10_000_000:07d}"
    return digits + uai_checksum_letter(digits)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        # The post-generation hook writes another row, not the user: no second save.
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}@example.org")
    email = factory.LazyAttribute(lambda o: o.username)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy hook signature
        """Give the user a verified primary e-mail address so allauth lets them in."""
        if not create:
            return
        from allauth.account.models import EmailAddress

        EmailAddress.objects.get_or_create(
            user=obj, email=obj.email, defaults={"verified": True, "primary": True}
        )


class AdministratorFactory(UserFactory):
    is_staff = True
    is_superuser = True


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Université fictive {n}")
    kind = Institution.Kind.UNIVERSITY
    city = "Lyon"
    identifier_type = Institution.IdentifierType.UAI
    identifier = factory.Sequence(valid_uai)
    email_domain = factory.Sequence(lambda n: f"univ-fictive-{n}.fr")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    institution = factory.SubFactory(InstitutionFactory)
    role = Membership.Role.COORDINATOR


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call

    slug = factory.Sequence(lambda n: f"ia-cluster-{n}")
    title_en = "AI clusters"
    title_fr = "Clusters IA"
    description_en = "Make 5 to 10 AI clusters emerge."
    description_fr = "Faire émerger 5 à 10 clusters IA."
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    envelope = 500_000_000
    min_winners = 5
    max_winners = 10
    min_amount = 10_000_000
    max_amount = 100_000_000
    status = Call.Status.OPEN


class RequiredAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RequiredAttachment

    call = factory.SubFactory(CallFactory)
    code = factory.Sequence(lambda n: f"doc-{n}")
    name_en = "Scientific document"
    name_fr = "Document scientifique"
    max_pages = 30


class BidFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bid

    call = factory.SubFactory(CallFactory)
    lead_institution = factory.SubFactory(InstitutionFactory)
    acronym = factory.Sequence(lambda n: f"CLUSTER{n}")
    title = "An AI cluster"
    requested_amount = 50_000_000
    minimum_amount = 30_000_000


class PartnershipFactory(factory.django.DjangoModelFactory):
    """An accepted partnership (the partner consented), the case most tests need."""

    class Meta:
        model = Partnership

    bid = factory.SubFactory(BidFactory)
    institution = factory.SubFactory(InstitutionFactory)
    status = Partnership.Status.ACCEPTED


class ExternalPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalPartner

    bid = factory.SubFactory(BidFactory)
    name = factory.Sequence(lambda n: f"Robotics Company {n}")
    country = "Germany"
    kind = ExternalPartner.Kind.COMPANY


class BidSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BidSection

    bid = factory.SubFactory(BidFactory)
    key = BidSection.Key.SUMMARY
    content = "We build an AI cluster."


class BudgetLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BudgetLine

    bid = factory.SubFactory(BidFactory)
    year = 1
    category = BudgetLine.Category.STAFF
    requested = 0
    cofunding = 0


class JurorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = JurorProfile

    user = factory.SubFactory(UserFactory)
    display_name = factory.Sequence(lambda n: f"Juror {n}")
    country = "Germany"
    expertise = "Machine learning, natural language processing."
    languages = "en"


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    call = factory.SubFactory(CallFactory)
    code = factory.Sequence(lambda n: f"c{n}")
    name_en = factory.Sequence(lambda n: f"Criterion {n}")
    name_fr = factory.Sequence(lambda n: f"Critère {n}")
    weight = 1
    threshold = 3
    order = factory.Sequence(int)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    juror = factory.SubFactory(JurorProfileFactory)
    bid = factory.SubFactory(BidFactory)


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    assignment = factory.SubFactory(AssignmentFactory)


# Jury: affiliations, conflicts, declarations, TOTP.
def enable_totp(user):
    """Give the user a TOTP authenticator, as if they had activated an authenticator app."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    return TOTP.activate(user, generate_totp_secret()).instance


class AffiliationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "review.Affiliation"

    juror = factory.SubFactory(JurorProfileFactory)
    institution = factory.SubFactory(InstitutionFactory)
    organisation_name = factory.LazyAttribute(lambda o: o.institution.name if o.institution else "")
    start_year = 2015
    end_year = None


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "review.Conflict"

    juror = factory.SubFactory(JurorProfileFactory)
    bid = factory.SubFactory(BidFactory)
    source = "detected"
    kind = "affiliation"
    reason = "Current affiliation with the lead institution"
    status = "suggested"


class ConflictDeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "review.ConflictDeclaration"

    juror = factory.SubFactory(JurorProfileFactory)
    bid = factory.SubFactory(BidFactory)
    has_conflict = False


# Criterion scores (ranking runs).
class CriterionScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "review.CriterionScore"
        skip_postgeneration_save = True

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.SubFactory(
        CriterionFactory, call=factory.SelfAttribute("..review.assignment.bid.call")
    )
    value = 3

    @factory.post_generation
    def store_total(self, create, extracted, **kwargs):
        """Keep the review's stored total in step, as the review service does."""
        if create:
            from review.services.reviews import store_weighted_totals

            store_weighted_totals(reviews=Review.objects.filter(pk=self.review_id))


class SectionGuidanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SectionGuidance

    call = factory.SubFactory(CallFactory)
    section = BidSection.Key.RESEARCH
    help_text_en = "Describe the research programme."
    help_text_fr = "Décrivez le programme de recherche."
    limit = 20
    limit_unit = SectionGuidance.LimitUnit.CHARS
