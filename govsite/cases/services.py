"""The rules of the case engine (Art. 10, 16, 18; 政府信息公开条例 Art. 29, 33).

Submission (public side, called by the forms of `views.py`): validate, store atomically with the
attachments, give a receipt number and a query code (stored hashed), route to the responsible
unit and start the working-day clock. Handling (admin side): forward / transfer with a reason,
accept, draft a reply, review it (someone else, separation of duties), send it, extend a
disclosure request once, publish or withhold, close. Every step is a `CaseStep` and a record in
the review app's audit chain (Art. 14). The public sees only masked data (`public_record`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from govsite.cases import deadlines, masking, rules
from govsite.cases.deadlines import DueState
from govsite.cases.models import (
    OPEN_EXCLUDED,
    Attachment,
    Case,
    CaseStep,
    KnowledgeEntry,
    Mailbox,
    Reply,
    UnitHandlers,
)
from govsite.cases.rules import (
    _POSTCODE,
    ADDRESS_MAX,
    BODY_MAX,
    LETTER_FIELDS,
    NAME_MAX,
    SUBJECT_MAX,
    LetterData,
    _check_email,
    _check_phone,
    _Errors,
    check_letter,
    clean_text,
    is_valid_id_card,
    normalize_phone,
)
from govsite.cases.spool import SpooledLetter
from govsite.review import audit
from govsite.sites.models import GovSite, Institution
from govsite.throttle import current_spool

ATTACHMENTS_MAX = 3
ATTACHMENT_BYTES_MAX = 5 * 1024 * 1024
ALLOWED_CONTENT_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
}
RECEIPT_PREFIX = {Case.Kind.LETTER: "X", Case.Kind.ERROR_REPORT: "J", Case.Kind.DISCLOSURE: "Y"}
RATING_CHOICES = [(5, "非常满意"), (4, "满意"), (3, "基本满意"), (2, "不满意"), (1, "非常不满意")]

ERROR_TYPES: list[tuple[str, str]] = [
    ("wording", "错别字或表述错误"),
    ("broken_link", "链接无法访问"),
    ("outdated", "内容未及时更新"),
    ("wrong_info", "信息不准确"),
    ("accessibility", "无障碍或适老化问题"),
    ("display", "页面显示异常"),
    ("other", "其他问题"),
]
APPLICANT_TYPES = [("citizen", "公民"), ("organization", "法人或者其他组织")]
ID_TYPES = [("id_card", "居民身份证"), ("passport", "护照"), ("other", "其他有效证件")]
DELIVERY_CHOICES = [("post", "邮寄"), ("email", "电子邮件"), ("pickup", "当面领取"), ("online", "网上获取")]
MEDIUM_CHOICES = [("paper", "纸质"), ("electronic", "电子")]


# --- what the public side hands in and gets back ---------------------------------------------


class UploadLike(Protocol):
    name: str
    content_type: str
    content: bytes


@dataclass
class ErrorReportData:
    page_url: str
    error_type: str
    description: str
    name: str = ""
    phone: str = ""
    email: str = ""


@dataclass
class DisclosureData:
    applicant_type: str
    name: str
    id_type: str
    id_number: str
    organization: str
    legal_representative: str
    phone: str
    email: str
    address: str
    postcode: str
    description: str
    delivery: str
    medium: str
    fee_waiver: bool = False


@dataclass(frozen=True)
class Receipt:
    case: Case
    receipt_number: str
    query_code: str


@dataclass(frozen=True)
class PublicStep:
    label: str
    at: datetime
    unit: str


@dataclass(frozen=True)
class PublicRecord:
    """What anyone (or the submitter with the query code) may see of a case: masked throughout."""

    receipt_number: str
    kind: str
    kind_label: str
    subject: str
    body: str
    name: str
    unit: str
    status: str
    status_label: str
    submitted_at: datetime
    due_on: date
    due_provisional: bool
    answered_at: datetime | None
    reply: str
    reply_unit: str
    page_url: str
    error_type_label: str
    mailbox: str
    extended: bool
    extension_notice: str
    rating: int | None
    can_rate: bool
    is_public: bool
    steps: list[PublicStep] = field(default_factory=list)


# --- validation (nothing is stored when it fails) --------------------------------------------


def _check_attachments(errors: _Errors, attachments: Sequence[UploadLike]) -> None:
    if len(attachments) > ATTACHMENTS_MAX:
        errors.add("attachments", f"附件最多{ATTACHMENTS_MAX}个。", "too_many_attachments")
    for upload in attachments:
        label = clean_text(getattr(upload, "name", "")) or "附件"
        if upload.content_type not in ALLOWED_CONTENT_TYPES:
            allowed = "、".join(ALLOWED_CONTENT_TYPES.values())
            errors.add("attachments", f"附件“{label}”的类型不允许，仅接受{allowed}。", "attachment_type")
        if len(upload.content) > ATTACHMENT_BYTES_MAX:
            limit = ATTACHMENT_BYTES_MAX // (1024 * 1024)
            errors.add("attachments", f"附件“{label}”超过{limit}MB。", "attachment_too_large")
        if not upload.content:
            errors.add("attachments", f"附件“{label}”是空文件。", "attachment_empty")


def validate_letter(mailbox: Mailbox, data: LetterData, attachments: Sequence[UploadLike] = ()) -> LetterData:
    """The cleaned letter, or a ValidationError naming every problem (Art. 10)."""
    cleaned, errors = check_letter(data)
    if not mailbox.is_active:
        errors.add("__all__", "该信箱已停用，请选择其他信箱。", "mailbox_inactive")
    _check_attachments(errors, attachments)
    errors.raise_if_any()
    return cleaned


def validate_error_report(data: ErrorReportData, attachments: Sequence[UploadLike] = ()) -> ErrorReportData:
    """The cleaned error report, or a ValidationError naming every problem (Art. 18)."""
    cleaned = ErrorReportData(
        page_url=clean_text(data.page_url),
        error_type=clean_text(data.error_type),
        description=clean_text(data.description, multiline=True),
        name=clean_text(data.name),
        phone=normalize_phone(clean_text(data.phone)),
        email=clean_text(data.email),
    )
    errors = _Errors()
    errors.required("page_url", cleaned.page_url, "出错页面地址")
    if cleaned.page_url:
        parts = urlsplit(cleaned.page_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(cleaned.page_url) > 500:
            errors.add("page_url", "页面地址应为以 http:// 或 https:// 开头的网址。", "invalid_url")
    if cleaned.error_type not in dict(ERROR_TYPES):
        errors.add("error_type", "请选择错误类型。", "invalid_error_type")
    errors.required("description", cleaned.description, "问题描述")
    errors.max_length("description", cleaned.description, "问题描述", BODY_MAX)
    errors.max_length("name", cleaned.name, "姓名", NAME_MAX)
    _check_phone(errors, cleaned.phone, required=False)
    _check_email(errors, cleaned.email)
    _check_attachments(errors, attachments)
    errors.raise_if_any()
    return cleaned


def validate_disclosure_request(
    data: DisclosureData, attachments: Sequence[UploadLike] = ()
) -> DisclosureData:
    """政府信息公开条例 Art. 29: who applies, how to reach them, what they ask for and in what form."""
    cleaned = DisclosureData(
        applicant_type=clean_text(data.applicant_type),
        name=clean_text(data.name),
        id_type=clean_text(data.id_type),
        id_number=clean_text(data.id_number).upper(),
        organization=clean_text(data.organization),
        legal_representative=clean_text(data.legal_representative),
        phone=normalize_phone(clean_text(data.phone)),
        email=clean_text(data.email),
        address=clean_text(data.address),
        postcode=clean_text(data.postcode),
        description=clean_text(data.description, multiline=True),
        delivery=clean_text(data.delivery),
        medium=clean_text(data.medium),
        fee_waiver=bool(data.fee_waiver),
    )
    errors = _Errors()
    if cleaned.applicant_type not in dict(APPLICANT_TYPES):
        errors.add("applicant_type", "请选择申请人类型。", "invalid_applicant_type")
    if cleaned.applicant_type == "organization":
        errors.required("organization", cleaned.organization, "法人或者其他组织名称")
        errors.required("legal_representative", cleaned.legal_representative, "法定代表人或者负责人")
        errors.max_length("organization", cleaned.organization, "名称", 100)
    errors.required("name", cleaned.name, "姓名（联系人）")
    errors.max_length("name", cleaned.name, "姓名", NAME_MAX)
    if cleaned.id_type not in dict(ID_TYPES):
        errors.add("id_type", "请选择证件类型。", "invalid_id_type")
    errors.required("id_number", cleaned.id_number, "证件号码")
    if cleaned.id_type == "id_card" and cleaned.id_number and not is_valid_id_card(cleaned.id_number):
        errors.add("id_number", "身份证号码不正确，请核对18位号码。", "invalid_id_number")
    errors.max_length("id_number", cleaned.id_number, "证件号码", 30)
    _check_phone(errors, cleaned.phone, required=True)
    _check_email(errors, cleaned.email, required=cleaned.delivery == "email")
    errors.max_length("address", cleaned.address, "通信地址", ADDRESS_MAX)
    if cleaned.delivery == "post":
        errors.required("address", cleaned.address, "通信地址")
        if not _POSTCODE.match(cleaned.postcode):
            errors.add("postcode", "选择邮寄方式时，请填写6位邮政编码。", "invalid_postcode")
    errors.required("description", cleaned.description, "所需信息的名称、文号或特征性描述")
    errors.max_length("description", cleaned.description, "所需信息描述", BODY_MAX)
    if cleaned.delivery not in dict(DELIVERY_CHOICES):
        errors.add("delivery", "请选择获取信息的方式。", "invalid_delivery")
    if cleaned.medium not in dict(MEDIUM_CHOICES):
        errors.add("medium", "请选择信息的载体形式。", "invalid_medium")
    _check_attachments(errors, attachments)
    errors.raise_if_any()
    return cleaned


def validate_mailbox(mailbox: Mailbox) -> None:
    """A mailbox's deadline is at least one working day; the mayor's mailbox is on a portal."""
    errors = _Errors()
    if mailbox.deadline_workdays is not None and mailbox.deadline_workdays < 1:
        errors.add("deadline_workdays", "办理时限至少为1个工作日。", "deadline_too_short")
    on_portal = mailbox.gov_site_id and mailbox.gov_site.kind == GovSite.Kind.CITY_PORTAL
    if mailbox.kind == Mailbox.Kind.MAYOR and mailbox.gov_site_id and not on_portal:
        errors.add("kind", "市长信箱只能设在市政府门户网站。", "mayor_mailbox_not_on_city_portal")
    errors.raise_if_any()


# --- receipt numbers and query codes ---------------------------------------------------------


def hash_query_code(receipt_number: str, query_code: str) -> str:
    """The stored form of a query code: an HMAC under the SECRET_KEY, tied to its receipt number."""
    return rules.hash_query_code(receipt_number, query_code, settings.SECRET_KEY)


def _new_receipt_number(kind: str, now: datetime) -> str:
    return rules.new_receipt_number(RECEIPT_PREFIX[kind], timezone.localtime(now))


def _new_query_code() -> str:
    return rules.new_query_code()


# --- routing ---------------------------------------------------------------------------------


def host_institution(gov_site: GovSite) -> Institution:
    """Art. 18: the host unit (主办单位) of a site: the institution of that name, else the site's own."""
    if gov_site.host_unit and gov_site.host_unit != gov_site.institution.name:
        host = Institution.objects.filter(name=gov_site.host_unit).first()
        if host is not None:
            return host
    return gov_site.institution


