"""Demo data for `make run`: fictional institutions, two IA-cluster calls, a jury at work.

Everything is created through the same services the pages use, so the demo shows real
versions, receipts, conflicts, assignments, reviews and a ranking run — nothing faked.

- "IA-cluster — demo call" is OPEN (closing in 5 days): drafts, submitted and withdrawn
  bids; the demo coordinator can finish and submit their draft, whose consortium has an
  accepted partner, a request awaiting the partner's answer and a partner not on the portal. Its call's public page has
  rules, three questions, a budget template (an XLSX generated at load time) and a contact.
- "IA-cluster — wave 1" is UNDER REVIEW: 12 submitted bids, eligibility screened, 12
  jurors (some with real conflicts), a saved assignment, reviews in every state, consensus
  reports, and a completed ranking run.
- "IA-cluster — wave 0" is PUBLISHED: every review and consensus in, a ranking run, a
  funding decision prepared by one administrator (with one deviation: an amount cut to the
  bid's minimum, with its reason) and approved by a second one, with a reserve list; its
  decision letters sent and one procedural appeal filed.
"""

import functools
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from applications.models import (
    Bid,
    BidSection,
    BudgetLine,
    Call,
    CallFAQ,
    ExternalPartner,
    Institution,
    Membership,
    SectionGuidance,
)
from applications.services import attachments as attachment_services
from applications.services import bids as bid_services
from applications.services import call_documents as call_document_services
from applications.services import calls as call_services
from applications.services import eligibility as eligibility_services
from applications.services import partnerships as partnership_services
from applications.services import submission as submission_services
from applications.validators import luhn_is_valid, uai_checksum_letter
from review.models import Assignment, Conflict, Criterion, DecisionLetter, JurorProfile
from review.services import assignments as assignment_services
from review.services import conflicts as conflict_services
from review.services import consensus as consensus_services
from review.services import decisions as decision_services
from review.services import jurors as juror_services
from review.services import letters as letter_services
from review.services import publication as publication_services
from review.services import ranking_runs as ranking_services
from review.services import redress as redress_services
from review.services import reviews as review_services

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the README publishes it (local demo) # nosec B105
OPEN_CALL_SLUG = "ia-cluster-demo"
REVIEW_CALL_SLUG = "ia-cluster-wave-1"
DECIDED_CALL_SLUG = "ia-cluster-wave-0"
ADMIN_EMAIL = "admin@demo.ia-cluster.fr"
# Four eyes: the decision prepared by one administrator is approved by another.
SECOND_ADMIN_EMAIL = "admin2@demo.ia-cluster.fr"

# (name, kind, city, e-mail domain, focus) — all fictional.
INSTITUTIONS = [
    (
        "Université Lumière Atlantique",
        "university",
        "Nantes",
        "univ-lumiere-atlantique.fr",
        "health",
    ),
    ("Université des Trois Vallées", "university", "Grenoble", "u-troisvallees.fr", "climate"),
    ("Université Garonne Sciences", "university", "Toulouse", "garonne-sciences.fr", "robotics"),
    ("Université Loire-Océan", "university", "Angers", "univ-loire-ocean.fr", "language"),
    ("Université Rhin-Vosges", "university", "Strasbourg", "u-rhinvosges.fr", "mathematics"),
    ("Université Mistral", "university", "Marseille", "univ-mistral.fr", "security"),
    ("Université Cap Albâtre", "university", "Rouen", "univ-capalbatre.fr", "agriculture"),
    (
        "Université Plateau Central",
        "university",
        "Clermont-Ferrand",
        "u-plateaucentral.fr",
        "health",
    ),
    ("Université Saint-Aubin Métropole", "university", "Lille", "univ-saintaubin.fr", "language"),
    ("École supérieure Orion d'ingénieurs", "ecole", "Paris", "orion-ingenieurs.fr", "robotics"),
    ("École Vauban des données", "ecole", "Lyon", "ecole-vauban-donnees.fr", "mathematics"),
    ("École normale des Cévennes", "ecole", "Montpellier", "ens-cevennes.fr", "climate"),
    ("Institut Hélios de recherche en IA", "research", "Saclay", "institut-helios.fr", "security"),
    ("Institut Boréal du numérique", "research", "Rennes", "institut-boreal.fr", "agriculture"),
    (
        "École Centrale des Pyrénées fictives",
        "ecole",
        "Pau",
        "centrale-pyrenees-fictives.fr",
        "health",
    ),
]

