"""Django admin of the jury.

Criteria are configured here per call (list filtered by call: the Call admin lives in the
applications app, which never imports review); a call's grid freezes once its first review
exists. Conflicts are confirmed or unpinned through the same services as the jury pages;
dismissing and pinning need a reason and are done on the jury's conflicts page. Reviews, proposals and ranking runs are read-only here: they
change only through their services.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from applications.models import SectionGuidance
from review import models
from review.services.conflicts import confirm_conflict, set_conflict_pinned


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Criterion)
class CriterionAdmin(admin.ModelAdmin):
    """Once reviewing has started on a call, its grid fields are refused by
    ``Criterion.clean`` (the form shows why) and its criteria cannot be deleted."""

    list_display = ["code", "name_en", "call", "order", "weight", "threshold", "scale_max"]
    list_filter = ["call"]
    list_select_related = ["call"]
    search_fields = ["code", "name_en", "name_fr"]
    ordering = ["call", "order", "code"]
    # Edited from the section guidance's page, where the call is known.
    exclude = ["guided_sections"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # The bulk delete action asks this for each selected criterion, too.
        if obj is not None and models.Criterion.grid_frozen(obj.call_id):
            return False
        return super().has_delete_permission(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "GET" and obj is not None:
            try:
                models.Criterion.check_grid_editable(obj.call_id)
            except ValidationError as error:
                messages.warning(request, " ".join(error.messages))
        return super().change_view(request, object_id, form_url, extra_context)


class AffiliationInline(admin.TabularInline):
    model = models.Affiliation
    extra = 1
    fields = ["institution", "organisation_name", "start_year", "end_year"]


@admin.register(models.JurorProfile)
class JurorProfileAdmin(admin.ModelAdmin):
    list_display = ["display_name", "user", "country", "languages"]
    list_filter = ["calls", "country", "listed_publicly"]
    list_select_related = ["user"]
    search_fields = ["display_name", "user__email", "keywords", "expertise"]
    filter_horizontal = ["calls"]
    raw_id_fields = ["user"]
    inlines = [AffiliationInline]


def _apply(request: HttpRequest, queryset: QuerySet, action, **kwargs) -> None:
    done = 0
    for conflict in queryset:
        try:
            action(conflict=conflict, by=request.user, **kwargs)
        except ValidationError as error:
            messages.error(request, f"{conflict}: {' '.join(error.messages)}")
        else:
            done += 1
    messages.success(request, _("%(count)s conflicts updated.") % {"count": done})


@admin.action(description=_("Confirm the selected conflicts (removes the jurors' assignments)"))
def confirm_conflicts(modeladmin, request, queryset) -> None:
    _apply(request, queryset, confirm_conflict)


@admin.action(description=_("Unpin the decisions"))
def unpin_conflicts(modeladmin, request, queryset) -> None:
    _apply(request, queryset, set_conflict_pinned, pinned=False)


@admin.register(models.Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = [
        "bid",
        "juror",
        "source",
        "kind",
        "status",
        "pinned",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["status", "source", "kind", "pinned", "bid__call"]
    list_select_related = ["bid__lead_institution", "juror", "decided_by"]
    search_fields = ["juror__display_name", "bid__acronym", "reason"]
    raw_id_fields = ["juror", "bid"]
    # Dismissing and pinning need a reason each: they are done on the jury's conflicts page
    # (``review:conflict_list``), one conflict at a time, never in bulk here.
    readonly_fields = [
        "status",
        "pinned",
        "decision_reason",
        "pin_reason",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    actions = [confirm_conflicts, unpin_conflicts]

    def save_model(self, request, obj, form, change) -> None:
        # Conflicts added by hand here are the administrator's, and start as suggestions.
        if not change:
            obj.source = obj.source or models.Conflict.Source.ADMINISTRATOR
        super().save_model(request, obj, form, change)


@admin.register(models.ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["bid", "juror", "has_conflict", "kind", "declared_at"]
    list_filter = ["has_conflict", "bid__call"]
    list_select_related = ["bid__lead_institution", "juror"]


@admin.register(models.InstitutionConflictDeclaration)
class InstitutionConflictDeclarationAdmin(ReadOnlyAdmin):
    """What institutions declared, matched or not: detection turns them into conflicts."""

    list_display = ["bid", "email", "declared_by", "declared_at"]
    list_filter = ["bid__call", "declared_at"]
    list_select_related = ["bid__lead_institution", "declared_by"]
    search_fields = ["email", "bid__acronym", "reason"]


@admin.register(models.Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    """Listing only: assign through the jury's assignment page, which refuses conflicts."""

    list_display = ["bid", "juror", "is_rapporteur", "similarity", "assigned_by", "created_at"]
    list_filter = ["is_rapporteur", "bid__call"]
    list_select_related = ["bid__lead_institution", "juror", "assigned_by"]
    search_fields = ["juror__display_name", "bid__acronym"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.AssignmentProposal)
class AssignmentProposalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "call", "jurors_per_bid", "min_load", "max_load", "status", "created_at"]
    list_filter = ["status", "call"]
    list_select_related = ["call"]
    exclude = ["result"]


class CriterionScoreInline(admin.TabularInline):
    model = models.CriterionScore
    extra = 0
    can_delete = False
    readonly_fields = ["criterion", "value", "comment"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "status", "confidence", "updated_at", "submitted_at"]
    list_filter = ["status", "assignment__bid__call"]
    list_select_related = ["assignment__juror", "assignment__bid__lead_institution"]
    inlines = [CriterionScoreInline]


@admin.register(models.ReviewReopening)
class ReviewReopeningAdmin(ReadOnlyAdmin):
    list_display = ["review", "reopened_by", "reopened_at"]
    list_select_related = ["review__assignment__juror", "review__assignment__bid", "reopened_by"]


@admin.register(models.ReminderEmail)
class ReminderEmailAdmin(ReadOnlyAdmin):
    list_display = ["juror", "call", "kind", "unfinished_reviews", "sent_at", "sent_by"]
    list_filter = ["kind", "call"]
    list_select_related = ["juror", "call", "sent_by"]


@admin.register(models.JuryMessage)
class JuryMessageAdmin(ReadOnlyAdmin):
    list_display = ["subject", "call", "audience", "recipients", "sent_by", "sent_at"]
    list_filter = ["audience", "call"]
    list_select_related = ["call", "sent_by"]


@admin.register(models.ConsensusReport)
class ConsensusReportAdmin(ReadOnlyAdmin):
    list_display = ["bid", "rapporteur", "status", "approved_by", "approved_at"]
    list_filter = ["status", "bid__call"]
    list_select_related = ["bid__lead_institution", "rapporteur", "approved_by"]


@admin.register(models.RankingRun)
class RankingRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "call", "status", "engine_version", "created_at", "finished_at"]
    list_filter = ["status", "call"]
    list_select_related = ["call"]
    # The input holds the lottery seed, secret until the draw; both texts are large.
    exclude = ["result", "result_json", "engine_input"]


class SectionGuidanceForm(forms.ModelForm):
    """The guidance of one section, with the criteria it is judged on (the reverse side of
    ``Criterion.guided_sections``), which must belong to the same call."""

    criteria = forms.ModelMultipleChoiceField(
        label=_("criteria the section is judged on"),
        queryset=models.Criterion.objects.select_related("call"),
        required=False,
        widget=FilteredSelectMultiple(_("criteria"), is_stacked=False),
    )

    class Meta:
        model = SectionGuidance
        fields = ["call", "section", "help_text_en", "help_text_fr", "limit", "limit_unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["criteria"].initial = list(self.instance.criteria.all())

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        call = cleaned.get("call")
        strays = [c for c in cleaned.get("criteria") or [] if call and c.call_id != call.pk]
        if strays:
            self.add_error(
                "criteria",
                _("Choose criteria of this call only (not: %(names)s).")
                % {"names": ", ".join(f"{c.name} ({c.call.slug})" for c in strays)},
            )
        return cleaned


@admin.register(SectionGuidance)
class SectionGuidanceAdmin(admin.ModelAdmin):
    """Per call and section: help text, criteria, length limit (``applications.text_limits``).

    Registered here rather than in ``applications.admin`` because it links the jury's
    criteria, and the applications app never imports review."""

    form = SectionGuidanceForm
    list_display = ["call", "section", "limit", "limit_unit"]
    list_filter = ["call"]
    list_select_related = ["call"]
    ordering = ["call", "section"]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        form.instance.criteria.set(form.cleaned_data["criteria"])
