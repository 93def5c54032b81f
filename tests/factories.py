"""Plain factory functions for tests: institutions, registered sites, columns and content pages.

Every function builds valid objects through the same services the platform uses
(`register_site`, `open_site`, `provision_site`, `add_child`, and for content the whole review
chain of Art. 15 with a user per role), so a test starts from a state the real platform can reach. Pass keyword arguments to override any field.

    city = city_portal()                                  # 南通市人民政府, open, www.nantong.gov.cn
    county = county_portal("崇川区人民政府", "320602")      # open, parent is the city portal
    department = department_site(municipal_department("南通市财政局"))
    news = make_column(county.site.root_page, category="news")
    article = make_article(news, title="崇川区召开常务会议")

Names, codes, slugs and host names are unique per call, so factories can be called freely in one
test; the city government and the open city portal are one per city and reused when they exist.
Every site answers on `<slug>.localhost` (settings.ALLOWED_HOSTS allows `.localhost`).
Drafts (`publish=False`) are not live, as the page editor leaves them.
"""

from __future__ import annotations

import datetime
from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import Page

from govsite.content.models import (
    ArticlePage,
    ColumnPage,
    ColumnShare,
    ContentPage,
    HomePage,
    InterpretationPage,
    PolicyDocumentPage,
)
from govsite.review import services as review
from govsite.sites.models import GovSite, Institution
from govsite.sites.services import SITE_KIND_FOR_INSTITUTION, Registration, open_site, register_site

CITY_NAME = "南通市人民政府"
CITY_DIVISION_CODE = "320600"
CITY_SLUG = "nantong"
ICP_NUMBER = "苏ICP备12345678号"
POLICE_RECORD_NUMBER = "苏公网安备 32060202000123号"

_sequence = count(1)
User = get_user_model()


def next_number() -> int:
    """A number not handed out before in this test run (for unique names, slugs and codes)."""
    return next(_sequence)


# Institutions -------------------------------------------------------------------------------------


def make_institution(
    name: str | None = None,
    *,
    kind: str = Institution.Kind.MUNICIPAL_DEPARTMENT,
    division_code: str = CITY_DIVISION_CODE,
    **fields,
) -> Institution:
    """An institution, checked by its own `full_clean()` and saved."""
    institution = Institution(
        name=name or f"南通市测试局{next_number()}", kind=kind, division_code=division_code, **fields
    )
    institution.full_clean()
    institution.save()
    return institution


def city_government(**fields) -> Institution:
    """南通市人民政府 (there is one per city: returned if it already exists)."""
    existing = Institution.objects.filter(name=CITY_NAME).first()
    if existing is not None:
        return existing
    return make_institution(CITY_NAME, kind=Institution.Kind.CITY_GOVERNMENT, **fields)


def county_government(name: str | None = None, division_code: str = "320602", **fields) -> Institution:
    return make_institution(
        name or f"测试{next_number()}区人民政府",
        kind=Institution.Kind.COUNTY_GOVERNMENT,
        division_code=division_code,
        parent=fields.pop("parent", None) or city_government(),
        **fields,
    )


def municipal_department(name: str | None = None, **fields) -> Institution:
    return make_institution(
        name,
        kind=Institution.Kind.MUNICIPAL_DEPARTMENT,
        parent=fields.pop("parent", None) or city_government(),
        **fields,
    )


# Sites --------------------------------------------------------------------------------------------


def identifier_code_for(institution: Institution) -> str:
    """A fresh 政府网站标识码: the institution's division code and a 4-digit serial."""
    return f"{institution.division_code}{next_number() % 9999 + 1:04d}"


def registration(institution: Institution, **overrides) -> Registration:
    """A registration that passes every rule for `institution`; override fields to break one.

    The kind follows the institution; the parent is the city portal (registered on demand) for
    every site but the city portal itself; the site answers on `<slug>.localhost`.
    """
    kind = SITE_KIND_FOR_INSTITUTION.get(institution.kind, GovSite.Kind.DEPARTMENT_SITE)
    slug = overrides.pop("slug", None) or f"site{next_number()}"
    if kind == GovSite.Kind.CITY_PORTAL:
        domain = "www.nantong.gov.cn"
    elif kind == GovSite.Kind.COUNTY_PORTAL:
        domain = f"www.{slug}.gov.cn"
    else:
        domain = f"{slug}.nantong.gov.cn"
    values = {
        "institution": institution,
        "kind": kind,
        "name": institution.name,
        "slug": slug,
        "domain": domain,
        "identifier_code": identifier_code_for(institution),
        "hostname": f"{slug}.localhost",
        "icp_number": ICP_NUMBER,
        "police_record_number": POLICE_RECORD_NUMBER,
        "contact_phone": "0513-85000000",
    }
    if "parent" not in overrides and kind != GovSite.Kind.CITY_PORTAL:
        values["parent"] = city_portal()
    values.update(overrides)
    return Registration(**values)