def disclosure_institution(gov_site: GovSite) -> Institution:
    """政府信息公开条例 Art. 4: a request goes to the disclosure body of the site's institution."""
    return gov_site.institution


# --- submission ------------------------------------------------------------------------------


def submit_letter(
    mailbox: Mailbox,
    data: LetterData,
    attachments: Sequence[UploadLike] = (),
    *,
    received_at: datetime | None = None,
    preset: tuple[str, str] | None = None,
) -> Receipt:
    """Art. 10: a letter to a mailbox goes to the mailbox's unit with the mailbox's deadline.

    `received_at` (every submit function has it) is for imports and tests; forms leave it out.
    `preset` is (receipt number, query code hash) of a letter the front accepted into the spool.
    """
    cleaned = validate_letter(mailbox, data, attachments)
    now = received_at or timezone.now()
    clock = deadlines.clock_for(now, mailbox.deadline_workdays)
    case = Case(
        kind=Case.Kind.LETTER,
        gov_site_id=mailbox.gov_site_id,
        mailbox=mailbox,
        unit=mailbox.institution,
        subject=cleaned.subject,
        body=cleaned.body,
        name=cleaned.name,
        phone=cleaned.phone,
        email=cleaned.email,
        address=cleaned.address,
        id_number=cleaned.id_number,
        wants_public=cleaned.wants_public,
        submitted_at=now,
        due_on=clock.due_on,
        due_provisional=clock.provisional,
    )
    return _store(case, attachments, note=f"{mailbox.name}收到来信", preset=preset)


