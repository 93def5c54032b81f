"""The public face of the case engine (issue 6 parts 1, 4-7): forms, receipts, look-up and rating,
published letters and error reports, the knowledge base, statistics and the captcha.

Thin on purpose: every rule is in `services`. What the views add is the web's part of
"acknowledged only after commit" (a 303 to a receipt page that reads the receipt the service
returned, signed, never recomputed), refusals in Chinese with 400/429/503 and nothing stored, and the
abuse protections in front of every POST (rate limit per address, captcha).
"""

from __future__ import annotations

import datetime
import logging
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.models import Site

from govsite import throttle
from govsite.cases import captcha, forms, published_forms, services
from govsite.cases.front_intake import RECEIPT_COOKIE, RECEIPT_SALT, RECEIPT_SECONDS
from govsite.cases.models import Case, KnowledgeEntry, Mailbox
from govsite.search.views import current_site
from govsite.sites.models import GovSite

logger = logging.getLogger("govsite.cases")

TICKET_SALT = "govsite.cases.lookup"
TICKET_SECONDS = 60 * 60
PER_PAGE = 15
SUGGEST_MIN_CHARS = 2
SUGGEST_MAX_CHARS = 100
SUGGEST_CACHE_SECONDS = 60
UNAVAILABLE = "系统暂时无法保存您的提交，您的内容尚未提交，也没有生成受理编号。请稍后再试；您填写的内容仍保留在下面的表格中。"
BAD_ENCODING = "提交的内容编码不正确，无法识别。请使用常用浏览器直接在本页面填写（UTF-8 编码）后重新提交。"
CAPTCHA_FIELDS = {"captcha_token", "captcha_answer", "suggested"}


# --- common parts -------------------------------------------------------------------------------


def site_of(request: HttpRequest) -> GovSite:
    site = current_site(request)
    if site is None:
        raise Http404("网站不存在")
    return site


def _captcha_context(request: HttpRequest) -> dict:
    """A fresh captcha; in the publisher's rendering of a mailbox, the placeholders the front fills."""
    placeholders = published_forms.template_context(request)
    if placeholders is not None:
        return {**placeholders, "captcha_length": captcha.LENGTH}
    token, _answer = captcha.issue()
    return {"captcha_token": token, "captcha_length": captcha.LENGTH}


def _page(request: HttpRequest, items, per_page: int = PER_PAGE):
    number = request.GET.get("page", "1")
    return Paginator(items, per_page).get_page(number if number.isdigit() and len(number) < 7 else 1)


def _refused_rate(
    request: HttpRequest, decision: throttle.Decision, template: str, context: dict
) -> HttpResponse:
    context = {**context, "refusal": decision.message}
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def _initial_from(request: HttpRequest) -> dict:
    """What the citizen typed, to show again in an unbound form (nothing is checked or spent)."""
    try:
        request.POST  # noqa: B018 - parse once; a post in another encoding has nothing to show
    except BadRequest:
        return {}
    return {
        key: request.POST.get(key, "")[:6000]
        for key in request.POST
        if key not in CAPTCHA_FIELDS and key != "csrfmiddlewaretoken"
    }


def _add_service_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _submitted(receipt: services.Receipt, kind_label: str) -> HttpResponse:
    """303 to the receipt page, with the receipt the service returned after commit, signed."""
    case = receipt.case
    value = {
        "r": receipt.receipt_number,
        "c": receipt.query_code,
        "k": kind_label,
        "u": case.unit.name if case.unit_id else "",
        "d": case.due_on.isoformat() if case.due_on else "",
        "p": bool(case.due_provisional),
        "t": timezone.localtime(case.submitted_at).strftime("%Y-%m-%d %H:%M"),
    }
    response = HttpResponseRedirect(reverse("cases:receipt"))
    response.status_code = 303
    response["X-Receipt-Number"] = receipt.receipt_number
    response.set_cookie(
        RECEIPT_COOKIE,
        signing.dumps(value, salt=RECEIPT_SALT, compress=True),
        max_age=RECEIPT_SECONDS,
        path="/hudong/",
        httponly=True,
        samesite="Strict",
        secure=_secure_cookies(),
    )
    return response


def _secure_cookies() -> bool:
    return bool(settings.SESSION_COOKIE_SECURE)


