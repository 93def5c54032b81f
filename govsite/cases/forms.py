"""The public forms: mailbox letters, error reports, disclosure requests, look-up and rating (issue 6).

Forms read and check what arrived (lengths, encodings, attachments, captcha); the rules of the
regulation are in `services`, which validates again and raises Chinese ValidationErrors that the
views attach to these forms. Text is kept as plain text: markup is stripped (nh3) and whatever is
left is escaped when shown.
"""

from __future__ import annotations

import html

import nh3
from django import forms
from django.core.exceptions import ValidationError

from govsite.cases import captcha, services, uploads
from govsite.cases.rules import REPLACEMENT, TAG

RECEIPT_MAX = 20
CODE_MAX = 20
PHONE_MAX = 30
EMAIL_MAX = 254
URL_MAX = 500
ID_MAX = 30
HIDDEN_FIELDS = {"captcha_token", "captcha_answer", "suggested"}


def plain_text(value: str) -> str:
    """Text without markup: tags (and the content of script and style) removed by nh3, entities
    read back as the characters they stand for. Text without a tag is left exactly as typed."""
    if not TAG.search(value):
        return value
    return html.unescape(nh3.clean(value, tags=set(), attributes={}, strip_comments=True))


def _messages(label: str, limit: int | None = None) -> dict[str, str]:
    messages = {"required": f"请填写{label}。", "null_characters_not_allowed": f"{label}含有不允许的空字符。"}
    if limit:
        messages["max_length"] = f"{label}不能超过{limit}个字（现有%(show_value)d个字）。"
    return messages


class TextField(forms.CharField):
    """A CharField that refuses undecodable text (a wrong encoding) and strips markup."""

    def __init__(self, label: str, max_length: int, *, required: bool = True, **kwargs) -> None:
        super().__init__(
            label=label,
            max_length=max_length,
            required=required,
            error_messages=_messages(label, max_length),
            **kwargs,
        )

    def to_python(self, value):
        text = super().to_python(value)
        if REPLACEMENT in text:
            raise ValidationError(
                f"{self.label}含有无法识别的字符，请使用简体中文（UTF-8 编码）重新填写。", code="bad_encoding"
            )
        return plain_text(text)


def _text(label: str, max_length: int, *, required: bool = True, rows: int = 0, **attrs) -> TextField:
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    return TextField(label, max_length, required=required, widget=widget)


class CaptchaForm(forms.Form):
    """Every public form ends with the captcha (issue 6 part 7): picture, audio, an answer box."""

    captcha_token = forms.CharField(
        widget=forms.HiddenInput, required=False, max_length=captcha.MAX_TOKEN_LENGTH
    )
    captcha_answer = forms.CharField(
        label="验证码",
        required=False,
        max_length=captcha.MAX_ANSWER_LENGTH,
        error_messages={"max_length": "验证码不正确，请换一张后重新填写。"},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "class": "captcha-answer", "size": 8}
        ),
        help_text=f"请输入图片中的{captcha.LENGTH}位数字；看不清可点“换一张”，或播放上方的语音验证码。",
    )

    def public_fields(self) -> list[forms.BoundField]:
        """The fields the citizen fills in, in order (the captcha is rendered by its own include)."""
        return [field for field in self if field.name not in HIDDEN_FIELDS]

    def clean(self):
        cleaned = super().clean()
        if "captcha_token" in cleaned and "captcha_answer" in cleaned:
            try:
                captcha.verify(cleaned["captcha_token"], cleaned["captcha_answer"])
            except ValidationError as error:
                self.add_error("captcha_answer", error)
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to three attachments, each checked by content (`uploads.check_all`)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs) -> None:
        most, size = uploads.limits()
        kwargs.setdefault(
            "help_text",
            f"可选。最多{most}个，每个不超过{size // (1024 * 1024)}MB，支持{uploads.ALLOWED_TEXT}格式。",
        )
        super().__init__(label="附件", required=False, **kwargs)
        self.widget.attrs.update({"accept": uploads.ACCEPT, "multiple": True})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return uploads.check_all(files)