def submit_error_report(
    gov_site: GovSite,
    data: ErrorReportData,
    attachments: Sequence[UploadLike] = (),
    *,
    received_at: datetime | None = None,
) -> Receipt:
    """Art. 18: an error report is forwarded to the site's host unit at once (so always within
    1 working day) and must be answered within 3 working days; it is public unless withheld."""
    cleaned = validate_error_report(data, attachments)
    now = received_at or timezone.now()
    clock = deadlines.clock_for(now, deadlines.ERROR_REPORT_REPLY_WORKDAYS)
    label = dict(ERROR_TYPES)[cleaned.error_type]
    host = host_institution(gov_site)
    case = Case(
        kind=Case.Kind.ERROR_REPORT,
        gov_site=gov_site,
        unit=host,
        status=Case.Status.FORWARDED,
        subject=f"{label}：{cleaned.description[:40]}"[:SUBJECT_MAX],
        body=cleaned.description,
        name=cleaned.name,
        phone=cleaned.phone,
        email=cleaned.email,
        page_url=cleaned.page_url,
        details={"error_type": cleaned.error_type},
        submitted_at=now,
        forwarded_at=now,
        due_on=clock.due_on,
        due_provisional=clock.provisional,
        is_public=True,
    )
    return _store(
        case,
        attachments,
        note=f"收到{gov_site.name}纠错留言",
        then=lambda stored: _step(
            stored, "forward", to_unit=host, note="提交时自动转网站主办单位处理（第十八条）"
        ),
    )


def submit_disclosure_request(
    gov_site: GovSite,
    data: DisclosureData,
    attachments: Sequence[UploadLike] = (),
    *,
    received_at: datetime | None = None,
) -> Receipt:
    """政府信息公开条例 Art. 29, 33: a request to the site's institution, answered in 20 working days."""
    cleaned = validate_disclosure_request(data, attachments)
    now = received_at or timezone.now()
    clock = deadlines.clock_for(now, deadlines.DISCLOSURE_WORKDAYS)
    details = {
        "applicant_type": cleaned.applicant_type,
        "id_type": cleaned.id_type,
        "legal_representative": cleaned.legal_representative,
        "postcode": cleaned.postcode,
        "delivery": cleaned.delivery,
        "medium": cleaned.medium,
        "fee_waiver": cleaned.fee_waiver,
    }
    case = Case(
        kind=Case.Kind.DISCLOSURE,
        gov_site=gov_site,
        unit=disclosure_institution(gov_site),
        subject=f"政府信息公开申请：{cleaned.description[:40]}"[:SUBJECT_MAX],
        body=cleaned.description,
        name=cleaned.name,
        phone=cleaned.phone,
        email=cleaned.email,
        address=cleaned.address,
        id_number=cleaned.id_number,
        organization=cleaned.organization,
        details=details,
        wants_public=False,
        submitted_at=now,
        due_on=clock.due_on,
        due_provisional=clock.provisional,
    )
    return _store(case, attachments, note=f"{gov_site.name}收到政府信息公开申请")


def _store(
    case: Case,
    attachments: Sequence[UploadLike],
    *,
    note: str,
    then=None,
    preset: tuple[str, str] | None = None,
) -> Receipt:
    """Save the case, its attachments and its first steps in one transaction; return after commit.

    A receipt number drawn twice (the unique constraint) is drawn again. When the transaction
    fails, the attachment files already written are removed, so a refusal leaves nothing behind.
    A `preset` receipt number (the citizen holds it already) is never drawn again: a clash raises.
    """
    query_code = "" if preset else _new_query_code()
    for _attempt in range(1 if preset else 5):
        if preset:
            case.receipt_number, case.query_code_hash = preset
        else:
            case.receipt_number = _new_receipt_number(case.kind, case.submitted_at)
            case.query_code_hash = hash_query_code(case.receipt_number, query_code)
        written: list[str] = []
        try:
            with transaction.atomic():
                case.save(force_insert=True)
                for upload in attachments:
                    _store_attachment(case, upload, written)
                _step(case, "submit", to_unit=case.unit, note=note, at=case.submitted_at)
                if then is not None:
                    then(case)
        except IntegrityError:
            _remove_files(written)
            if not preset and Case.objects.filter(receipt_number=case.receipt_number).exists():
                case.pk = None
                case._state.adding = True
                continue  # a receipt number drawn twice: draw again
            raise
        except BaseException:
            _remove_files(written)
            raise
        return Receipt(case=case, receipt_number=case.receipt_number, query_code=query_code)
    raise RuntimeError("无法生成唯一的受理编号")