FOCUS_TEXT = {
    "health": "medical imaging, clinical decision support, health data and trustworthy AI for hospitals",
    "climate": "climate modelling, energy systems, environmental sensing and frugal machine learning",
    "robotics": "autonomous robots, embedded AI, perception, control and human-robot interaction",
    "language": "natural language processing, large language models, speech and multilingual corpora",
    "mathematics": "mathematics of deep learning, optimisation, statistics and learning theory",
    "security": "cybersecurity, adversarial robustness, privacy-preserving learning and cryptography",
    "agriculture": "precision agriculture, remote sensing, food systems and computer vision in the field",
}

CRITERIA = [
    ("excellence", "Research excellence", "Excellence scientifique", Decimal("0.30")),
    ("training", "Training offer", "Offre de formation", Decimal("0.20")),
    (
        "talent",
        "Attractiveness of international talent",
        "Attractivité des talents internationaux",
        Decimal("0.20"),
    ),
    ("transfer", "Transfer and economic impact", "Transfert et impact économique", Decimal("0.15")),
    (
        "governance",
        "Governance and credibility of the budget",
        "Gouvernance et crédibilité du budget",
        Decimal("0.15"),
    ),
]

# Guidance per section of the bid form: (section, help EN, help FR, criteria codes, limit, unit).
SECTION_GUIDANCE = [
    (
        "summary",
        "Summarise the cluster for an international jury: its ambition, its partners and what "
        "the State's funding changes. Jurors read this first.",
        "Résumez le pôle pour un jury international : son ambition, ses partenaires et ce que "
        "change le financement de l'État. Le jury lit ce texte en premier.",
        [],
        1500,
        "chars",
    ),
    (
        "research",
        "Research teams, recent results and the scientific programme of the cluster.",
        "Équipes de recherche, résultats récents et programme scientifique du pôle.",
        ["excellence"],
        1200,
        "words",
    ),
    (
        "training",
        "Degrees, students trained in AI each year, and how the offer grows.",
        "Diplômes, étudiants formés à l'IA chaque année et croissance de l'offre.",
        ["training"],
        800,
        "words",
    ),
    (
        "attractiveness",
        "Chairs, international recruitment and hosting of talent.",
        "Chaires, recrutements internationaux et accueil des talents.",
        ["talent"],
        800,
        "words",
    ),
    (
        "transfer",
        "Partnerships with companies, start-ups and the spread of AI use.",
        "Partenariats avec les entreprises, start-up et diffusion des usages de l'IA.",
        ["transfer"],
        800,
        "words",
    ),
    (
        "governance",
        "Who decides, how the partners share the budget, and the co-funding secured.",
        "Qui décide, comment les partenaires se partagent le budget, et les cofinancements acquis.",
        ["governance"],
        6000,
        "chars",
    ),
]

# (name, country, e-mail, focus topics, past/current affiliation with a demo institution)
JURORS = [
    ("Anna Lindqvist", "Sweden", "juror1@jury.example.org", ["language", "mathematics"], None),
    ("Pieter van Dam", "Netherlands", "juror2@jury.example.org", ["robotics", "security"], None),
    (
        "Maria Costa",
        "Portugal",
        "juror3@jury.example.org",
        ["health", "language"],
        ("Université Lumière Atlantique", 2019, 2024),
    ),
    ("Jonas Weber", "Germany", "juror4@jury.example.org", ["climate", "agriculture"], None),
    ("Aiko Tanaka", "Japan", "juror5@jury.example.org", ["robotics", "mathematics"], None),
    (
        "Sofia Rossi",
        "Italy",
        "juror6@jury.example.org",
        ["health", "security"],
        ("Université Mistral", 2021, None),
    ),
    ("Liam O'Connor", "Ireland", "juror7@jury.example.org", ["language", "security"], None),
    (
        "Elena Petrova",
        "Bulgaria",
        "juror8@jury.example.org",
        ["mathematics", "climate"],
        ("Université Rhin-Vosges", 2010, 2015),
    ),
    ("David Cohen", "Canada", "juror9@jury.example.org", ["agriculture", "health"], None),
    ("Nadia Benali", "Morocco", "juror10@u-troisvallees.fr", ["climate", "robotics"], None),
    ("Lars Nielsen", "Denmark", "juror11@jury.example.org", ["security", "mathematics"], None),
    ("Grace Mensah", "Ghana", "juror12@jury.example.org", ["health", "agriculture"], None),
]


