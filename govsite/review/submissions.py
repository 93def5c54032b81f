"""Submissions (报送) of other units' items to the city portal (Art. 7, 15, 16).

Art. 7: departments and counties send items to the city portal's columns (市县传真, 部门要闻 ...).
Art. 15: 向南通市人民政府网站报送的信息需经本地、本部门分管领导审核同意.
Art. 16: on the city portal, items are approved by the unit the portal's routing names.

A submission moves   proposed ──► unit_approved ──► accepted
                         │              │
                         └──────────────┴──► rejected (with a required comment; the proposer is told)

- proposed: an editor (录入员) of a department or county site proposes one of that site's LIVE
  content items to a column of the city portal;
- unit_approved: the sending unit's leader in charge (分管领导: the sending site's `leader` role, or
  a `ReviewRoute` of that site) agreed (Art. 15);
- accepted: the city portal's approver for the target column agreed (Art. 16), and the item is shown
  in the column as a `ColumnShare` (the resource library, Art. 20: shown, never copied).

The portal's approver is found with the portal's own routing (`services.routed_group`) for the
target column's category, at the `leader` step — 领导信息、政府文件、政府会议 go to the city
government office's leader in charge, everything else to the big-data bureau's — or at the
`principal` step for a major item that concerns national, provincial or city leaders (the bureau's
principal leader). Without a route, the portal's own role group.

Separation of duties: the proposer approves no step of their own submission, and nobody approves
both steps of one submission. Every step is appended to the audit chain (Art. 14).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from govsite.content.models import ColumnPage, ColumnShare, ContentPage
from govsite.review import audit, services
from govsite.review.chain import PortalSubmission, ReviewRoute, Role, SiteRole
from govsite.sites.models import GovSite

Status = PortalSubmission.Status
ACTIONS = {
    "proposed": "portal_submission.proposed",
    "unit_approved": "portal_submission.unit_approved",
    "accepted": "portal_submission.accepted",
    "rejected": "portal_submission.rejected",
}


class SubmissionRefused(ValidationError):
    """A submission step the rules refuse; `code` names the rule, the message is for people."""


# --- who is who -------------------------------------------------------------------------------------


def is_city_portal(gov_site: GovSite | None) -> bool:
    return gov_site is not None and gov_site.kind == GovSite.Kind.CITY_PORTAL


def holds_role(user: AbstractBaseUser, gov_site: GovSite, role: str) -> bool:
    """Whether `user` is in the group that holds `role` on `gov_site` (`SiteRole`)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return SiteRole.objects.filter(site=gov_site, role=role, group__user=user).exists()


def sending_sites_of(user: AbstractBaseUser) -> QuerySet[GovSite]:
    """The department and county sites on which `user` holds the editor role (and may send from)."""
    if not (user.is_authenticated and user.is_active):
        return GovSite.objects.none()
    return (
        GovSite.objects.exclude(kind=GovSite.Kind.CITY_PORTAL)
        .filter(roles__role=Role.EDITOR, roles__group__user=user)
        .distinct()
    )


def pages_of_sending_sites(user: AbstractBaseUser) -> QuerySet[ContentPage]:
    """The content (live or not) of the sites `user` may send from; the choices of the admin form."""
    roots = [site.site.root_page for site in sending_sites_of(user).select_related("site__root_page")]
    if not roots:
        return ContentPage.objects.none()
    within = Q()
    for root in roots:
        within |= Q(path__startswith=root.path)
    return ContentPage.objects.filter(within)


def portal_role(item: ContentPage) -> str:
    """Art. 16: the portal step of a submission: the `principal` step for a major item concerning
    national, provincial or city leaders (the big-data bureau's principal leader), else `leader`."""
    return Role.PRINCIPAL if services.major_concerning_leaders(item) else Role.LEADER


def unit_approver_group(submission: PortalSubmission) -> Group | None:
    """Art. 15: the sending unit's leader in charge, as the sending site's own chain finds them."""
    item = submission.item.specific
    return services.routed_group(
        submission.sending_site,
        Role.LEADER,
        category=services.category_of(item),
        concerns_leaders=services.major_concerning_leaders(item),
    )


