"""Mailbox pages published as files, for the front to serve and to take letters at (Art. 10, 19).

For every active mailbox of a site the publisher writes, under the mailbox's address:
- `.form.html`: the page exactly as the application renders it, with placeholders where the
  captcha token and the CSRF token go (the front fills them for each visitor, `front_intake.py`);
- `.form.json`: what the front needs to take a plain letter itself: the mailbox, its unit and
  deadline for the receipt, the site's time zone.

They are written with the site's other files (a full rebuild, a site rebuild) and again when a
mailbox changes or one of its letters is published or withheld, through the publisher's `Writer`,
so they are in the manifest and the tamper check watches them like every published page. A
mailbox that is switched off loses its files, and its address goes back to the application.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.urls import reverse
from wagtail.models import Site

from govsite.cases.front_intake import CAPTCHA_PLACEHOLDER, CSRF_PLACEHOLDER, FORM_SETTINGS, FORM_TEMPLATE
from govsite.cases.models import Mailbox
from govsite.sites.models import GovSite

TEMPLATE_ATTRIBUTE = "govsite_form_template"


def _publishable(gov_site: GovSite | None) -> bool:
    """A closed or merged site's host sends everything to its successor: no forms there."""
    return gov_site is not None and gov_site.status not in (GovSite.Status.CLOSED, GovSite.Status.MERGED)


def template_context(request) -> dict | None:
    """In the publisher's rendering, the placeholders instead of a real captcha and CSRF token."""
    if not getattr(request, TEMPLATE_ATTRIBUTE, False):
        return None
    return {"captcha_token": CAPTCHA_PLACEHOLDER, "csrf_token": CSRF_PLACEHOLDER}


def mailbox_files(site: Site, mailbox: Mailbox, renderer) -> dict[str, bytes]:
    """The two files of one mailbox (relative to the host's directory); {} if it does not render."""
    from govsite.cases import views
    from govsite.publishing.render import _finish

    url = reverse("cases:mailbox", args=[mailbox.slug])
    request = renderer.request_for(site, url)
    setattr(request, TEMPLATE_ATTRIBUTE, True)
    rendered = _finish(views.mailbox(request, mailbox.slug))
    if rendered.status != 200 or CAPTCHA_PLACEHOLDER.encode() not in rendered.body:
        return {}
    settings_file = {
        "kind": "letter",
        "active": mailbox.is_active,
        "mailbox": mailbox.pk,
        "label": mailbox.name,
        "unit": mailbox.institution.name,
        "deadline_workdays": mailbox.deadline_workdays,
        "tz": settings.TIME_ZONE,
    }
    base = url.lstrip("/")
    return {
        base + FORM_TEMPLATE: rendered.body,
        base + FORM_SETTINGS: json.dumps(settings_file, ensure_ascii=False).encode(),
    }


def paths_of(mailbox: Mailbox) -> list[str]:
    base = reverse("cases:mailbox", args=[mailbox.slug]).lstrip("/")
    return [base + FORM_TEMPLATE, base + FORM_SETTINGS]


def write_site_forms(site: Site, writer) -> list[str]:
    """Write every active mailbox form of `site` (a `publishing.services.SITE_EXTRAS` hook)."""
    gov_site = writer.renderer.gov_site(site)
    if not _publishable(gov_site):
        return []
    written: list[str] = []
    mailboxes = Mailbox.objects.filter(gov_site=gov_site, is_active=True).select_related("institution")
    for mailbox in mailboxes:
        for relative, body in mailbox_files(site, mailbox, writer.renderer).items():
            writer.store(site.hostname, relative, body, None)
            written.append(relative)
    return written


def refresh_mailbox(mailbox: Mailbox) -> None:
    """Write (or, for a mailbox switched off, remove) one mailbox's files now."""
    from govsite.publishing.services import Writer

    gov_site = mailbox.gov_site
    site = gov_site.site if gov_site is not None else None
    if site is None:
        return
    writer = Writer()
    files = mailbox_files(site, mailbox, writer.renderer) if mailbox.is_active else {}
    if files and _publishable(gov_site):
        for relative, body in files.items():
            writer.store(site.hostname, relative, body, None)
    else:
        for relative in paths_of(mailbox):
            writer.remove_file(site.hostname, relative)
    writer.flush()