class LetterForm(CaptchaForm):
    """A letter to a mailbox (Art. 10); field names are part of the benchmark's contract."""

    subject = _text("标题", services.SUBJECT_MAX, maxlength=services.SUBJECT_MAX)
    body = _text(
        "来信内容", services.BODY_MAX, rows=10, maxlength=services.BODY_MAX, **{"data-knowledge": "1"}
    )
    name = _text("姓名", services.NAME_MAX, autocomplete="name")
    phone = _text("联系电话", PHONE_MAX, autocomplete="tel", inputmode="tel")
    email = _text("电子邮箱", EMAIL_MAX, required=False, autocomplete="email", inputmode="email")
    address = _text("通信地址", services.ADDRESS_MAX, required=False, autocomplete="street-address")
    id_number = _text("身份证号码", ID_MAX, required=False)
    wants_public = forms.BooleanField(
        label="同意在审核后公开来信及答复（个人信息将隐去）", required=False, initial=True
    )
    attachments = AttachmentsField()
    suggested = forms.CharField(required=False, widget=forms.HiddenInput, max_length=200)

    def data_for_service(self) -> services.LetterData:
        data = self.cleaned_data
        return services.LetterData(
            subject=data["subject"],
            body=data["body"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
            address=data["address"],
            id_number=data["id_number"],
            wants_public=data["wants_public"],
        )

    def suggested_ids(self) -> list[int]:
        """The knowledge entries the page suggested while the citizen typed (counted as asked)."""
        text = self.cleaned_data.get("suggested") or ""
        return [int(part) for part in text.split(",") if part.isdigit() and len(part) <= 9][:10]


class ErrorReportForm(CaptchaForm):
    """我为政府网站找错 (Art. 18)."""

    page_url = _text("出错页面地址", URL_MAX, inputmode="url")
    error_type = forms.ChoiceField(
        label="错误类型",
        choices=[("", "请选择"), *services.ERROR_TYPES],
        error_messages={"required": "请选择错误类型。", "invalid_choice": "请选择错误类型。"},
    )
    description = _text("问题描述", services.BODY_MAX, rows=6, maxlength=services.BODY_MAX)
    name = _text("姓名", services.NAME_MAX, required=False, autocomplete="name")
    phone = _text("联系电话", PHONE_MAX, required=False, autocomplete="tel", inputmode="tel")
    email = _text("电子邮箱", EMAIL_MAX, required=False, autocomplete="email", inputmode="email")
    attachments = AttachmentsField(
        help_text="可选。可上传页面截图（PNG、JPG）或PDF，最多3个，每个不超过5MB。"
    )

    def data_for_service(self) -> services.ErrorReportData:
        data = self.cleaned_data
        return services.ErrorReportData(
            page_url=data["page_url"],
            error_type=data["error_type"],
            description=data["description"],
            name=data["name"],
            phone=data["phone"],
            email=data["email"],
        )


def _choice(label: str, choices, *, radio: bool = True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        widget=forms.RadioSelect if radio else forms.Select,
        error_messages={"required": f"请选择{label}。", "invalid_choice": f"请选择{label}。"},
    )


class DisclosureForm(CaptchaForm):
    """依申请公开: the fields 政府信息公开条例 Art. 29 asks for."""

    applicant_type = _choice("申请人类型", services.APPLICANT_TYPES)
    name = _text("姓名（联系人）", services.NAME_MAX, autocomplete="name")
    organization = _text("法人或者其他组织名称", 100, required=False)
    legal_representative = _text("法定代表人或者负责人", services.NAME_MAX, required=False)
    id_type = _choice("证件类型", services.ID_TYPES, radio=False)
    id_number = _text("证件号码", ID_MAX)
    phone = _text("联系电话", PHONE_MAX, autocomplete="tel", inputmode="tel")
    email = _text("电子邮箱", EMAIL_MAX, required=False, autocomplete="email", inputmode="email")
    address = _text("通信地址", services.ADDRESS_MAX, required=False, autocomplete="street-address")
    postcode = _text("邮政编码", 6, required=False, inputmode="numeric", autocomplete="postal-code")
    description = _text(
        "所需政府信息的名称、文号或者便于查询的其他特征性描述",
        services.BODY_MAX,
        rows=6,
        maxlength=services.BODY_MAX,
    )
    delivery = _choice("获取信息的方式", services.DELIVERY_CHOICES)
    medium = _choice("信息的载体形式", services.MEDIUM_CHOICES)
    fee_waiver = forms.BooleanField(label="申请减免信息处理费", required=False)
    attachments = AttachmentsField(
        help_text="可选。如身份证明、委托书等（PDF、PNG、JPG、DOCX），最多3个，每个不超过5MB。"
    )

    def data_for_service(self) -> services.DisclosureData:
        data = self.cleaned_data
        return services.DisclosureData(
            applicant_type=data["applicant_type"],
            name=data["name"],
            id_type=data["id_type"],
            id_number=data["id_number"],
            organization=data["organization"],
            legal_representative=data["legal_representative"],
            phone=data["phone"],
            email=data["email"],
            address=data["address"],
            postcode=data["postcode"],
            description=data["description"],
            delivery=data["delivery"],
            medium=data["medium"],
            fee_waiver=data["fee_waiver"],
        )


class LookUpForm(forms.Form):
    """Receipt number and query code, as on the receipt page."""

    receipt_number = TextField("受理编号", RECEIPT_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    query_code = TextField("查询码", CODE_MAX, widget=forms.TextInput(attrs={"autocomplete": "off"}))


class RatingForm(forms.Form):
    """满意度评价, after the reply was sent; `ticket` is the signed look-up (no query code resent)."""

    ticket = forms.CharField(widget=forms.HiddenInput, max_length=300)
    score = forms.TypedChoiceField(
        label="您对办理结果是否满意",
        choices=services.RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意度。", "invalid_choice": "请选择满意度。"},
    )
    comment = _text("评价意见", 500, required=False, rows=3)


class KnowledgeSearchForm(forms.Form):
    q = forms.CharField(label="关键词", required=False, max_length=50)
    topic = forms.ChoiceField(label="主题", required=False, choices=[("", "全部主题")])

    def __init__(self, *args, topics=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [("", "全部主题"), *topics]