def _remove_files(names: list[str]) -> None:
    storage = Attachment._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def _store_attachment(case: Case, upload: UploadLike, written: list[str]) -> Attachment:
    content = bytes(upload.content)
    name = clean_text(upload.name)[-100:] or "附件"
    attachment = Attachment(
        case=case,
        name=name,
        content_type=upload.content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(
        upload.content_type, "docx"
    )
    attachment.file.save(
        f"{case.receipt_number}-{secrets.token_hex(4)}.{extension}", ContentFile(content), save=False
    )
    written.append(attachment.file.name)
    attachment.save()
    return attachment


# --- letters the front accepted -------------------------------------------------------------


def register_spooled(letter: SpooledLetter) -> Case:
    """Art. 10: a letter the front stored in the intake spool becomes a case with its receipt number.

    Safe to run twice: a case already registered under the number with the same query code hash
    (the worker stopped between the commit and marking the row) is returned as it is. A different
    case under the number is a clash the worker reports rather than overwrite.
    """
    existing = Case.objects.filter(receipt_number=letter.receipt_number).first()
    if existing is not None:
        if existing.query_code_hash != letter.query_code_hash:
            raise ValidationError("受理编号已被另一件事项使用。", code="receipt_number_clash")
        return existing
    mailbox = Mailbox.objects.select_related("institution", "gov_site").get(pk=letter.mailbox_id)
    fields = letter.fields
    data = LetterData(
        **{name: fields.get(name, "") for name in LETTER_FIELDS},
        wants_public=bool(fields.get("wants_public")),
    )
    received = datetime.fromtimestamp(letter.received_at, tz=UTC)
    receipt = submit_letter(
        mailbox, data, received_at=received, preset=(letter.receipt_number, letter.query_code_hash)
    )
    asked = [
        int(part) for part in str(fields.get("suggested", "")).split(",") if part.isdigit() and len(part) <= 9
    ]
    if asked:
        note_asked(list(KnowledgeEntry.objects.filter(pk__in=asked[:10], is_current=True)))
    return receipt.case


def register_pending(limit: int = 50) -> tuple[int, int]:
    """Register up to `limit` spooled letters, oldest first: (registered, failed).

    A letter that cannot be registered (its mailbox deleted, a receipt-number clash) is marked
    failed with the reason and kept; `manage.py cases_intake --failed` lists it for an operator.
    """
    store = current_spool()
    registered = failed = 0
    for letter in store.pending(limit):
        try:
            case = register_spooled(letter)
        except Mailbox.DoesNotExist:
            store.mark_failed(letter.id, f"信箱（编号 {letter.mailbox_id}）已不存在，请改由其他信箱登记。")
            failed += 1
            continue
        except ValidationError as error:
            store.mark_failed(letter.id, "；".join(error.messages))
            failed += 1
            continue
        store.mark_registered(letter.id, case.pk)
        registered += 1
    return registered, failed


def spooled_letter(receipt_number: str, query_code: str) -> SpooledLetter | None:
    """A letter still waiting in the spool, for the look-up page (receipt number and code checked)."""
    letter = current_spool().find(receipt_number.strip().upper())
    if letter is None or letter.state == "registered":
        return None
    if not constant_time_compare(letter.query_code_hash, hash_query_code(letter.receipt_number, query_code)):
        return None
    return letter


# --- steps and the audit trail ---------------------------------------------------------------

STEP_LABELS = {
    "submit": "提交",
    "forward": "转办",
    "transfer": "转交",
    "accept": "受理",
    "draft": "拟写答复",
    "return": "退回修改",
    "review": "审核答复",
    "send": "发送答复",
    "request_extension": "申请延期",
    "extend": "批准延期",
    "notify_extension": "告知延期",
    "publish": "公开",
    "withhold": "不予公开",
    "close": "办结",
    "rate": "评价",
}


def _step(
    case: Case,
    action: str,
    *,
    actor=None,
    note: str = "",
    from_unit: Institution | None = None,
    to_unit: Institution | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> CaseStep:
    """Art. 14: one step of a case, recorded as a `CaseStep` and in the audit chain."""
    step = CaseStep.objects.create(
        case=case,
        at=at or timezone.now(),
        action=action,
        actor=actor,
        actor_name=actor.get_username() if actor is not None else "",
        from_unit=from_unit,
        to_unit=to_unit,
        note=note,
    )
    audit.record(
        f"cases.{action}",
        actor=actor,
        site=case.gov_site_id,
        obj=case,
        object_repr=case.receipt_number,
        detail={
            "receipt_number": case.receipt_number,
            "status": case.status,
            "unit": case.unit_id,
            "from_unit": from_unit.pk if from_unit else None,
            "to_unit": to_unit.pk if to_unit else None,
            "note": note[:500],
            **(detail or {}),
        },
    )
    return step


# --- who may act -----------------------------------------------------------------------------


def handler_group_name(institution: Institution) -> str:
    return f"{institution.name}-互动交流办理"


@transaction.atomic
def provision_case_groups(institution: Institution) -> Group:
    """Least privilege: the group whose members handle (only) this institution's cases."""
    from django.contrib.auth.models import Permission

    group, _ = Group.objects.get_or_create(name=handler_group_name(institution))
    group.permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        # Art. 10: handlers curate and keep current the knowledge base; mailboxes stay with the operators.
        *Permission.objects.filter(
            content_type__app_label="cases",
            codename__in=["view_knowledgeentry", "add_knowledgeentry", "change_knowledgeentry"],
        ),
    )
    UnitHandlers.objects.update_or_create(institution=institution, defaults={"group": group})
    return group


def units_of(user) -> QuerySet[Institution]:
    """The institutions whose cases `user` handles (every one for a superuser)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Institution.objects.none()
    if user.is_superuser:
        return Institution.objects.all()
    return Institution.objects.filter(case_handlers__group__user=user).distinct()


def is_case_handler(user) -> bool:
    return units_of(user).exists()


def handles(user, institution: Institution | int) -> bool:
    unit_id = institution if isinstance(institution, int) else institution.pk
    return units_of(user).filter(pk=unit_id).exists()


def cases_visible_to(user) -> QuerySet[Case]:
    """A handler sees their units' cases, and the letters their unit reviews for publication."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return Case.objects.all()
    units = units_of(user)
    return Case.objects.filter(Q(unit__in=units) | Q(mailbox__publisher__in=units)).distinct()


def _require_handler(case: Case, user) -> None:
    if not handles(user, case.unit_id):
        raise PermissionDenied("您不是该事项办理单位的办理人员。")


def _require_status(case: Case, allowed: Sequence[str], what: str) -> None:
    if case.status not in allowed:
        raise ValidationError(
            f"事项当前状态为“{case.get_status_display()}”，不能{what}。", code="invalid_state"
        )


def _require_reason(reason: str, what: str) -> str:
    reason = clean_text(reason, multiline=True)
    if not reason:
        raise ValidationError({"reason": ValidationError(f"请填写{what}。", code="reason_required")})
    return reason


def _locked(case: Case) -> Case:
    """Re-read the case under a row lock, so two handlers never act on the same state twice."""
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("gov_site", "mailbox", "unit")
        .get(pk=case.pk)
    )