def portal_approver_group(submission: PortalSubmission) -> Group | None:
    """Art. 16: the city portal's approver for the target column (the portal's routing by the
    column's category, at the step `portal_role` names)."""
    item = submission.item.specific
    portal = services.site_of(submission.column)
    if portal is None:
        return None
    return services.routed_group(
        portal,
        portal_role(item),
        category=submission.column.category_id,
        concerns_leaders=services.major_concerning_leaders(item),
    )


def step_group(submission: PortalSubmission) -> Group | None:
    """The group that takes the submission's current step (None once it is closed)."""
    if submission.status == Status.PROPOSED:
        return unit_approver_group(submission)
    if submission.status == Status.UNIT_APPROVED:
        return portal_approver_group(submission)
    return None


def step_label(submission: PortalSubmission) -> str:
    if submission.status == Status.PROPOSED:
        return f"{submission.sending_site.name}分管领导审核"
    if submission.status == Status.UNIT_APPROVED:
        return "市政府门户网站审核"
    return submission.get_status_display()


def approval_refusal(submission: PortalSubmission, user: AbstractBaseUser) -> SubmissionRefused | None:
    """Why `user` may not approve or reject the submission's current step; None when they may."""
    if not submission.is_open:
        return SubmissionRefused(
            f"该报送已{submission.get_status_display()}，不能再审核。", code="submission_closed"
        )
    if user.pk == submission.proposed_by_id:
        return SubmissionRefused("不能审核自己报送的信息（审核分离）。", code="submission_self_approval")
    if submission.status == Status.UNIT_APPROVED and user.pk == submission.unit_approved_by_id:
        return SubmissionRefused(
            "已作为报送单位分管领导审核过该报送的人员，不能再作为市政府门户网站审核人员审核（审核分离）。",
            code="submission_same_approver",
        )
    group = step_group(submission)
    if group is None or not (user.is_active and user.groups.filter(pk=group.pk).exists()):
        if submission.status == Status.PROPOSED:
            message = f"您不是{submission.sending_site.name}的分管领导，不能审核该报送（第十五条）。"
        else:
            message = (
                f"您不是市政府门户网站“{submission.column.title}”栏目的审核人员，不能审核该报送（第十六条）。"
            )
        return SubmissionRefused(message, code="submission_not_approver")
    return None


def may_act(submission: PortalSubmission, user: AbstractBaseUser) -> bool:
    return approval_refusal(submission, user) is None


# --- proposing --------------------------------------------------------------------------------------


def proposal_problems(item: ContentPage, column: ColumnPage, user: AbstractBaseUser) -> dict[str, list]:
    """Every reason the proposal is refused, by form field, all at once (empty when it may go)."""
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    sending_site = services.site_of(item)
    if sending_site is None or is_city_portal(sending_site):
        refuse(
            "item",
            "只能报送部门网站或县（市、区）门户网站的信息；市政府门户网站自己的信息无需报送。",
            "submission_not_from_unit",
        )
    elif not holds_role(user, sending_site, Role.EDITOR):
        refuse(
            "item",
            f"只有{sending_site.name}的录入员才能报送该网站的信息（第十五条）。",
            "submission_not_editor",
        )
    if not item.live:
        refuse("item", f"“{item.title}”尚未发布或已撤销发布，只能报送已发布的信息。", "submission_not_live")
    portal = services.site_of(column)
    if not is_city_portal(portal):
        refuse("column", "只能报送到市政府门户网站的栏目。", "submission_not_portal_column")
    elif not column.live:
        refuse("column", f"栏目“{column.title}”未发布，不能接收报送。", "submission_column_not_live")
    if not errors:
        if ColumnShare.objects.filter(column=column, page=item).exists():
            refuse(
                "item",
                f"“{item.title}”已在“{column.title}”栏目中显示，无需报送。",
                "submission_already_listed",
            )
        elif open_submission(item, column) is not None:
            refuse(
                "item",
                f"“{item.title}”已报送到“{column.title}”栏目，正在审核中，请勿重复报送。",
                "submission_duplicate",
            )
    return errors


def open_submission(item: ContentPage, column: ColumnPage) -> PortalSubmission | None:
    return PortalSubmission.objects.filter(item=item, column=column, status__in=PortalSubmission.OPEN).first()