def is_loaded() -> bool:
    return Call.objects.filter(slug=OPEN_CALL_SLUG).exists()


def _uai(n: int) -> str:
    digits = f"{330000 + n * 7:07d}"
    return digits + uai_checksum_letter(digits)


def _siren(n: int) -> str:
    base = f"{19000000 + n * 37:08d}"
    return next(base + str(d) for d in range(10) if luhn_is_valid(base + str(d)))


@functools.cache
def _demo_password_hash() -> str:
    # Hashing is slow on purpose; one hash serves every demo account.
    return make_password(DEMO_PASSWORD)


def _user(email: str, *, staff: bool = False):
    from allauth.account.models import EmailAddress

    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(
        username=email, defaults={"email": email, "is_staff": staff, "is_superuser": staff}
    )
    user.password = _demo_password_hash()
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _pdf(title: str, pages: int = 3) -> SimpleUploadedFile:
    from io import BytesIO

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for page in range(1, pages + 1):
        pdf.drawString(72, 770, f"{title} — page {page}")
        pdf.showPage()
    pdf.save()
    return SimpleUploadedFile(f"{title}.pdf", buffer.getvalue(), content_type="application/pdf")


def _submit(*, bid: Bid, by) -> None:
    """Submit as a coordinator would, and build the receipt now: the demo is loaded in one
    transaction, so the receipt task queued on its commit would leave the receipts to a worker."""
    version = submission_services.submit_bid(bid=bid, by=by)
    submission_services.ensure_receipt(version=version)


def _make_call(*, slug: str, title_en: str, title_fr: str, closes_in: timedelta, admin) -> Call:
    now = timezone.now()
    call = Call.objects.create(
        slug=slug,
        title_en=title_en,
        title_fr=title_fr,
        description_en=(
            "France 2030: a 500 M€ envelope to make 5 to 10 French universities and schools "
            "emerge as world-class AI clusters (training, research excellence, attracting "
            "international talent, spreading AI use). Bids are selected by an international jury."
        ),
        description_fr=(
            "France 2030 : une enveloppe de 500 M€ pour faire émerger 5 à 10 pôles d'excellence "
            "en IA de rang mondial (formation, excellence scientifique, attractivité des talents "
            "internationaux, diffusion de l'IA). Un jury international sélectionne les projets."
        ),
        opens_at=now - timedelta(days=60),
        closes_at=now + closes_in,
        envelope=500_000_000,
        min_winners=5,
        max_winners=10,
        min_amount=10_000_000,
        max_amount=100_000_000,
        review_deadline=now + timedelta(days=21),
        overall_threshold=Decimal("3.0"),
    )
    call.required_attachments.create(
        code="project",
        name_en="Scientific project",
        name_fr="Projet scientifique",
        max_pages=40,
        order=1,
    )
    call.required_attachments.create(
        code="support", name_en="Letters of support", name_fr="Lettres de soutien", order=2
    )
    for order, (code, name_en, name_fr, weight) in enumerate(CRITERIA):
        Criterion.objects.create(
            call=call,
            code=code,
            name_en=name_en,
            name_fr=name_fr,
            guidance_en=f"Assess the {name_en.lower()} of the cluster against the call's aims.",
            guidance_fr=f"Évaluer : {name_fr.lower()}, au regard des objectifs de l'appel.",
            weight=weight,
            threshold=Decimal("2.5"),
            order=order,
        )
    for section, help_en, help_fr, codes, limit, unit in SECTION_GUIDANCE:
        guidance = SectionGuidance.objects.create(
            call=call,
            section=section,
            help_text_en=help_en,
            help_text_fr=help_fr,
            limit=limit,
            limit_unit=unit,
        )
        guidance.criteria.set(Criterion.objects.filter(call=call, code__in=codes))
    call_services.transition_call(call=call, to_status=Call.Status.OPEN, by=admin)
    return call


CALL_RULES_EN = """Bids are led by one French university, school or research organisation, with
partners from higher education, research and companies. One bid per lead institution.

The bid states the amount requested and the minimum amount with which the project can still be
carried out, and the co-funding brought by the partners. State aid covers part of the budget.

Bids are submitted on this portal before the deadline, to the second. A bid may be submitted
again until then: the jury reads the last version submitted."""