# --- handling --------------------------------------------------------------------------------

OPEN_FOR_ROUTING = (Case.Status.RECEIVED, Case.Status.FORWARDED, Case.Status.ACCEPTED, Case.Status.HANDLING)
OPEN_FOR_DRAFT = (*OPEN_FOR_ROUTING, Case.Status.REPLY_DRAFTED)


@transaction.atomic
def transfer(case: Case, to_unit: Institution, *, actor, reason: str) -> Case:
    """Hand a case to another unit with a reason (转办 while still received, 转交 afterwards).

    The deadline is not restarted: it belongs to the citizen and counts from receipt.
    """
    case = _locked(case)
    _require_handler(case, actor)
    _require_status(case, OPEN_FOR_ROUTING, "转办")
    reason = _require_reason(reason, "转办理由")
    if to_unit.pk == case.unit_id:
        raise ValidationError({"to_unit": ValidationError("不能转给本单位。", code="same_unit")})
    action = "forward" if case.status == Case.Status.RECEIVED else "transfer"
    from_unit = case.unit
    case.unit = to_unit
    case.status = Case.Status.FORWARDED
    case.forwarded_at = case.forwarded_at or timezone.now()
    case.save(update_fields=["unit", "status", "forwarded_at", "updated_at"])
    _step(case, action, actor=actor, from_unit=from_unit, to_unit=to_unit, note=reason)
    return case


@transaction.atomic
def accept(case: Case, *, actor, note: str = "") -> Case:
    """The responsible unit takes the case on (受理)."""
    case = _locked(case)
    _require_handler(case, actor)
    _require_status(case, (Case.Status.RECEIVED, Case.Status.FORWARDED), "受理")
    _accept(case, actor, clean_text(note, multiline=True))
    return case


def _accept(case: Case, actor, note: str) -> None:
    case.status = Case.Status.ACCEPTED
    case.accepted_at = timezone.now()
    case.save(update_fields=["status", "accepted_at", "updated_at"])
    _step(case, "accept", actor=actor, note=note)


def current_reply(case: Case) -> Reply | None:
    return case.replies.exclude(status=Reply.Status.RETURNED).order_by("-drafted_at", "-pk").first()


def sent_reply(case: Case) -> Reply | None:
    return case.replies.filter(status=Reply.Status.SENT).order_by("-sent_at").first()


@transaction.atomic
def draft_reply(case: Case, body: str, *, actor) -> Reply:
    """A handler of the unit drafts (or redrafts) the reply; it waits for someone else's review."""
    case = _locked(case)
    _require_handler(case, actor)
    _require_status(case, OPEN_FOR_DRAFT, "拟写答复")
    body = clean_text(body, multiline=True)
    if not body:
        raise ValidationError({"body": ValidationError("请填写答复内容。", code="required")})
    if len(body) > BODY_MAX:
        raise ValidationError({"body": ValidationError(f"答复内容不能超过{BODY_MAX}个字。", code="too_long")})
    if case.status in (Case.Status.RECEIVED, Case.Status.FORWARDED):
        _accept(case, actor, "拟写答复时受理")
    reply = case.replies.filter(status=Reply.Status.DRAFT).first()
    if reply is None:
        reply = Reply(case=case)
    reply.body, reply.drafted_by, reply.drafted_at = body, actor, timezone.now()
    reply.save()
    case.status = Case.Status.REPLY_DRAFTED
    case.save(update_fields=["status", "updated_at"])
    _step(case, "draft", actor=actor, detail={"reply": reply.pk})
    return reply


@transaction.atomic
def review_reply(case: Case, *, actor, approve: bool, note: str = "") -> Reply:
    """Separation of duties: a reply is approved or returned by a handler who did not draft it."""
    case = _locked(case)
    _require_handler(case, actor)
    _require_status(case, (Case.Status.REPLY_DRAFTED,), "审核答复")
    reply = case.replies.get(status=Reply.Status.DRAFT)
    if reply.drafted_by_id == actor.pk:
        raise PermissionDenied("答复须由拟稿人以外的人员审核。")
    note = clean_text(note, multiline=True)
    if not approve and not note:
        raise ValidationError({"note": ValidationError("退回修改时请填写审核意见。", code="reason_required")})
    reply.status = Reply.Status.REVIEWED if approve else Reply.Status.RETURNED
    reply.reviewed_by, reply.reviewed_at, reply.review_note = actor, timezone.now(), note
    reply.save()
    case.status = Case.Status.REPLY_REVIEWED if approve else Case.Status.HANDLING
    case.save(update_fields=["status", "updated_at"])
    _step(case, "review" if approve else "return", actor=actor, note=note, detail={"reply": reply.pk})
    return reply


