"""Readable differences between two page revisions, for the audit trail (Art. 14: every edit with its diff).

`page_revision_diff` turns both revisions into plain text field by field (labels from the models'
verbose names, choices by their display, rich text without markup, child rows one per line) and
returns the fields that differ. `revision_sha256` fingerprints a revision's stored content, so an
audit record can prove later that the revision it names was not rewritten.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
from typing import Any, NamedTuple

from django.core.exceptions import ObjectDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

# Bookkeeping of the page tree and of Wagtail's publishing state: not what an editor changes.
INTERNAL_FIELDS = frozenset(
    {
        "id",
        "page_ptr",
        "path",
        "depth",
        "numchild",
        "translation_key",
        "locale",
        "latest_revision",
        "live",
        "has_unpublished_changes",
        "first_published_at",
        "last_published_at",
        "live_revision",
        "draft_title",
        "locked",
        "locked_at",
        "locked_by",
        "alias_of",
        "url_path",
        "owner",
        "content_type",
        "latest_revision_created_at",
        "sort_order",
    }
)


class FieldChange(NamedTuple):
    label: str
    before: str
    after: str


def _format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _field_text(obj: models.Model, field: models.Field) -> str:
    from wagtail.fields import RichTextField, StreamField
    from wagtail.rich_text import get_text_for_indexing

    if field.choices:
        return _format_value(getattr(obj, f"get_{field.name}_display")())
    if isinstance(field, models.ForeignKey):
        try:
            related = getattr(obj, field.name)
        except ObjectDoesNotExist:
            return f"#{getattr(obj, field.attname)}（已删除）"
        return _format_value(related)
    value = getattr(obj, field.attname)
    if isinstance(field, RichTextField):
        return get_text_for_indexing(value or "").strip()
    if isinstance(field, StreamField):
        return "\n".join(str(part) for part in field.stream_block.get_searchable_content(value) if part)
    return _format_value(value)


def _child_text(child: models.Model) -> str:
    from modelcluster.fields import ParentalKey

    parts = []
    for field in child._meta.concrete_fields:
        if field.primary_key or field.name in INTERNAL_FIELDS or isinstance(field, ParentalKey):
            continue
        text = _field_text(child, field)
        if text:
            parts.append(text)
    return " / ".join(parts)


def page_text_fields(page: models.Model) -> dict[str, tuple[str, str]]:
    """Field name → (label, plain text) for everything an editor sets on `page`, in model order."""
    from modelcluster.models import get_all_child_relations

    result: dict[str, tuple[str, str]] = {}
    for field in page._meta.concrete_fields:
        if field.name in INTERNAL_FIELDS or field.primary_key:
            continue
        result[field.name] = (capfirst(str(field.verbose_name)), _field_text(page, field))
    for field in page._meta.many_to_many:
        if field.name in INTERNAL_FIELDS:
            continue
        try:
            items = getattr(page, field.name).all()
        except (AttributeError, ValueError):
            continue
        result[field.name] = (capfirst(str(field.verbose_name)), "、".join(str(item) for item in items))
    for relation in get_all_child_relations(type(page)):
        name = relation.get_accessor_name()
        children = getattr(page, name).all()
        label = capfirst(str(relation.related_model._meta.verbose_name_plural))
        result[name] = (label, "\n".join(_child_text(child) for child in children))
    return result


def page_revision_diff(old_revision, new_revision) -> list[FieldChange]:
    """Art. 14: the fields that differ between two revisions of a page, as (label, before, after) text.

    `old_revision` may be None (the page's first revision): every filled-in field is then a change
    from "".
    """
    after = page_text_fields(new_revision.as_object())
    before = page_text_fields(old_revision.as_object()) if old_revision is not None else {}
    changes = []
    for name, (label, new_text) in after.items():
        old_text = before.get(name, (label, ""))[1]
        if old_text != new_text:
            changes.append(FieldChange(label, old_text, new_text))
    for name, (label, old_text) in before.items():
        if name not in after and old_text:
            changes.append(FieldChange(label, old_text, ""))
    return changes


def previous_revision(revision):
    """The revision of the same object saved just before `revision`, or None."""
    from wagtail.models import Revision

    return (
        Revision.objects.filter(
            base_content_type_id=revision.base_content_type_id,
            object_id=revision.object_id,
            pk__lt=revision.pk,
        )
        .order_by("-pk")
        .first()
    )


def revision_sha256(revision_id: int) -> str | None:
    """SHA-256 of a revision's content as stored (read back from the database, keys sorted)."""
    from wagtail.models import Revision

    content = Revision.objects.filter(pk=revision_id).values_list("content", flat=True).first()
    if content is None:
        return None
    canonical = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def inline_diff_html(before: str, after: str) -> SafeString:
    """`after` with deletions in <del> and insertions in <ins>, line by line then character by character
    (Chinese has no spaces to split words on); everything escaped."""
    old_lines, new_lines = before.splitlines(), after.splitlines()
    out: list[str] = []
    lines = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in lines.get_opcodes():
        if op == "equal":
            out.extend(escape(line) for line in new_lines[j1:j2])
        elif op == "replace" and i2 - i1 == j2 - j1:
            out.extend(
                _char_diff(old, new) for old, new in zip(old_lines[i1:i2], new_lines[j1:j2], strict=True)
            )
        else:
            out.extend(f"<del>{escape(line)}</del>" for line in old_lines[i1:i2])
            out.extend(f"<ins>{escape(line)}</ins>" for line in new_lines[j1:j2])
    return mark_safe("<br>".join(out))  # every piece above is escaped


def _char_diff(old: str, new: str) -> str:
    if len(old) * len(new) > 4_000_000:  # too long to align by character: show both lines whole
        return f"<del>{escape(old)}</del><br><ins>{escape(new)}</ins>"
    parts = []
    chars = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in chars.get_opcodes():
        if op == "equal":
            parts.append(escape(new[j1:j2]))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(old[i1:i2])}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(new[j1:j2])}</ins>")
    return "".join(parts)