def submission_view(
    request: HttpRequest, *, form_class, template: str, context, scope: str, submit, kind_label: str
) -> HttpResponse:
    """GET shows the form; POST: rate limit, form and captcha, service, 303 to the receipt.

    `context()` gives what the page shows besides the form (called only when a page is rendered,
    so an accepted POST reads nothing it does not need); `submit(form)` calls the service and
    returns its Receipt. Refusals render the form again with every message and a fresh captcha
    (400), or say when to try again (429); a database failure stores nothing, gives no receipt
    and keeps what was typed (503).
    """

    def page(form, status: int = 200, refusal: str = "") -> HttpResponse:
        values = {**context(), "form": form, "refusal": refusal, **_captcha_context(request)}
        return render(request, template, values, status=status)

    if request.method != "POST":
        return page(form_class(initial=context().get("initial")))
    try:
        decision = throttle.check_request(request, scope)
        if not decision.allowed:
            response = page(form_class(initial=_initial_from(request)), 429, decision.message)
            response["Retry-After"] = str(decision.retry_after)
            return response
        try:
            form = form_class(request.POST, request.FILES)
        except BadRequest:  # a form post not in UTF-8 (Django reads nothing else)
            return page(form_class(), 400, BAD_ENCODING)
        if form.is_valid():
            try:
                receipt = submit(form)
            except ValidationError as error:
                _add_service_errors(form, error)
            else:
                return _submitted(receipt, kind_label)
        return page(form, 400)
    except DatabaseError:
        logger.exception("cases: a public submission could not be stored (%s)", scope)
        return page(form_class(initial=_initial_from(request)), 503, UNAVAILABLE)


# --- interaction home and mailboxes -------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """互动交流 (Art. 10): this site's mailboxes and the other channels."""
    site = site_of(request)
    mailboxes = services.mailboxes_of(site)
    return render(
        request,
        "cases/home.html",
        {
            "title": "互动交流",
            "mailboxes": mailboxes,
            "kinds": _grouped(mailboxes),
        },
    )


def _grouped(mailboxes: list[Mailbox]) -> list[tuple[str, list[Mailbox]]]:
    groups: dict[str, list[Mailbox]] = {}
    for mailbox in mailboxes:
        groups.setdefault(mailbox.get_kind_display(), []).append(mailbox)
    return list(groups.items())


@require_GET
def channel_redirect(request: HttpRequest, channel: str) -> HttpResponse:
    """The home page's old entrances (/hudong/mayor/, /department/, /disclosure/) lead on."""
    site = site_of(request)
    if channel == "disclosure":
        return HttpResponseRedirect(reverse("cases:disclosure"))
    if channel == "mayor":
        for mailbox in services.mailboxes_of(site):
            if mailbox.kind in (Mailbox.Kind.MAYOR, Mailbox.Kind.COUNTY):
                return HttpResponseRedirect(reverse("cases:mailbox", args=[mailbox.slug]))
    if channel in {"mayor", "department"}:
        return HttpResponseRedirect(reverse("cases:home") + "#mailboxes")
    raise Http404("页面不存在")


def _mailbox_or_404(request: HttpRequest, slug: str) -> tuple[GovSite, Mailbox]:
    site = site_of(request)
    mailbox = services.mailbox_by_slug(site, slug)
    if mailbox is None:
        raise Http404("信箱不存在")
    return site, mailbox


@require_http_methods(["GET", "POST"])
def mailbox(request: HttpRequest, slug: str) -> HttpResponse:
    """A mailbox: its form (Art. 10), knowledge suggestions beside it, and its published letters (Art. 16)."""
    site, box = _mailbox_or_404(request, slug)

    def context() -> dict:
        letters = _page(request, services.published_cases(site, Case.Kind.LETTER, box))
        return {
            "title": box.name,
            "mailbox": box,
            "letters": letters,
            "records": [services.public_record(case) for case in letters],
        }

    def submit(form: forms.LetterForm) -> services.Receipt:
        receipt = services.submit_letter(box, form.data_for_service(), form.cleaned_data["attachments"])
        asked = form.suggested_ids()
        if asked:
            services.note_asked(list(KnowledgeEntry.objects.filter(pk__in=asked, is_current=True)))
        return receipt

    return submission_view(
        request,
        form_class=forms.LetterForm,
        template="cases/mailbox.html",
        context=context,
        scope="letter",
        submit=submit,
        kind_label=box.name,
    )


@require_GET
def letter(request: HttpRequest, slug: str, receipt_number: str) -> HttpResponse:
    """A published letter and its reply, masked (Art. 16)."""
    site, box = _mailbox_or_404(request, slug)
    case = (
        services.published_cases(site, Case.Kind.LETTER, box)
        .filter(receipt_number=receipt_number[:20])
        .first()
    )
    if case is None:
        raise Http404("来信不存在或未公开")
    record = services.public_record(case)
    return render(
        request, "cases/published_case.html", {"title": record.subject, "record": record, "mailbox": box}
    )