@transaction.atomic
def send_reply(case: Case, *, actor) -> Reply:
    """Send the reviewed reply: the case is answered, and the submitter is told by e-mail."""
    case = _locked(case)
    _require_handler(case, actor)
    _require_status(case, (Case.Status.REPLY_REVIEWED,), "发送答复")
    reply = case.replies.get(status=Reply.Status.REVIEWED)
    now = timezone.now()
    reply.status, reply.sent_at = Reply.Status.SENT, now
    reply.save(update_fields=["status", "sent_at"])
    case.status, case.answered_at = Case.Status.ANSWERED, now
    case.save(update_fields=["status", "answered_at", "updated_at"])
    _step(case, "send", actor=actor, detail={"reply": reply.pk})
    if case.email:
        transaction.on_commit(lambda: _mail_submitter(case, "答复", reply.body))
    return reply


def _mail_submitter(case: Case, what: str, text: str) -> None:
    subject = f"【{case.gov_site.name}】您的{case.get_kind_display()}（{case.receipt_number}）{what}"
    body = f"{text}\n\n受理编号：{case.receipt_number}\n可凭受理编号和查询码在网站“互动交流—办理查询”中查看。"
    send_mail(subject, body, None, [case.email], fail_silently=True)


@transaction.atomic
def request_extension(case: Case, *, actor, reason: str, notice: str = "") -> Case:
    """条例 Art. 33: a handler asks to extend a disclosure request once; another person approves."""
    case = _locked(case)
    _require_handler(case, actor)
    if case.kind != Case.Kind.DISCLOSURE:
        raise ValidationError("只有政府信息公开申请可以延期答复。", code="not_disclosure")
    if case.extended or case.details.get("extension_request"):
        raise ValidationError("依申请公开答复期限只能延长一次。", code="already_extended")
    _require_status(case, OPEN_FOR_DRAFT, "申请延期")
    reason = _require_reason(reason, "延期理由")
    notice = clean_text(notice, multiline=True) or default_extension_notice(case)
    case.details = {**case.details, "extension_request": {"by": actor.pk, "reason": reason, "notice": notice}}
    case.save(update_fields=["details", "updated_at"])
    _step(case, "request_extension", actor=actor, note=reason)
    return case


def default_extension_notice(case: Case) -> str:
    new_due = deadlines.extended_clock(case.due_on).due_on
    return (
        f"您于{timezone.localtime(case.submitted_at):%Y年%m月%d日}提交的政府信息公开申请（{case.receipt_number}），"
        f"因需要延长答复期限，根据《中华人民共和国政府信息公开条例》第三十三条，经批准延长20个工作日，"
        f"最迟于{new_due:%Y年%m月%d日}前答复。"
    )


@transaction.atomic
def approve_extension(case: Case, *, actor) -> Case:
    """条例 Art. 33: approval by someone other than the requester extends by 20 working days, once,
    and the notice to the requester is recorded (and e-mailed when an address was given)."""
    case = _locked(case)
    _require_handler(case, actor)
    pending = case.details.get("extension_request")
    if case.extended:
        raise ValidationError("依申请公开答复期限只能延长一次。", code="already_extended")
    if not pending:
        raise ValidationError("尚无延期申请。", code="no_extension_request")
    if pending["by"] == actor.pk:
        raise PermissionDenied("延期须由申请人以外的负责人批准。")
    clock = deadlines.extended_clock(case.due_on)
    old_due = case.due_on
    case.due_on, case.due_provisional = clock.due_on, clock.provisional
    case.extended, case.extended_at, case.extension_approved_by = True, timezone.now(), actor
    case.extension_reason, case.extension_notice = pending["reason"], pending["notice"]
    case.details = {key: value for key, value in case.details.items() if key != "extension_request"}
    case.save()
    _step(case, "extend", actor=actor, note=case.extension_reason, detail={"old_due": old_due.isoformat()})
    channel = "电子邮件" if case.email else "电话或邮寄"
    _step(case, "notify_extension", actor=actor, note=f"通过{channel}告知申请人：{case.extension_notice}")
    if case.email:
        transaction.on_commit(lambda: _mail_submitter(case, "延期答复告知", case.extension_notice))
    return case


def may_publish(case: Case, user) -> bool:
    """Art. 16: the mailbox's publisher (市信访局 for the mayor's mailbox) decides publication."""
    if case.mailbox_id is None:
        return handles(user, case.unit_id)
    return handles(user, case.mailbox.publisher_id)


@transaction.atomic
def publish(case: Case, *, actor) -> Case:
    """Art. 16: an answered letter goes public after review by the mailbox's publisher, masked."""
    case = _locked(case)
    if not may_publish(case, actor):
        raise PermissionDenied("该信箱的来信由公开审核单位审核后公开。")
    if case.kind == Case.Kind.DISCLOSURE:
        raise ValidationError("政府信息公开申请不在网上公开。", code="not_publishable")
    _require_status(case, (Case.Status.ANSWERED, Case.Status.CLOSED), "公开")
    if case.kind == Case.Kind.LETTER and not case.wants_public:
        raise ValidationError("来信人不同意公开。", code="submitter_declined")
    case.is_public, case.published_at, case.withheld, case.withheld_reason = True, timezone.now(), "", ""
    case.save(update_fields=["is_public", "published_at", "withheld", "withheld_reason", "updated_at"])
    _step(case, "publish", actor=actor)
    return case


@transaction.atomic
def withhold(case: Case, *, actor, kind: str, reason: str) -> Case:
    """Art. 18: a case is kept from the public only when untrue or unsuitable, with a reason."""
    case = _locked(case)
    if not (handles(actor, case.unit_id) or may_publish(case, actor)):
        raise PermissionDenied("您不是该事项办理单位或公开审核单位的人员。")
    if kind not in (Case.Withheld.UNTRUE, Case.Withheld.UNSUITABLE):
        raise ValidationError({"kind": ValidationError("请选择不予公开的原因。", code="invalid_withheld")})
    reason = _require_reason(reason, "不予公开的理由")
    case.is_public, case.withheld, case.withheld_reason = False, kind, reason
    case.save(update_fields=["is_public", "withheld", "withheld_reason", "updated_at"])
    _step(case, "withhold", actor=actor, note=f"{case.get_withheld_display()}：{reason}")
    return case


