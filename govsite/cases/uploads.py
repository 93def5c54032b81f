"""Attachments of public submissions, checked by what they contain, never by their name (issue 6 part 7).

Accepted: PDF, PNG, JPEG and Word (.docx). The type is read from the first bytes (magic numbers);
the file's extension must agree with it. Refused with a Chinese message: executables, scripts and
HTML under any name, anything whose content does not match its extension (an .exe renamed .pdf, HTML
renamed .png), images that do not decode or would decode into too many pixels, PDFs with active
content (JavaScript, launch actions, embedded files), .docx files that are zip bombs (too many
entries, too large unpacked, too high a ratio) or carry macros, and files over the size limit.

The content type given to `services` is the one read from the content, never the browser's.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

ATTACHMENTS_MAX = 3  # defaults; services.ATTACHMENTS_MAX / ATTACHMENT_BYTES_MAX win when defined
ATTACHMENT_BYTES_MAX = 5 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
MAX_NAME_LENGTH = 100
DOCX_MAX_ENTRIES = 500
DOCX_MAX_UNPACKED = 50 * 1024 * 1024
DOCX_MAX_RATIO = 100

KINDS = {  # kind: (content type, extensions, label)
    "pdf": ("application/pdf", (".pdf",), "PDF"),
    "png": ("image/png", (".png",), "PNG 图片"),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg"), "JPEG 图片"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
        "Word 文档（.docx）",
    ),
}
ACCEPT = ",".join(ext for _, extensions, _ in KINDS.values() for ext in extensions)
ALLOWED_TEXT = "PDF、PNG、JPG、DOCX"

EXECUTABLE_MAGIC = (
    b"MZ",  # Windows PE
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",
    b"\x00asm",
)
MARKUP = re.compile(
    rb"^\s*(<\?xml|<!doctype|<html|<head|<body|<script|<svg|<iframe|<a\s|<img|<div|<meta)", re.I
)
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z])")
NAME_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedFile:
    """An attachment that passed every check (satisfies services.UploadLike)."""

    name: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


def _refuse(name: str, message: str, code: str) -> ValidationError:
    return ValidationError(f"附件“{name}”{message}", code=code)


def safe_name(name: str) -> str:
    """The file name without directories and control characters, at most 100 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = NAME_UNSAFE.sub("_", name).strip(" .") or "附件"
    if len(name) > MAX_NAME_LENGTH:
        _stem, dot, ext = name.rpartition(".")
        keep = ("." + ext) if dot and len(ext) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(keep)] + keep
    return name


def sniff(content: bytes) -> str:
    """The kind read from the first bytes: pdf, png, jpeg, zip, executable, markup or ""."""
    head = content[:1024]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(EXECUTABLE_MAGIC):
        return "executable"
    if MARKUP.match(head.lstrip(b"\xef\xbb\xbf")):
        return "markup"
    return ""


def limits() -> tuple[int, int]:
    """(most attachments, most bytes each): the services' constants, these defaults otherwise."""
    from govsite.cases import services

    return (
        getattr(services, "ATTACHMENTS_MAX", ATTACHMENTS_MAX),
        getattr(services, "ATTACHMENT_BYTES_MAX", ATTACHMENT_BYTES_MAX),
    )


def _read(upload: UploadedFile, name: str) -> bytes:
    chunks, size = [], 0
    most = limits()[1]
    for chunk in upload.chunks():
        size += len(chunk)
        if size > most:
            raise _refuse(name, f"超过 {most / (1024 * 1024):g} MB，请压缩后再上传。", "too_large")
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise _refuse(name, "是空文件。", "empty")
    return content


def check(upload: UploadedFile) -> CheckedFile:
    """The attachment as services receive it; ValidationError (Chinese, with a code) when refused."""
    name = safe_name(upload.name or "")
    content = _read(upload, name)
    kind = sniff(content)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if kind == "executable":
        raise _refuse(name, "是可执行程序或脚本，不能上传。", "executable")
    if kind == "markup":
        raise _refuse(name, "是网页（HTML）或脚本文件，不能上传。", "markup")
    if kind == "zip":
        kind = "docx" if extension == ".docx" else "zip"
    if kind not in KINDS:
        raise _refuse(name, f"的格式不受支持，只能上传 {ALLOWED_TEXT} 文件。", "unsupported_type")
    content_type, extensions, label = KINDS[kind]
    if extension not in extensions:
        raise _refuse(name, f"的扩展名与文件内容（{label}）不符，请检查后重新上传。", "extension_mismatch")
    CHECKS[kind](content, name)
    return CheckedFile(name=name, content_type=content_type, content=content)


def check_all(uploads: Iterable[UploadedFile]) -> list[CheckedFile]:
    """Every attachment checked; all problems reported at once."""
    uploads = [upload for upload in uploads if upload]
    most = limits()[0]
    if len(uploads) > most:
        raise ValidationError(f"最多上传 {most} 个附件。", code="too_many")
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check(upload))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


# --- per kind -----------------------------------------------------------------------------------


def _check_image(content: bytes, name: str) -> None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(content)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise _refuse(name, "的图片尺寸过大（像素过多），请缩小后再上传。", "image_too_large")
            image.verify()
    except ValidationError:
        raise
    except Exception as error:  # Pillow raises many kinds for a broken file, bombs included
        raise _refuse(name, "不是完整有效的图片文件。", "image_invalid") from error


def _check_pdf(content: bytes, name: str) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise _refuse(name, "不是完整有效的 PDF 文件。", "pdf_invalid")
    if PDF_ACTIVE.search(content):
        raise _refuse(name, "含有脚本、启动程序或嵌入文件等活动内容，不能上传。", "pdf_active")


def _check_docx(content: bytes, name: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            entries = archive.infolist()
            if len(entries) > DOCX_MAX_ENTRIES:
                raise _refuse(name, "内部文件过多，不能上传。", "zip_bomb")
            unpacked = sum(entry.file_size for entry in entries)
            if unpacked > DOCX_MAX_UNPACKED or unpacked > DOCX_MAX_RATIO * max(len(content), 1):
                raise _refuse(name, "解压后体积异常（疑似压缩炸弹），不能上传。", "zip_bomb")
            names = {entry.filename for entry in entries}
            if "[Content_Types].xml" not in names or "word/document.xml" not in names:
                raise _refuse(name, "不是有效的 Word（.docx）文档。", "docx_invalid")
            if any(entry.lower().endswith(("vbaproject.bin", ".exe", ".dll", ".js")) for entry in names):
                raise _refuse(name, "含有宏或程序，不能上传。", "docx_macro")
    except zipfile.BadZipFile as error:
        raise _refuse(name, "不是有效的 Word（.docx）文档。", "docx_invalid") from error


CHECKS = {"pdf": _check_pdf, "png": _check_image, "jpeg": _check_image, "docx": _check_docx}