# --- error reports ------------------------------------------------------------------------------


def site_of_url(url: str, fallback: GovSite) -> GovSite:
    """The site a reported page belongs to (Art. 18: its host unit answers), else this site."""
    host = (urlsplit(url).hostname or "").lower() if url else ""
    if host:
        site = Site.objects.filter(hostname=host).first()
        if site is not None:
            found = GovSite.objects.filter(site=site).select_related("site").first()
            if found is not None:
                return found
    return fallback


@require_http_methods(["GET", "POST"])
def error_report(request: HttpRequest) -> HttpResponse:
    """我为政府网站找错 (Art. 18): every footer links here with ?url=<the page>."""
    site = site_of(request)
    reported = request.GET.get("url", "")[: forms.URL_MAX]

    def context() -> dict:
        return {"title": "我为政府网站找错", "reported_url": reported, "initial": {"page_url": reported}}

    def submit(form: forms.ErrorReportForm) -> services.Receipt:
        data = form.data_for_service()
        return services.submit_error_report(
            site_of_url(data.page_url, site), data, form.cleaned_data["attachments"]
        )

    return submission_view(
        request,
        form_class=forms.ErrorReportForm,
        template="cases/error_report.html",
        context=context,
        scope="error_report",
        submit=submit,
        kind_label="网站纠错",
    )


@require_GET
def error_reports(request: HttpRequest) -> HttpResponse:
    """Every error report of this site with its outcome, unless withheld with a reason (Art. 18)."""
    site = site_of(request)
    page = _page(request, services.published_cases(site, Case.Kind.ERROR_REPORT))
    return render(
        request,
        "cases/error_reports.html",
        {
            "title": "网站纠错公开",
            "page_obj": page,
            "records": [services.public_record(case) for case in page],
        },
    )


@require_GET
def error_report_detail(request: HttpRequest, receipt_number: str) -> HttpResponse:
    site = site_of(request)
    case = (
        services.published_cases(site, Case.Kind.ERROR_REPORT)
        .filter(receipt_number=receipt_number[:20])
        .first()
    )
    if case is None:
        raise Http404("纠错留言不存在或未公开")
    record = services.public_record(case)
    return render(request, "cases/published_case.html", {"title": record.subject, "record": record})


# --- disclosure requests ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def disclosure(request: HttpRequest) -> HttpResponse:
    """依申请公开 (政府信息公开条例 Art. 29; answered within 20 working days, Art. 33)."""
    site = site_of(request)

    def context() -> dict:
        return {"title": "政府信息公开申请", "institution": site.institution}

    def submit(form: forms.DisclosureForm) -> services.Receipt:
        return services.submit_disclosure_request(
            site, form.data_for_service(), form.cleaned_data["attachments"]
        )

    return submission_view(
        request,
        form_class=forms.DisclosureForm,
        template="cases/disclosure.html",
        context=context,
        scope="disclosure",
        submit=submit,
        kind_label="政府信息公开申请",
    )


# --- receipt, look-up, rating -------------------------------------------------------------------


@never_cache
@require_GET
def receipt(request: HttpRequest) -> HttpResponse:
    """The receipt of the submission just committed: number, query code, how to look it up."""
    try:
        value = signing.loads(
            request.COOKIES.get(RECEIPT_COOKIE, ""), salt=RECEIPT_SALT, max_age=RECEIPT_SECONDS
        )
    except signing.BadSignature:
        value = None
    if not isinstance(value, dict) or not value.get("r"):
        return render(request, "cases/receipt.html", {"title": "提交回执", "missing": True}, status=404)
    due = datetime.date.fromisoformat(value["d"]) if value.get("d") else None
    return render(
        request,
        "cases/receipt.html",
        {
            "title": "提交成功",
            "receipt_number": value["r"],
            "query_code": value["c"],
            "kind_label": value.get("k", ""),
            "unit": value.get("u", ""),
            "due_on": due,
            "due_provisional": value.get("p", False),
            "deadline_workdays": value.get("w"),
            "submitted_at": value.get("t", ""),
        },
    )


def _ticket(case: Case) -> str:
    return signing.dumps({"c": case.pk, "r": case.receipt_number}, salt=TICKET_SALT)


def _case_of_ticket(ticket: str) -> Case | None:
    try:
        value = signing.loads(ticket or "", salt=TICKET_SALT, max_age=TICKET_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict):
        return None
    return Case.objects.filter(pk=value.get("c"), receipt_number=value.get("r")).first()