def propose(
    item: ContentPage, column: ColumnPage, user: AbstractBaseUser, *, note: str = ""
) -> PortalSubmission:
    """Art. 7, 15: an editor of a department or county site sends one of its live items to a column
    of the city portal. It waits for the sending unit's leader in charge; nothing shows yet."""
    item = item.specific
    column = column.specific
    problems = proposal_problems(item, column, user)
    if problems:
        raise SubmissionRefused(problems)
    sending_site = services.site_of(item)
    try:
        with transaction.atomic():
            submission = PortalSubmission.objects.create(
                item=item,
                column=column,
                sending_site=sending_site,
                note=note.strip()[:200],
                proposed_by=user,
                proposed_at=timezone.now(),
            )
            _record(submission, "proposed", user, site=sending_site, comment=submission.note)
    except IntegrityError:  # a second proposal of the same item to the same column, at the same moment
        raise SubmissionRefused(
            {
                "item": [
                    ValidationError(
                        "该信息已报送到该栏目，正在审核中，请勿重复报送。", code="submission_duplicate"
                    )
                ]
            }
        ) from None
    return submission


# --- approving and rejecting ---------------------------------------------------------------------------


def _locked(submission: PortalSubmission) -> PortalSubmission:
    """The submission re-read under a row lock, so two approvers cannot both take the same step."""
    return PortalSubmission.objects.select_for_update().select_related("sending_site").get(pk=submission.pk)


@transaction.atomic
def approve(submission: PortalSubmission, user: AbstractBaseUser, *, comment: str = "") -> PortalSubmission:
    """Take the submission's current step as `user`.

    Art. 15: the first approval is the sending unit's leader in charge (审核同意).
    Art. 16: the second is the city portal's approver for the column; it accepts the submission and
    shows the item in the column (a `ColumnShare`), provided the item is still live.
    """
    submission = _locked(submission)
    refusal = approval_refusal(submission, user)
    if refusal is not None:
        raise refusal
    comment = comment.strip()
    now = timezone.now()
    if submission.status == Status.PROPOSED:
        submission.status = Status.UNIT_APPROVED
        submission.unit_approved_by = user
        submission.unit_approved_at = now
        submission.unit_comment = comment
        submission.save(update_fields=["status", "unit_approved_by", "unit_approved_at", "unit_comment"])
        _record(submission, "unit_approved", user, site=submission.sending_site, comment=comment)
        return submission
    item = submission.item
    if not item.live:
        raise SubmissionRefused(
            f"“{item.title}”已被报送单位撤销发布，不能采用。请退回并说明原因。", code="submission_not_live"
        )
    submission.status = Status.ACCEPTED
    submission.portal_approved_by = user
    submission.portal_approved_at = now
    submission.portal_comment = comment
    submission.save(update_fields=["status", "portal_approved_by", "portal_approved_at", "portal_comment"])
    share = show_in_column(submission)
    _record(
        submission,
        "accepted",
        user,
        site=services.site_of(submission.column),
        comment=comment,
        extra={"column_share": share.pk},
    )
    return submission


def show_in_column(submission: PortalSubmission) -> ColumnShare:
    """The accepted item appears in the column, after the column's other shared items (Art. 20)."""
    column = submission.column
    share = ColumnShare.objects.filter(column=column, page_id=submission.item_id).first()
    if share is None:
        last = ColumnShare.objects.filter(column=column).aggregate(last=Max("sort_order"))["last"]
        share = ColumnShare.objects.create(
            column=column, page_id=submission.item_id, sort_order=0 if last is None else last + 1
        )
    return share


@transaction.atomic
def reject(submission: PortalSubmission, user: AbstractBaseUser, comment: str) -> PortalSubmission:
    """Either approver returns the submission with a reason, which is required (Art. 14-15); the
    proposer, and the unit's leader when the portal rejects, are told (mail and audit record)."""
    comment = (comment or "").strip()
    if not comment:
        raise SubmissionRefused(
            {
                "comment": [
                    ValidationError(
                        "退回时必须填写退回意见，说明退回的原因。", code="submission_comment_required"
                    )
                ]
            }
        )
    submission = _locked(submission)
    refusal = approval_refusal(submission, user)
    if refusal is not None:
        raise refusal
    step = step_label(submission)
    at_portal = submission.status == Status.UNIT_APPROVED
    submission.status = Status.REJECTED
    submission.rejected_by = user
    submission.rejected_at = timezone.now()
    submission.rejection_comment = comment
    submission.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_comment"])
    notified = notify_rejection(submission, user, step)
    site = services.site_of(submission.column) if at_portal else submission.sending_site
    _record(
        submission, "rejected", user, site=site, comment=comment, extra={"step": step, "notified": notified}
    )
    return submission