@transaction.atomic
def close(case: Case, *, actor=None, note: str = "") -> Case:
    """Close an answered case (by a handler, or when the submitter rates it)."""
    case = _locked(case)
    if actor is not None:
        _require_handler(case, actor)
    _require_status(case, (Case.Status.ANSWERED,), "办结")
    case.status, case.closed_at = Case.Status.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at", "updated_at"])
    _step(case, "close", actor=actor, note=clean_text(note, multiline=True))
    return case


@transaction.atomic
def rate(case: Case, score: int, comment: str = "") -> None:
    """The submitter rates the answer once, after it was sent; rating closes the case."""
    case = _locked(case)
    if case.status not in (Case.Status.ANSWERED, Case.Status.CLOSED):
        raise ValidationError("答复发送后才能评价。", code="not_answered")
    if case.rating is not None:
        raise ValidationError("该事项已经评价过了。", code="already_rated")
    if score not in dict(RATING_CHOICES):
        raise ValidationError({"score": ValidationError("请选择满意度。", code="invalid_rating")})
    comment = clean_text(comment, multiline=True)
    if len(comment) > 500:
        raise ValidationError({"comment": ValidationError("评价意见不能超过500个字。", code="too_long")})
    case.rating, case.rating_comment, case.rated_at = score, comment, timezone.now()
    case.save(update_fields=["rating", "rating_comment", "rated_at", "updated_at"])
    _step(case, "rate", note=f"{dict(RATING_CHOICES)[score]} {comment}".strip())
    if case.status == Case.Status.ANSWERED:
        close(case, note="评价后自动办结")


# --- what the public sees --------------------------------------------------------------------


def mailboxes_of(gov_site: GovSite) -> list[Mailbox]:
    return list(Mailbox.objects.filter(gov_site=gov_site, is_active=True).select_related("institution"))


def mailbox_by_slug(gov_site: GovSite, slug: str) -> Mailbox | None:
    return (
        Mailbox.objects.filter(gov_site=gov_site, slug=slug, is_active=True)
        .select_related("institution")
        .first()
    )


def look_up(receipt_number: str, query_code: str) -> Case | None:
    """The case of a receipt number when the query code matches (compared in constant time)."""
    receipt_number = clean_text(receipt_number).upper()
    query_code = clean_text(query_code).upper()
    if not receipt_number or not query_code or len(receipt_number) > 20 or len(query_code) > 20:
        return None
    case = (
        Case.objects.select_related("gov_site", "unit", "mailbox")
        .filter(receipt_number=receipt_number)
        .first()
    )
    expected = hash_query_code(receipt_number, query_code)
    if case is None or not constant_time_compare(case.query_code_hash, expected):
        return None
    return case


def published_cases(gov_site: GovSite, kind: str, mailbox: Mailbox | None = None) -> QuerySet[Case]:
    """Art. 16, 18: published letters of a site (or mailbox); answered error reports not withheld."""
    cases = Case.objects.filter(gov_site=gov_site, kind=kind, is_public=True).select_related(
        "unit", "mailbox"
    )
    if kind == Case.Kind.ERROR_REPORT:
        cases = cases.filter(status__in=OPEN_EXCLUDED, withheld="")
    elif kind == Case.Kind.DISCLOSURE:
        return Case.objects.none()
    if mailbox is not None:
        cases = cases.filter(mailbox=mailbox)
    return cases.order_by("-answered_at", "-pk")


def public_record(case: Case) -> PublicRecord:
    """The masked view of a case (Art. 16): names, phone and ID numbers, e-mails, addresses."""
    known = masking.known_values(
        name=case.name, phone=case.phone, email=case.email, id_number=case.id_number, address=case.address
    )
    reply = sent_reply(case)
    steps = [
        PublicStep(label=STEP_LABELS.get(step.action, step.action), at=step.at, unit=_unit_name(step))
        for step in case.steps.select_related("to_unit").all()
        if step.action in PUBLIC_STEPS
    ]
    return PublicRecord(
        receipt_number=case.receipt_number,
        kind=case.kind,
        kind_label=case.get_kind_display(),
        subject=masking.mask_text(case.subject, known),
        body=masking.mask_text(case.body, known),
        name=masking.mask_name(case.name),
        unit=case.unit.name,
        status=case.status,
        status_label=case.get_status_display() if case.status in PUBLIC_STATUSES else "办理中",
        submitted_at=case.submitted_at,
        due_on=case.due_on,
        due_provisional=case.due_provisional,
        answered_at=case.answered_at,
        reply=masking.mask_text(reply.body, known) if reply else "",
        reply_unit=case.unit.name if reply else "",
        page_url=case.page_url,
        error_type_label=dict(ERROR_TYPES).get(case.details.get("error_type", ""), ""),
        mailbox=case.mailbox.name if case.mailbox_id else "",
        extended=case.extended,
        extension_notice=case.extension_notice,
        rating=case.rating,
        can_rate=case.status in OPEN_EXCLUDED and case.rating is None,
        is_public=case.is_public,
        steps=steps,
    )


PUBLIC_STEPS = {"submit", "forward", "transfer", "accept", "send", "extend", "close"}
PUBLIC_STATUSES = {
    Case.Status.RECEIVED,
    Case.Status.FORWARDED,
    Case.Status.ACCEPTED,
    Case.Status.ANSWERED,
    Case.Status.CLOSED,
}


def _unit_name(step: CaseStep) -> str:
    return step.to_unit.name if step.to_unit_id else ""


# --- the handlers' lists ---------------------------------------------------------------------


def due_state_of(case: Case, on: date | None = None) -> str:
    return deadlines.due_state(case.due_on, answered=not case.is_open, on=on)