def home_page_for(slug: str, **fields) -> HomePage:
    return HomePage(title=fields.pop("title", f"{slug} 首页"), slug=slug, **fields)


def register(
    institution: Institution | None = None, *, home_page: HomePage | None = None, **overrides
) -> GovSite:
    """Register (but do not open) a site through `register_site`; defaults to a new department site.

    The site gets its four role groups and the three-level workflow, with one user per role
    (`<slug>_editor`, `<slug>_reviewer`, `<slug>_leader`, `<slug>_principal`).
    """
    entry = registration(institution or municipal_department(), **overrides)
    gov_site = register_site(entry, home_page=home_page or home_page_for(entry.slug))
    for role, group in review.provision_site(gov_site).items():
        user = User.objects.create_user(
            f"{gov_site.slug}_{role}", f"{gov_site.slug}_{role}@example.gov.cn", None
        )
        user.groups.add(group)
    return gov_site


def site_user(page: Page, role: str = "editor"):
    """The test user holding `role` on the site of `page`."""
    return User.objects.get(username=f"{GovSite.objects.get(site=page.get_site()).slug}_{role}")


def city_portal(**overrides) -> GovSite:
    """The open city portal (returned if already registered), on `nantong.localhost`."""
    existing = GovSite.objects.filter(kind=GovSite.Kind.CITY_PORTAL, status=GovSite.Status.OPEN).first()
    if existing is not None:
        return existing
    overrides.setdefault("slug", CITY_SLUG)
    return open_site(register(city_government(), **overrides))


def county_portal(
    name: str | None = None, division_code: str = "320602", *, opened: bool = True, **overrides
) -> GovSite:
    """A county/district portal under the city portal; left planned with `opened=False`."""
    gov_site = register(county_government(name, division_code), **overrides)
    return open_site(gov_site) if opened else gov_site


def department_site(institution: Institution | None = None, *, opened: bool = True, **overrides) -> GovSite:
    """A municipal department site under the city portal; left planned with `opened=False`."""
    gov_site = register(institution or municipal_department(), **overrides)
    return open_site(gov_site) if opened else gov_site


# Columns and content ------------------------------------------------------------------------------


def make_column(parent: Page, *, title: str = "政务动态", category: str = "news", **fields) -> ColumnPage:
    """A live column under a home page or another column."""
    column = ColumnPage(
        title=title, slug=fields.pop("slug", None) or f"column{next_number()}", category_id=category, **fields
    )
    parent.add_child(instance=column)
    column.save_revision().publish()
    column.refresh_from_db()
    return column


def publish(page: Page) -> Page:
    """Publish the page's current state: content through its whole review chain (the site's editor
    submits, a reviewer and a leader approve, the principal leader too for a major item); other
    pages (columns) directly."""
    if isinstance(page, ContentPage):
        return review.run_chain(page, editor=site_user(page, "editor"))
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def _add(column: ColumnPage, page: ContentPage, publish_now: bool) -> ContentPage:
    """Add `page` under `column`: published through review, or a draft as the page editor leaves it."""
    page.live = False
    column.add_child(instance=page)
    if publish_now:
        return publish(page)
    page.save_revision()
    return page


def make_article(
    column: ColumnPage, *, title: str = "工作动态", publish: bool = True, **fields
) -> ArticlePage:
    """An article in `column`, published unless `publish=False`."""
    page = ArticlePage(title=title, slug=fields.pop("slug", None) or f"article{next_number()}", **fields)
    return _add(column, page, publish)


def make_policy_document(
    column: ColumnPage, *, title: str = "关于印发测试办法的通知", publish: bool = True, **fields
) -> PolicyDocumentPage:
    """A policy document with its required metadata (文号, 发布机构, 成文日期) filled in."""
    fields.setdefault("document_number", f"通政办发〔2019〕{next_number()}号")
    fields.setdefault("written_date", datetime.date(2019, 12, 1))
    if "issuing_body" not in fields and "issuing_body_id" not in fields:
        fields["issuing_body"] = GovSite.objects.get(site=column.get_site()).institution
    page = PolicyDocumentPage(
        title=title, slug=fields.pop("slug", None) or f"policy{next_number()}", **fields
    )
    return _add(column, page, publish)


def make_interpretation(
    column: ColumnPage,
    document: PolicyDocumentPage,
    *,
    title: str = "政策解读",
    publish: bool = True,
    **fields,
) -> InterpretationPage:
    page = InterpretationPage(
        title=title,
        slug=fields.pop("slug", None) or f"interpretation{next_number()}",
        document=document,
        **fields,
    )
    return _add(column, page, publish)


def share(page: ContentPage, column: ColumnPage) -> ColumnShare:
    """Show `page` (from any site) in `column` through the resource library, without copying it."""
    return ColumnShare.objects.create(column=column, page=page)


def historical_date(year: int, month: int = 6, day: int = 1) -> datetime.datetime:
    """An aware datetime in the platform's time zone, e.g. a first-publication date of an import."""
    return timezone.make_aware(datetime.datetime(year, month, day, 9, 30))