CALL_RULES_FR = """Les projets sont portés par une université, une école ou un organisme de recherche
français, avec des partenaires de l'enseignement supérieur, de la recherche et des entreprises.
Un seul projet par établissement porteur.

Le projet indique le montant demandé, le montant minimal avec lequel il reste réalisable et le
cofinancement apporté par les partenaires. L'aide de l'État couvre une partie du budget.

Les projets sont déposés sur ce portail avant la date limite, à la seconde près. Un projet peut
être déposé à nouveau jusque-là : le jury lit la dernière version déposée."""

CALL_FAQ = [
    (
        "Can a bid be changed after it is submitted?",
        "Un projet déposé peut-il être modifié ?",
        "Yes, until the deadline: submit it again and the jury reads the last version submitted. "
        "Every version keeps its receipt.",
        "Oui, jusqu'à la date limite : déposez-le à nouveau, le jury lit la dernière version "
        "déposée. Chaque version garde son accusé de réception.",
    ),
    (
        "Can an institution be a partner of several bids?",
        "Un établissement peut-il être partenaire de plusieurs projets ?",
        "Yes. It leads at most one bid per call, and may be a partner of others.",
        "Oui. Il porte au plus un projet par appel et peut être partenaire d'autres projets.",
    ),
    (
        "Who evaluates the bids?",
        "Qui évalue les projets ?",
        "An international jury: at least three jurors per bid, without conflict of interest, "
        "score each criterion of the grid published on this page.",
        "Un jury international : au moins trois membres par projet, sans conflit d'intérêts, "
        "notent chaque critère de la grille publiée sur cette page.",
    ),
]


def _budget_template(call: Call) -> SimpleUploadedFile:
    """The budget table of the call as a spreadsheet applicants fill in (generated here)."""
    from io import BytesIO

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has its sheet
    sheet.title = "Budget"
    sheet.append(["Year / Année", "Category / Catégorie", "Requested (€)", "Co-funding (€)"])
    for year in range(1, call.budget_years + 1):
        for _code, label in BudgetLine.Category.choices:
            sheet.append([year, str(label), 0, 0])
    buffer = BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("budget-template.xlsx", buffer.getvalue())


def _seed_call_page(call: Call, *, admin) -> None:
    """The open call's public page: rules, questions, a template to download, a contact."""
    call.rules_en, call.rules_fr = CALL_RULES_EN, CALL_RULES_FR
    call.contact_email = "ia-cluster@demo.ia-cluster.fr"
    call.save(update_fields=["rules_en", "rules_fr", "contact_email"])
    for order, (question_en, question_fr, answer_en, answer_fr) in enumerate(CALL_FAQ, start=1):
        CallFAQ.objects.create(
            call=call,
            question_en=question_en,
            question_fr=question_fr,
            answer_en=answer_en,
            answer_fr=answer_fr,
            order=order,
        )
    call_document_services.add_call_document(
        call=call,
        title_en="Budget template",
        title_fr="Modèle de budget",
        upload=_budget_template(call),
        by=admin,
    )