def notify_rejection(submission: PortalSubmission, user: AbstractBaseUser, step: str) -> list[str]:
    """Tell the proposer (and the unit leader who approved it) why the submission came back."""
    User = get_user_model()
    upstream = {submission.proposed_by_id, submission.unit_approved_by_id} - {None, user.pk}
    recipients = list(User.objects.filter(pk__in=upstream, is_active=True).order_by("pk"))
    emails = [r.email for r in recipients if r.email]
    if emails:
        send_mail(
            f"【报送退回】{submission.item.title}",
            f"{user.get_full_name() or user.get_username()} 在“{step}”环节退回了报送到市政府门户网站"
            f"“{submission.column.title}”栏目的“{submission.item.title}”。\n退回意见：{submission.rejection_comment}",
            settings.DEFAULT_FROM_EMAIL,
            emails,
            fail_silently=True,
        )
    return [r.get_username() for r in recipients]


def _record(
    submission: PortalSubmission,
    step: str,
    user: AbstractBaseUser,
    *,
    site: GovSite | None,
    comment: str = "",
    extra: dict | None = None,
) -> None:
    """Art. 14: who took which step of which submission, with their comment."""
    audit.record(
        ACTIONS[step],
        actor=user,
        site=site,
        obj=submission,
        detail={
            "item": submission.item_id,
            "item_title": submission.item.title,
            "column": submission.column_id,
            "column_title": submission.column.title,
            "sending_site": submission.sending_site_id,
            "status": submission.status,
            "comment": comment,
            **(extra or {}),
        },
    )


# --- what a user sees ------------------------------------------------------------------------------------


def portal_columns() -> QuerySet[ColumnPage]:
    """The live columns of the city portal, in tree order (the targets of a submission)."""
    portal = GovSite.objects.filter(kind=GovSite.Kind.CITY_PORTAL).select_related("site__root_page").first()
    if portal is None:
        return ColumnPage.objects.none()
    return ColumnPage.objects.live().descendant_of(portal.site.root_page).order_by("path")


def sent_from_sites_of(user: AbstractBaseUser) -> QuerySet[PortalSubmission]:
    """Submissions of the sites where `user` holds any role; all of them for the platform operator."""
    submissions = PortalSubmission.objects.select_related(
        "item",
        "column",
        "sending_site",
        "proposed_by",
        "unit_approved_by",
        "portal_approved_by",
        "rejected_by",
    )
    if user.is_superuser:
        return submissions
    sites = SiteRole.objects.filter(group__user=user).values("site_id")
    return submissions.filter(sending_site_id__in=sites)


def may_send(user: AbstractBaseUser) -> bool:
    return sending_sites_of(user).exists()


def may_review(user: AbstractBaseUser) -> bool:
    """Whether `user` is in a group that can take some submission step: a unit's leader in charge,
    or a leader/principal of the city portal or one of its routes (for the admin menu)."""
    if not (user.is_authenticated and user.is_active):
        return False
    groups = Group.objects.filter(user=user)
    portal_roles = (Role.LEADER, Role.PRINCIPAL)
    return (
        SiteRole.objects.filter(group__in=groups)
        .filter(Q(role=Role.LEADER) | Q(site__kind=GovSite.Kind.CITY_PORTAL, role__in=portal_roles))
        .exists()
        or ReviewRoute.objects.filter(
            group__in=groups, site__kind=GovSite.Kind.CITY_PORTAL, role__in=portal_roles
        ).exists()
    )


def queue_for(user: AbstractBaseUser) -> list[PortalSubmission]:
    """The open submissions whose current step `user` may take, oldest first."""
    if not may_review(user):
        return []
    open_submissions = (
        PortalSubmission.objects.filter(status__in=PortalSubmission.OPEN)
        .select_related("item", "column", "sending_site", "proposed_by", "unit_approved_by")
        .order_by("proposed_at", "pk")
    )
    return [submission for submission in open_submissions if may_act(submission, user)]


def is_listed(submission: PortalSubmission) -> bool:
    """Whether an accepted submission's item is (still) shown in its column."""
    return ColumnShare.objects.filter(column_id=submission.column_id, page_id=submission.item_id).exists()
