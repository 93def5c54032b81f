"""Masking of personal data in anything public (Art. 16, 18; 个人信息保护法 Art. 28).

Names become the surname and two stars (张**, whatever the length, so the length is not
told either); mobile and fixed-line numbers keep only their first three and last four digits;
18-digit ID numbers keep the region's first four and the last four characters; e-mail addresses
keep the first character and the domain; house numbers, buildings, units and rooms of an address
become stars. The same rules run over the body text, where the submitter's own contact data is
also masked wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

STARS = "**"
# Compound surnames that are masked as a whole (欧阳** rather than 欧**).
COMPOUND_SURNAMES = (
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "夏侯", "令狐", "端木",
)  # fmt: skip

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{3,4})(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")
_HOUSE_NUMBER = re.compile(r"[0-9０-９一二三四五六七八九十百零〇\-－]+(?=号楼|号|幢|栋|单元|室|层|楼|弄|组)")
_SELF_NAMED = re.compile(
    r"(我叫|本人|我是|姓名[:：]?\s*|联系人[:：]?\s*)([\u4e00-\u9fa5]{2,4})(?=[，,。.；;：:\s]|$)"
)
# Words after 我是 that describe a role rather than name a person.
_NOT_NAMES = (
    "市民",
    "居民",
    "村民",
    "业主",
    "家长",
    "学生",
    "老师",
    "群众",
    "网民",
    "本地",
    "外地",
    "一名",
    "一位",
)


def mask_name(name: str) -> str:
    """张三 / 张三丰 -> 张**; 欧阳修 -> 欧阳**; an empty name stays empty."""
    name = (name or "").strip()
    if not name:
        return ""
    surname = next((s for s in COMPOUND_SURNAMES if name.startswith(s) and len(name) > len(s)), name[0])
    return surname + STARS


def mask_phone(phone: str) -> str:
    """13812345678 -> 138****5678; 0513-85001234 -> 0513****1234."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:] if digits.startswith("1") else digits[:4] + "****" + digits[-4:]


def mask_id_number(value: str) -> str:
    """320602199001011234 -> 3206**********1234 (birth date and region detail hidden)."""
    value = (value or "").strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_email(value: str) -> str:
    """zhang.san@example.com -> z***@example.com."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", value or "")


def mask_address(value: str) -> str:
    """崇川区人民中路18号3幢201室 -> 崇川区人民中路**号**幢**室."""
    return _HOUSE_NUMBER.sub(STARS, value or "")


def mask_text(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """Mask personal data inside free text (a letter's body, a reply, a subject).

    `known` pairs (value, masked) of the submitter's own data are replaced first, wherever they
    appear; then ID numbers, phone numbers, e-mail addresses, house numbers and self-introduced
    names (我叫张三, 本人李四) are masked by pattern.
    """
    text = text or ""
    for value, masked in sorted(known, key=lambda pair: -len(pair[0])):
        if value and len(value) >= 2:
            text = text.replace(value, masked)
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    text = _MOBILE.sub(lambda m: f"{m.group(2)}****{m.group(4)}", text)
    text = _LANDLINE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = mask_email(text)
    text = mask_address(text)
    return _SELF_NAMED.sub(_mask_self_named, text)


def _mask_self_named(match: re.Match[str]) -> str:
    name = match.group(2)
    if name.startswith(_NOT_NAMES) or name.endswith(STARS):
        return match.group(0)
    return match.group(1) + mask_name(name)


def known_values(
    *, name: str = "", phone: str = "", email: str = "", id_number: str = "", address: str = ""
) -> list[tuple[str, str]]:
    """The submitter's own data and how each is shown, for `mask_text`."""
    pairs = [
        (name, mask_name(name)),
        (phone, mask_phone(phone)),
        (email, mask_email(email)),
        (id_number, mask_id_number(id_number)),
        (address, mask_address(address) if mask_address(address) != address else STARS),
    ]
    return [(value.strip(), masked) for value, masked in pairs if value and value.strip()]