def _write_bid(
    *, call: Call, institution: Institution, focus: str, partners, by, rng, complete=True
) -> Bid:
    acronym = "".join(w[0] for w in institution.name.split() if w[0].isupper())[:6] + "-IA"
    bid = bid_services.start_bid(
        call=call,
        lead_institution=institution,
        acronym=acronym,
        title=f"{institution.name}: an AI cluster for {focus}",
        by=by,
    )
    requested = rng.randrange(20, 81) * 1_000_000
    bid = bid_services.update_consortium(
        bid=bid,
        version=bid.consortium_version,
        acronym=acronym,
        title=bid.title,
        requested_amount=requested,
        minimum_amount=requested * rng.choice([50, 60, 70, 80]) // 100,
        by=by,
    )
    for partner in partners:  # asked by the lead, accepted by the partner's coordinator
        partnership = partnership_services.request_partnership(bid=bid, institution=partner, by=by)
        partnership_services.accept_partnership(
            partnership=partnership,
            by=partner.memberships.get(role=Membership.Role.COORDINATOR).user,
        )
    topic = FOCUS_TEXT[focus]
    for key, label in BidSection.Key.choices:
        if not complete and key in {"governance", "indicators"}:
            continue
        section = bid.sections.filter(key=key).first()
        bid_services.save_section(
            bid=bid,
            key=key,
            content=(
                f"{label}. {institution.name} and its partners build a cluster on {topic}. "
                f"Target: a place in the world Top 50 in AI within five years."
            ),
            version=section.version if section else 0,
            by=by,
        )
    years = call.budget_years
    per_year = requested // years
    cells: dict[tuple[int, str], tuple[int, int]] = {}
    for year in range(1, years + 1):
        amount = per_year if year < years else requested - per_year * (years - 1)
        staff = amount * 6 // 10
        cells[(year, BudgetLine.Category.STAFF)] = (staff, staff // 2)
        cells[(year, BudgetLine.Category.EQUIPMENT)] = (amount - staff, (amount - staff) // 2)
    bid = bid_services.save_budget(bid=bid, version=bid.budget_version, cells=cells, by=by)
    for required in call.required_attachments.all():
        if not complete and required.code == "support":
            continue
        attachment_services.upload_attachment(
            bid=bid, required_attachment=required, upload=_pdf(f"{acronym} {required.code}"), by=by
        )
    return bid


def _score(rng, quality: float, leniency: float) -> Decimal:
    value = quality + leniency + rng.gauss(0, 0.35)
    return Decimal(str(min(5.0, max(0.0, round(value * 2) / 2))))


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    """Run the services as if it were ``at``: every ``timezone.now()`` (the services' clock,
    ``auto_now`` fields included) returns ``at`` plus one millisecond per call, so the demo's
    past is dated in order (bids submitted before their call closed, reviews after the
    submissions, the decision after the reviews). Demo data only."""
    ticks = itertools.count()
    with mock.patch.object(
        timezone, "now", side_effect=lambda: at + timedelta(milliseconds=next(ticks))
    ):
        yield


def load() -> str:
    # The services e-mail members and jurors: the demo's fictional addresses get none. The
    # demo's administrator and jurors have no TOTP device, as on the local demo portal.
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend", PORTAL_DEMO_RELAX_MFA=True
    ):
        return _load()


@transaction.atomic
def _load() -> str:
    rng = random.Random(2026)  # noqa: S311 - reproducible demo data # nosec B311
    admin = _user(ADMIN_EMAIL, staff=True)

    institutions: list[tuple[Institution, str]] = []
    for n, (name, kind, city, domain, focus) in enumerate(INSTITUTIONS):
        is_research = kind == "research"
        institution = Institution.objects.create(
            name=name,
            kind=kind,
            city=city,
            identifier_type="siren" if is_research else "uai",
            identifier=_siren(n) if is_research else _uai(n),
            email_domain=domain,
        )
        for role in Membership.Role.values:
            Membership.objects.create(
                user=_user(f"{role}@{domain}"), institution=institution, role=role
            )
        institutions.append((institution, focus))

    def coordinator(institution: Institution):
        return institution.memberships.get(role=Membership.Role.COORDINATOR).user

    # Wave 1, under review: 12 bids written and submitted 30 days ago while the call was
    # open (it closed 20 days ago), then screened and reviewed now.
    now = timezone.now()
    with _clock(now - timedelta(days=30)):
        review_call = _make_call(
            slug=REVIEW_CALL_SLUG,
            title_en="IA-cluster — wave 1 (under review)",
            title_fr="IA-cluster — vague 1 (en évaluation)",
            closes_in=timedelta(days=1),
            admin=admin,
        )
        review_bids: list[tuple[Bid, float]] = []
        for index, (institution, focus) in enumerate(institutions[:12]):
            partner = institutions[(index + 5) % len(institutions)][0]
            bid = _write_bid(
                call=review_call,
                institution=institution,
                focus=focus,
                partners=[partner],
                by=coordinator(institution),
                rng=rng,
            )
            _submit(bid=bid, by=coordinator(institution))
            review_bids.append((bid, rng.uniform(2.4, 4.6)))
    Call.objects.filter(pk=review_call.pk).update(
        opens_at=now - timedelta(days=90),
        closes_at=now - timedelta(days=20),
        review_deadline=now + timedelta(days=21),
    )
    review_call.refresh_from_db()
    call_services.transition_call(call=review_call, to_status=Call.Status.CLOSED, by=admin)
    for index, (bid, _quality) in enumerate(review_bids):
        eligible = index != 11
        eligibility_services.screen_bid(
            bid=bid,
            eligible=eligible,
            reason="" if eligible else "The consortium has no partner from higher education.",
            by=admin,
        )
    call_services.transition_call(call=review_call, to_status=Call.Status.UNDER_REVIEW, by=admin)

    # The open call: drafts, submitted and withdrawn bids.
    open_call = _make_call(
        slug=OPEN_CALL_SLUG,
        title_en="IA-cluster — demo call",
        title_fr="IA-cluster — appel de démonstration",
        closes_in=timedelta(days=5),
        admin=admin,
    )
    _seed_call_page(open_call, admin=admin)
    for index, (institution, focus) in enumerate(institutions):
        by = coordinator(institution)
        partners = [institutions[(index + 3) % len(institutions)][0]]
        if index in {0, 3, 7}:  # drafts, one of them the demo coordinator's
            draft = _write_bid(
                call=open_call,
                institution=institution,
                focus=focus,
                partners=partners,
                by=by,
                rng=rng,
                complete=False,
            )
            if index == 0:  # a request awaiting its answer, and a partner without account
                partnership_services.request_partnership(
                    bid=draft, institution=institutions[1][0], by=by
                )
                partnership_services.add_external_partner(
                    bid=draft,
                    name="Nordlicht Robotics GmbH",
                    country="Germany",
                    kind=ExternalPartner.Kind.COMPANY,
                    by=by,
                )
        elif index in {1, 2, 4, 5, 6, 8, 9}:
            bid = _write_bid(
                call=open_call,
                institution=institution,
                focus=focus,
                partners=partners,
                by=by,
                rng=rng,
            )
            _submit(bid=bid, by=by)
        elif index == 10:
            bid = _write_bid(
                call=open_call,
                institution=institution,
                focus=focus,
                partners=partners,
                by=by,
                rng=rng,
            )
            _submit(bid=bid, by=by)
            submission_services.withdraw_bid(
                bid=bid, reason="The consortium will apply to the next wave.", by=by
            )

    # The jury of wave 1.
    by_name = {institution.name: institution for institution, _focus in institutions}
    jurors: list[tuple[JurorProfile, float]] = []
    for name, country, email, topics, affiliation in JURORS:
        affiliations = [juror_services.AffiliationData(organisation_name="Independent expert")]
        if affiliation:
            org, start, end = affiliation
            year = timezone.now().year
            affiliations = [
                juror_services.AffiliationData(
                    organisation_name=org,
                    institution=by_name[org],
                    start_year=start,
                    end_year=None if end is None else min(end, year - 1),
                )
            ]
        juror_services.invite_juror(
            email=email,
            display_name=name,
            country=country,
            expertise="; ".join(FOCUS_TEXT[t] for t in topics),
            keywords=", ".join(topics),
            languages="en, fr",
            calls=[review_call],
            affiliations=affiliations,
            by=admin,
        )
        user = get_user_model().objects.get(username=email)
        user.password = _demo_password_hash()
        user.save(update_fields=["password"])
        jurors.append((user.juror_profile, rng.gauss(0, 0.5)))
    detection = conflict_services.detect_conflicts(call=review_call)
    for conflict in Conflict.objects.filter(
        bid__call=review_call, status=Conflict.Status.SUGGESTED
    ):
        if conflict.kind == Conflict.Kind.AFFILIATION and "2010" not in conflict.reason:
            conflict_services.confirm_conflict(conflict=conflict, by=admin)

    proposal = assignment_services.request_assignment_proposal(
        call=review_call, jurors_per_bid=3, min_load=2, max_load=4, by=admin
    )
    proposal.refresh_from_db()
    assignment_services.compute_assignment_proposal(proposal=proposal)
    proposal.refresh_from_db()
    assignment_services.save_assignment_proposal(proposal=proposal, by=admin)

    # Reviews in every state: most submitted, some drafts, some not started or undeclared.
    quality = {bid.pk: q for bid, q in review_bids}
    leniency = {juror.pk: lenient for juror, lenient in jurors}
    criteria = list(review_call.criteria.all())
    assignments = list(
        Assignment.objects.filter(bid__call=review_call).select_related("juror__user", "bid")
    )
    for position, assignment in enumerate(assignments):
        state = position % 10
        juror, bid = assignment.juror, assignment.bid
        if state == 9:
            continue  # conflict still to declare
        conflict_services.declare_conflict(juror=juror, bid=bid, has_conflict=False)
        if state == 8:
            continue  # to score
        scores = {
            criterion.pk: review_services.ScoreInput(
                value=_score(rng, quality[bid.pk], leniency[juror.pk]),
                comment=f"{criterion.name_en}: convincing plan on {bid.title.split(' for ')[-1]}.",
            )
            for criterion in criteria
        }
        if state == 7:
            scores = dict(list(scores.items())[:2])
            review_services.save_review_draft(
                assignment=assignment, by=juror.user, scores=scores, expected_version=0
            )
            continue
        review_services.submit_review(
            assignment=assignment,
            by=juror.user,
            scores=scores,
            overall_comment="A credible cluster with a clear international ambition.",
            confidence=rng.choice([2, 3]),
            expected_version=0,
        )

    # Rapporteurs, and consensus reports where all individual reviews are in.
    consensus_count = 0
    for bid, _quality in review_bids:
        bid_assignments = [a for a in assignments if a.bid_id == bid.pk]
        if not bid_assignments:
            continue
        rapporteur = assignment_services.set_rapporteur(assignment=bid_assignments[0], by=admin)
        try:
            consensus_services.check_consensus_can_start(bid=bid)
        except (ValidationError, PermissionDenied):
            continue
        report = consensus_services.save_consensus(
            bid=bid,
            rapporteur=rapporteur,
            by=rapporteur.juror.user,
            scores={
                criterion.pk: review_services.ScoreInput(
                    value=_score(rng, quality[bid.pk], 0.0),
                    comment=f"The jury agrees: {criterion.name_en.lower()} is well argued.",
                )
                for criterion in criteria
            },
            summary="The jury recommends this cluster; its training offer should be sharpened.",
            expected_version=0,
            submit=True,
        )
        if consensus_count == 0:
            consensus_services.approve_consensus(report=report, by=admin)
        consensus_count += 1

    # Two completed ranking runs to compare: the optimal portfolio on calibrated scores with
    # a bootstrap, and the classic merit order on raw means.
    runs = [
        ranking_services.create_and_run_ranking(
            call=review_call,
            by=admin,
            settings=ranking_services.RunSettings(
                rule="optimal", calibration="additive", bootstrap_samples=200, bootstrap_seed=2026
            ),
        ),
        ranking_services.create_and_run_ranking(
            call=review_call,
            by=admin,
            settings=ranking_services.RunSettings(rule="merit_order", calibration="none"),
        ),
    ]

    decision = _decided_wave(
        institutions=[institution for institution, _focus in institutions],
        focus={institution.pk: focus for institution, focus in institutions},
        coordinator=coordinator,
        jurors=[juror for juror, _lenient in jurors],
        admin=admin,
        rng=rng,
    )

    return (
        f"decision v{decision.number} on wave 0 ({decision.get_status_display()}), "
        f"{len(runs)} ranking runs ({', '.join(run.status for run in runs)}), "
        f"{consensus_count} consensus reports, "
        f"{len(institutions)} institutions, 3 calls, {Bid.objects.count()} bids, "
        f"{len(jurors)} jurors, {len(assignments)} assignments, "
        f"{detection}"
    )


def _decided_wave(*, institutions, focus, coordinator, jurors, admin, rng):
    """Wave 0, decided and published: 10 bids, all reviewed, every consensus approved, a run,
    an approved decision with one deviation and a reserve list (a pilot wave: a smaller
    envelope, 3 to 6 winners), its letters sent and one appeal."""
    now = timezone.now()
    # Written and submitted 125 days ago, while the call was open (it closed 120 days ago);
    # reviewed 100 days ago, before the review deadline (30 days ago); ranked, decided and
    # published 25 days ago.
    with _clock(now - timedelta(days=125)):
        call = _make_call(
            slug=DECIDED_CALL_SLUG,
            title_en="IA-cluster — wave 0 (results published)",
            title_fr="IA-cluster — vague 0 (résultats publiés)",
            closes_in=timedelta(days=1),
            admin=admin,
        )
        bids = []
        for index, institution in enumerate(institutions[2:12]):
            partner = institutions[(index + 7) % len(institutions)]
            by = coordinator(institution)
            bid = _write_bid(
                call=call,
                institution=institution,
                focus=focus[institution.pk],
                partners=[partner],
                by=by,
                rng=rng,
            )
            _submit(bid=bid, by=by)
            bids.append((bid, rng.uniform(2.6, 4.6)))
    Call.objects.filter(pk=call.pk).update(
        opens_at=now - timedelta(days=200),
        closes_at=now - timedelta(days=120),
        review_deadline=now - timedelta(days=30),
        envelope=240_000_000,
        min_winners=3,
        max_winners=6,
    )
    call.refresh_from_db()
    with _clock(now - timedelta(days=100)):
        call_services.transition_call(call=call, to_status=Call.Status.CLOSED, by=admin)
        for bid, _quality in bids:
            eligibility_services.screen_bid(bid=bid, eligible=True, reason="", by=admin)
        call_services.transition_call(call=call, to_status=Call.Status.UNDER_REVIEW, by=admin)

        for juror in jurors:
            juror.calls.add(call)
        conflict_services.detect_conflicts(call=call)
        for conflict in Conflict.objects.filter(bid__call=call, status=Conflict.Status.SUGGESTED):
            conflict_services.confirm_conflict(conflict=conflict, by=admin)
        proposal = assignment_services.request_assignment_proposal(
            call=call, jurors_per_bid=3, min_load=1, max_load=4, by=admin
        )
        assignment_services.compute_assignment_proposal(proposal=proposal)
        proposal.refresh_from_db()
        assignment_services.save_assignment_proposal(proposal=proposal, by=admin)
        quality = dict(bids)
        criteria = list(call.criteria.all())
        for assignment in Assignment.objects.filter(bid__call=call).select_related(
            "juror__user", "bid"
        ):
            juror, bid = assignment.juror, assignment.bid
            conflict_services.declare_conflict(juror=juror, bid=bid, has_conflict=False)
            review_services.submit_review(
                assignment=assignment,
                by=juror.user,
                scores={
                    criterion.pk: review_services.ScoreInput(
                        value=_score(rng, quality[bid], rng.gauss(0, 0.3)),
                        comment=f"{criterion.name_en}: assessed against the call's aims.",
                    )
                    for criterion in criteria
                },
                overall_comment="A cluster with a clear international ambition.",
                confidence=3,
                expected_version=0,
            )
        for bid, bid_quality in bids:
            first = Assignment.objects.filter(bid=bid).order_by("pk").first()
            if first is None:
                continue
            rapporteur = assignment_services.set_rapporteur(assignment=first, by=admin)
            report = consensus_services.save_consensus(
                bid=bid,
                rapporteur=rapporteur,
                by=rapporteur.juror.user,
                scores={
                    criterion.pk: review_services.ScoreInput(
                        value=_score(rng, bid_quality, 0.0),
                        comment=f"The jury agrees on {criterion.name_en.lower()}.",
                    )
                    for criterion in criteria
                },
                summary="The jury's consensus: a credible cluster; the governance needs sharpening.",
                expected_version=0,
                submit=True,
            )
            consensus_services.approve_consensus(report=report, by=admin)
        call.refresh_from_db()

    with _clock(now - timedelta(days=25)):
        run = ranking_services.create_and_run_ranking(
            call=call,
            by=admin,
            settings=ranking_services.RunSettings(
                rule="optimal", calibration="additive", bootstrap_samples=200, bootstrap_seed=2025
            ),
        )
        second_admin = _user(SECOND_ADMIN_EMAIL, staff=True)
        decision = decision_services.prepare_decision(call=call, run=run, by=admin)
        lines = list(decision.lines.select_related("bid").order_by("rank"))
        cut = next(line for line in lines if line.outcome == "funded")
        changes = {
            line.bid_id: decision_services.LineInput(
                outcome=line.outcome,
                amount=line.amount_awarded,
                reserve_position=line.reserve_position,
                override_reason="Reviewed by fewer jurors after a confirmed conflict."
                if line.under_reviewed and line.outcome == "funded"
                else "",
            )
            for line in lines
        }
        changes[cut.bid_id] = decision_services.LineInput(
            outcome="funded",
            amount=int(cut.bid.minimum_amount),
            reason=(
                "The equipment line duplicates national computing infrastructure (GENCI): funded at "
                "the bid's minimum."
            ),
            override_reason=changes[cut.bid_id].override_reason,
        )
        decision_services.save_decision(decision=decision, changes=changes, by=admin)
        decision = decision_services.approve_decision(decision=decision, by=second_admin)

        # Published: every institution's decision letter written and sent, and one appeal.
        publication_services.publish_call(call=call, by=second_admin)
        for letter in DecisionLetter.objects.filter(call=call):
            letter_services.send_decision_letter(letter_id=letter.pk)
        not_funded = next(
            (line.bid for line in lines if line.outcome == "not_funded"), lines[-1].bid
        )
        redress_services.file_redress(
            bid=not_funded,
            text=(
                "We contest the procedure: one of the three jurors assigned to our bid declared a "
                "conflict of interest late, and our bid was assessed by a replacement who had less "
                "time than the others."
            ),
            by=coordinator(not_funded.lead_institution),
        )
    return decision
