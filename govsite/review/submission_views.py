"""Admin views of submissions to the city portal (Art. 7, 15, 16): “报送到市政府门户网站” for a unit's
editors and “报送审核” for the approvers.

The views only read forms and render; every rule is in `submissions.py`. Forms are POSTed with the
CSRF token; a refusal is shown as its Chinese message and stores nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from govsite.review import submissions
from govsite.review.chain import ApprovalCommentForm, PortalSubmission, RejectionForm
from govsite.review.forms import PortalSubmissionForm

PER_PAGE = 30


def refusal_text(error: ValidationError) -> str:
    return "；".join(error.messages)


def portal_submissions(request: HttpRequest) -> HttpResponse:
    """Art. 7, 15: an editor sends a live item of their unit to a column of the city portal; the
    list shows what the unit sent and where each submission stands."""
    may_send = submissions.may_send(request.user)
    if request.method == "POST":
        if not may_send:
            raise PermissionDenied("只有部门网站或县（市、区）门户网站的录入员才能报送信息。")
        form = PortalSubmissionForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                submission = submissions.propose(
                    form.cleaned_data["item"],
                    form.cleaned_data["column"],
                    request.user,
                    note=form.cleaned_data["note"],
                )
            except submissions.SubmissionRefused as refusal:
                form.add_error(None, refusal)
            else:
                messages.success(
                    request,
                    f"已将“{submission.item.title}”报送到“{submission.column.title}”，"
                    f"等待{submission.sending_site.name}分管领导审核。",
                )
                return redirect("review_portal_submissions")
    else:
        form = PortalSubmissionForm(initial={"item": request.GET.get("item") or None}, user=request.user)
    sent = Paginator(submissions.sent_from_sites_of(request.user), PER_PAGE).get_page(request.GET.get("p"))
    for submission in sent:
        submission.step_label = submissions.step_label(submission)
        submission.listed = submission.status == PortalSubmission.Status.ACCEPTED and submissions.is_listed(
            submission
        )
    context = {
        "header_title": "报送到市政府门户网站",
        "form": form if may_send else None,
        "sent": sent,
    }
    return TemplateResponse(request, "review/admin/portal_submissions.html", context)


def submission_queue(request: HttpRequest) -> HttpResponse:
    """Art. 15-16: the submissions whose current step the user may take, with approve and reject."""
    queue = submissions.queue_for(request.user)
    for submission in queue:
        submission.step_label = submissions.step_label(submission)
    context = {
        "header_title": "报送审核",
        "queue": queue,
    }
    return TemplateResponse(request, "review/admin/portal_submission_queue.html", context)


@require_POST
def approve_submission(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(PortalSubmission, pk=pk)
    form = ApprovalCommentForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    try:
        submission = submissions.approve(submission, request.user, comment=comment)
    except submissions.SubmissionRefused as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        if submission.status == PortalSubmission.Status.ACCEPTED:
            messages.success(
                request, f"已采用“{submission.item.title}”，已在“{submission.column.title}”栏目中显示。"
            )
        else:
            messages.success(request, f"已同意报送“{submission.item.title}”，等待市政府门户网站审核。")
    return redirect("review_portal_submission_queue")


@require_POST
def reject_submission(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(PortalSubmission, pk=pk)
    form = RejectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(form.errors["comment"]))
        return redirect("review_portal_submission_queue")
    try:
        submission = submissions.reject(submission, request.user, form.cleaned_data["comment"])
    except submissions.SubmissionRefused as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        messages.success(request, f"已退回“{submission.item.title}”，并通知报送人。")
    return redirect("review_portal_submission_queue")