def _result(
    request: HttpRequest, case: Case, *, rating_form=None, status: int = 200, thanks: bool = False, refusal=""
):
    record = services.public_record(case)
    if record.can_rate and rating_form is None:
        rating_form = forms.RatingForm(initial={"ticket": _ticket(case)})
    return render(
        request,
        "cases/lookup.html",
        {
            "title": "办理结果查询",
            "record": record,
            "rating_form": rating_form if record.can_rate else None,
            "thanks": thanks,
            "refusal": refusal,
            "form": forms.LookUpForm(initial={"receipt_number": case.receipt_number}),
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def look_up(request: HttpRequest) -> HttpResponse:
    """查询: receipt number and query code give the status, the public steps and the reply."""
    context = {"title": "办理结果查询"}
    if request.method != "POST":
        initial = {"receipt_number": request.GET.get("r", "")[: forms.RECEIPT_MAX]}
        return render(request, "cases/lookup.html", {**context, "form": forms.LookUpForm(initial=initial)})
    try:
        decision = throttle.check_request(request, "lookup")
        if not decision.allowed:
            form = forms.LookUpForm(initial=_initial_from(request))
            return _refused_rate(request, decision, "cases/lookup.html", {**context, "form": form})
        try:
            form = forms.LookUpForm(request.POST)
        except BadRequest:
            return render(
                request,
                "cases/lookup.html",
                {**context, "form": forms.LookUpForm(), "refusal": BAD_ENCODING},
                status=400,
            )
        if form.is_valid():
            case = services.look_up(form.cleaned_data["receipt_number"], form.cleaned_data["query_code"])
            if case is not None:
                return _result(request, case)
            spooled = services.spooled_letter(
                form.cleaned_data["receipt_number"], form.cleaned_data["query_code"]
            )
            if spooled is not None:
                return render(request, "cases/lookup.html", {**context, "form": form, "spooled": spooled})
            form.add_error(
                None, ValidationError("受理编号或查询码不正确，请核对回执后重新输入。", code="not_found")
            )
        return render(request, "cases/lookup.html", {**context, "form": form}, status=400)
    except DatabaseError:
        logger.exception("cases: look-up failed")
        form = forms.LookUpForm(initial=_initial_from(request))
        message = "系统暂时无法查询，请稍后再试。"
        return render(request, "cases/lookup.html", {**context, "form": form, "refusal": message}, status=503)


@never_cache
@require_http_methods(["POST"])
def rate(request: HttpRequest) -> HttpResponse:
    """满意度评价: once, after the reply was sent (the signed look-up names the case)."""
    context = {"title": "办理结果查询", "form": forms.LookUpForm()}
    decision = throttle.check_request(request, "rating")
    if not decision.allowed:
        return _refused_rate(request, decision, "cases/lookup.html", context)
    try:
        form = forms.RatingForm(request.POST)
    except BadRequest:
        return render(request, "cases/lookup.html", {**context, "refusal": BAD_ENCODING}, status=400)
    case = _case_of_ticket(request.POST.get("ticket", "")[:300])
    if case is None:
        message = "查询已过期，请重新输入受理编号和查询码后再评价。"
        return render(request, "cases/lookup.html", {**context, "refusal": message}, status=400)
    if form.is_valid():
        try:
            services.rate(case, form.cleaned_data["score"], form.cleaned_data["comment"])
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            case.refresh_from_db()
            return _result(request, case, thanks=True)
    refusal = " ".join(form.non_field_errors())
    return _result(request, case, rating_form=form, status=400, refusal=refusal)


# --- knowledge base -----------------------------------------------------------------------------


@require_GET
def knowledge(request: HttpRequest) -> HttpResponse:
    """知识库 (Art. 10): search by words and topic, most viewed and asked first."""
    form = forms.KnowledgeSearchForm(request.GET or None, topics=KnowledgeEntry.Topic.choices)
    query, topic = "", ""
    if form.is_valid():
        query, topic = form.cleaned_data["q"].strip(), form.cleaned_data["topic"]
    page = _page(request, services.search_knowledge(query, topic))
    return render(
        request,
        "cases/knowledge.html",
        {
            "title": "知识库",
            "form": form,
            "page_obj": page,
            "query": query,
            "topic": topic,
            "extra": "&" + urlencode({"q": query, "topic": topic}),
        },
    )


@require_GET
def knowledge_entry(request: HttpRequest, pk: int) -> HttpResponse:
    entry = KnowledgeEntry.objects.filter(pk=pk, is_current=True).select_related("unit").first()
    if entry is None:
        raise Http404("条目不存在")
    services.note_view(entry)
    return render(request, "cases/knowledge_entry.html", {"title": entry.question, "entry": entry})


@require_GET
def knowledge_suggest(request: HttpRequest) -> JsonResponse:
    """Entries that may already answer what the citizen is typing (a JSON list, for the mailbox form)."""
    text = " ".join(request.GET.get("q", "")[:SUGGEST_MAX_CHARS].split())
    entries = services.suggest_answers(text, current_site(request)) if len(text) >= SUGGEST_MIN_CHARS else []
    items = [
        {
            "id": entry.pk,
            "question": entry.question,
            "topic": entry.get_topic_display(),
            "url": reverse("cases:knowledge_entry", args=[entry.pk]),
        }
        for entry in entries
    ]
    response = JsonResponse(items, safe=False, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = f"public, max-age={SUGGEST_CACHE_SECONDS}"
    return response


# --- statistics ---------------------------------------------------------------------------------


@require_GET
def statistics(request: HttpRequest) -> HttpResponse:
    """统计 (Art. 10): received, answered, overdue and handling days per unit and month; xlsx."""
    site = site_of(request)
    this_year = timezone.localdate().year
    year_text = request.GET.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= this_year else this_year
    stats = services.public_statistics(site, year)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            services.statistics_xlsx(stats),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="cases-statistics-{site.slug}-{year}.xlsx"'
        return response
    return render(
        request,
        "cases/statistics.html",
        {
            "title": "办理情况统计",
            "stats": stats,
            "year": year,
            "years": list(range(this_year, max(this_year - 5, 1999), -1)),
            "chart": _chart(stats),
        },
    )


CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_LEFT, BAR = 640, 240, 20, 40, 16


def _chart(stats) -> dict:
    """An SVG bar chart of received and answered cases per month (no script: drawn on the server)."""
    months = list(stats.months)
    top = max([month.received for month in months] + [1])
    plot = CHART_HEIGHT - CHART_TOP - 30
    step = (CHART_WIDTH - CHART_LEFT - 10) / max(len(months), 1)
    bars = []
    for index, month in enumerate(months):
        x = CHART_LEFT + index * step + step / 2 - BAR
        received = plot * month.received / top
        answered = plot * month.answered / top
        bars.append(
            {
                "label": month.label,
                "label_x": round(x + BAR, 1),
                "received": {
                    "x": round(x, 1),
                    "y": round(CHART_TOP + plot - received, 1),
                    "h": round(received, 1),
                },
                "answered": {
                    "x": round(x + BAR, 1),
                    "y": round(CHART_TOP + plot - answered, 1),
                    "h": round(answered, 1),
                },
                "row": month,
            }
        )
    ticks = sorted({0, top // 2, top})
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "base": CHART_TOP + plot,
        "label_y": CHART_TOP + plot + 18,
        "bar": BAR,
        "bars": bars,
        "ticks": [{"value": value, "y": round(CHART_TOP + plot - plot * value / top, 1)} for value in ticks],
        "left": CHART_LEFT,
        "right": CHART_WIDTH - 10,
    }


# --- captcha ------------------------------------------------------------------------------------


def _token(request: HttpRequest) -> str:
    return request.GET.get("t", "")[: captcha.MAX_TOKEN_LENGTH + 1]


def _captcha_refused(error: ValidationError) -> HttpResponse:
    response = HttpResponse(" ".join(error.messages), status=400, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def captcha_image(request: HttpRequest) -> HttpResponse:
    try:
        content = captcha.image_png(_token(request))
    except ValidationError as error:
        return _captcha_refused(error)
    response = HttpResponse(content, content_type="image/png")
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def captcha_audio(request: HttpRequest) -> HttpResponse:
    """The same code spoken (§5.2): a WAV synthesized here, digits in Mandarin, twice."""
    try:
        content = captcha.audio_wav(_token(request))
    except ValidationError as error:
        return _captcha_refused(error)
    response = HttpResponse(content, content_type="audio/wav")
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="captcha.wav"'
    return response


@never_cache
@require_GET
def captcha_new(request: HttpRequest) -> JsonResponse:
    """A fresh captcha for the “换一张” button."""
    token, _answer = captcha.issue()
    return JsonResponse(
        {
            "token": token,
            "image": reverse("cases:captcha_image") + "?t=" + quote(token),
            "audio": reverse("cases:captcha_audio") + "?t=" + quote(token),
        }
    )