def filter_due_state(cases: QuerySet[Case], state: str, on: date | None = None) -> QuerySet[Case]:
    """Open cases in a due state (due soon, overdue, long overdue, on track), filtered in SQL."""
    cut = deadlines.cutoffs(on)
    open_cases = cases.exclude(status__in=OPEN_EXCLUDED)
    if state == DueState.DUE_SOON:
        return open_cases.filter(due_on__gte=cut.on, due_on__lte=cut.due_soon_until)
    if state == DueState.OVERDUE:
        return open_cases.filter(due_on__lt=cut.on)
    if state == DueState.LONG_OVERDUE:
        return open_cases.filter(due_on__lte=cut.long_overdue_until)
    if state == DueState.ON_TRACK:
        return open_cases.filter(due_on__gt=cut.due_soon_until)
    return cases


def overdue_cases(unit: Institution, on: date | None = None) -> QuerySet[Case]:
    """A unit's open cases past their deadline (long-overdue ones included), oldest deadline first."""
    return filter_due_state(Case.objects.filter(unit=unit), DueState.OVERDUE, on).order_by("due_on", "pk")


def handlers_of(unit: Institution) -> list:
    """The active users of a unit's handler group (they receive the reminders)."""
    from django.contrib.auth import get_user_model

    group_ids = UnitHandlers.objects.filter(institution=unit).values_list("group_id", flat=True)
    return list(get_user_model().objects.filter(is_active=True, groups__in=group_ids).distinct())


# --- reminders -------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    sent: int = 0
    skipped: int = 0
    failed: list[str] = field(default_factory=list)
    without_handlers: list[str] = field(default_factory=list)


def cases_needing_reminder(unit: Institution, on: date | None = None) -> list[Case]:
    """A unit's open cases that are due soon or overdue on `on`, most urgent first."""
    cut = deadlines.cutoffs(on)
    return list(
        Case.objects.filter(unit=unit, due_on__lte=cut.due_soon_until)
        .exclude(status__in=OPEN_EXCLUDED)
        .order_by("due_on", "pk")
    )


def reminder_text(unit: Institution, cases: Sequence[Case], on: date) -> str:
    lines = [f"{unit.name}：截至{on:%Y年%m月%d日}，以下事项即将到期或已超期，请及时办理。", ""]
    for case in cases:
        label = DueState.LABELS[deadlines.due_state(case.due_on, answered=False, on=on)]
        lines.append(f"【{label}】{case.receipt_number} {case.subject}（期限 {case.due_on:%Y-%m-%d}）")
    lines += ["", "请登录网站管理后台“互动交流”处理。"]
    return "\n".join(lines)


def send_reminders(on: date | None = None) -> ReminderRun:
    """Remind each unit's handlers by e-mail of what is due soon or overdue, at most once a day.

    A `Reminder` row per unit and day makes the run idempotent: it is written in the same
    transaction as the mail is handed to the mail backend, so a failed send is tried again later.
    """
    from govsite.cases.models import Reminder

    on = on or deadlines.today()
    run = ReminderRun()
    open_units = Case.objects.exclude(status__in=OPEN_EXCLUDED).values_list("unit", flat=True).distinct()
    with deadlines.workdays.calendar_scope():
        for unit in Institution.objects.filter(pk__in=open_units).order_by("name"):
            cases = cases_needing_reminder(unit, on)
            if not cases:
                continue
            if Reminder.objects.filter(institution=unit, sent_on=on).exists():
                run.skipped += 1
                continue
            recipients = [user.email for user in handlers_of(unit) if user.email]
            if not recipients:
                run.without_handlers.append(unit.name)
                continue
            try:
                with transaction.atomic():
                    Reminder.objects.create(
                        institution=unit, sent_on=on, recipients=len(recipients), cases=len(cases)
                    )
                    send_mail(
                        f"【催办】{unit.name}有{len(cases)}件互动交流事项即将到期或已超期",
                        reminder_text(unit, cases, on),
                        None,
                        recipients,
                    )
            except IntegrityError:
                run.skipped += 1  # another run sent it a moment ago
            except Exception as error:  # a mail server failure must not stop the other units
                run.failed.append(f"{unit.name}：{error}")
            else:
                run.sent += 1
    return run


# --- knowledge base (rules in knowledge.py) ---------------------------------------------------


def suggest_answers(text: str, gov_site: GovSite | None = None, limit: int = 5) -> list[KnowledgeEntry]:
    """Art. 10: current knowledge entries that answer what a citizen is typing."""
    from govsite.cases import knowledge

    return knowledge.suggest(text, gov_site=gov_site, limit=limit)


def search_knowledge(query: str, topic: str = "") -> QuerySet[KnowledgeEntry]:
    """Art. 10: current entries matching every word of `query`, most viewed and asked first."""
    from govsite.cases import knowledge

    return knowledge.search(query, topic=topic)


def note_view(entry: KnowledgeEntry) -> None:
    """Art. 10: count a view of an entry (its ranking in the knowledge base)."""
    KnowledgeEntry.objects.filter(pk=entry.pk).update(views=F("views") + 1)


def note_asked(entries: Sequence[KnowledgeEntry]) -> None:
    """Art. 10: count that an entry was suggested for a question a citizen asked."""
    KnowledgeEntry.objects.filter(pk__in=[entry.pk for entry in entries]).update(asks=F("asks") + 1)


def draft_knowledge_entry(case: Case, *, actor, topic: str = KnowledgeEntry.Topic.OTHER) -> KnowledgeEntry:
    """Art. 10: curate an answered case into a (not yet current) knowledge entry, masked."""
    from govsite.cases import knowledge

    return knowledge.draft_from_case(case, actor=actor, topic=topic)


# --- statistics (rules in statistics.py) ------------------------------------------------------


def public_statistics(gov_site: GovSite, year: int):
    """Art. 10: received, answered, overdue and average handling working days per unit and month."""
    from govsite.cases import statistics

    return statistics.for_site(gov_site, year)


def statistics_xlsx(stats) -> bytes:
    """Art. 10: the statistics as an xlsx workbook (openpyxl)."""
    from govsite.cases import statistics

    return statistics.to_xlsx(stats)
