"""The administrators' reminders page of a call: reminders sent and due, a reminder sent
now, and messages to the jury (``review.services.reminders``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from applications.models import Call
from applications.rules import permission_required
from portal.forms import add_errors
from portal.users import acting_user
from review.forms.reminders import JuryMessageForm, ReminderNowForm
from review.queries.reminders import reminders_page
from review.services.reminders import message_jurors, send_reminder_now


def _page(
    request: HttpRequest,
    call: Call,
    *,
    reminder_form: ReminderNowForm | None = None,
    message_form: JuryMessageForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "review/reminders/reminders.html",
        {
            "call": call,
            "page": reminders_page(call=call),
            "reminder_form": reminder_form or ReminderNowForm(call=call),
            "message_form": message_form or JuryMessageForm(),
        },
        status=status,
    )


@permission_required("jury.administer")
def reminder_list(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    return _page(request, call)


@require_POST
@permission_required("jury.administer")
def reminder_send(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    call.check_evaluation_open()
    form = ReminderNowForm(request.POST, call=call)
    if form.is_valid():
        try:
            count = send_reminder_now(
                call=call, juror=form.cleaned_data["juror"], by=acting_user(request)
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                ngettext(
                    "A reminder is being sent to %(count)s juror.",
                    "A reminder is being sent to %(count)s jurors.",
                    count,
                )
                % {"count": count},
            )
            return redirect("review:reminder_list", slug=call.slug)
    return _page(request, call, reminder_form=form, status=400)


@require_POST
@permission_required("jury.administer")
def jury_message(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    call.check_evaluation_open()
    form = JuryMessageForm(request.POST)
    if form.is_valid():
        try:
            message = message_jurors(call=call, by=acting_user(request), **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("Your message is being e-mailed to %(count)s jurors.")
                % {"count": message.recipients},
            )
            return redirect("review:reminder_list", slug=call.slug)
    return _page(request, call, message_form=form, status=400)
