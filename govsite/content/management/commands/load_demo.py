"""Load the demo city: Nantong's portal, county/district portals, department sites, content, users.

Idempotent: a second run only brings the sites' ports up to date and prints the accounts again.
"""

from __future__ import annotations

import os
import random
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from govsite.accounts import services as second_factor
from govsite.accounts import totp
from govsite.cases import demo as cases_demo
from govsite.content import demo_data as data
from govsite.content.models import (
    ArticlePage,
    ColumnPage,
    ColumnShare,
    ContentPage,
    HomePage,
    InterpretationPage,
    PolicyDocumentPage,
    RepostSource,
    TopicCategory,
)
from govsite.monitoring import demo as monitoring_demo
from govsite.review import services as review
from govsite.review import submissions
from govsite.review.chain import ReviewRoute, Role
from govsite.sites import services as registry
from govsite.sites.models import GovSite, Institution

User = get_user_model()
DEMO_TOTP_SECRET = os.environ.get("GOVSITE_DEMO_TOTP_SECRET", "NANTONGGOVSITEDEMOTOTPSECRET2345")
DEFAULT_PASSWORD = "Nantong-Demo-2026!"
# Newest item (days ago), spacing (days) and count per column category; per-site changes below
# make some columns stale or blank so that monitoring has something real to find.
SCHEDULE = {
    "news": (1, 3, 12),
    "county_news": (2, 4, 0),
    "department_news": (2, 4, 0),
    "notices": (5, 20, 5),
    "policy": (12, 45, 5),
    "personnel": (60, 120, 2),
    "planning": (100, 180, 2),
    "data_release": (15, 30, 3),
    "annual_report": (300, 365, 2),
}
STALE = {
    "chongchuan": {"news": (1, 2, 24)},  # a column long enough to page through
    "haimen": {"news": (30, 5, 10), "notices": (200, 30, 4)},
    "rudong": {"policy": (250, 60, 3), "personnel": (800, 200, 2)},
    "jyj": {"news": (20, 6, 8)},
    "fgw": {"data_release": (0, 0, 0)},
}
DOC_AGENCY = {
    "nantong": ["通政发", "通政办发"],
    "chongchuan": ["崇政发"],
    "tongzhou": ["通州政发"],
    "haimen": ["海政发"],
    "rudong": ["东政发"],
    "fgw": ["通发改规"],
    "jyj": ["通教发"],
    "rsj": ["通人社规"],
}


# Short list pages, so that the demo's longer columns show their archive pages.
DEMO_PER_PAGE = 12


class Command(BaseCommand):
    help = "加载南通市演示数据（市政府门户、县区门户、部门网站、栏目、内容和各角色账号）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8000)))
        parser.add_argument("--seed", type=int, default=2019)

    def handle(self, *args, port: int, seed: int, **options) -> None:
        started = time.monotonic()
        settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"  # no review mail for the demo
        self.random = random.Random(seed)
        self.now = timezone.now()
        if GovSite.objects.filter(kind=GovSite.Kind.CITY_PORTAL).exists():
            Site.objects.filter(gov_site__isnull=False).update(port=port)
            self.stdout.write("演示数据已存在，已更新端口。")
        else:
            with transaction.atomic():
                self.build(port)
            self.stdout.write(
                f"演示数据加载完成：{ContentPage.objects.count()} 篇内容，用时 {time.monotonic() - started:.1f} 秒。"
            )
        self.enrol_second_factors()
        self.print_accounts(port)

    def enrol_second_factors(self) -> None:
        """Those who approve log in with a second factor; the demo gives them one known, public secret."""
        for user in User.objects.filter(is_active=True):
            if second_factor.requires_second_factor(user) and not second_factor.has_second_factor(user):
                second_factor.enroll_with_secret(user, DEMO_TOTP_SECRET)

    # --- institutions and sites -------------------------------------------------------------

    def build(self, port: int) -> None:
        Site.objects.filter(root_page__depth=2, gov_site__isnull=True).delete()
        Page.objects.filter(depth=2, content_type__model="page").delete()
        self.password = os.environ.get("GOVSITE_DEMO_PASSWORD", DEFAULT_PASSWORD)
        city = self.institution(data.CITY[0], Institution.Kind.CITY_GOVERNMENT, data.CITY[1], None, 1)
        self.topics = list(TopicCategory.objects.filter(parent__isnull=False))
        portal = self.register(
            city, "nantong", "www.nantong.gov.cn", "localhost", port, None, 1, data.CITY_COLUMNS
        )
        counter = 2
        for name, division, slug, has_portal in data.COUNTIES:
            government = self.institution(name, Institution.Kind.COUNTY_GOVERNMENT, division, city, counter)
            counter += 1
            if has_portal:
                self.register(
                    government,
                    slug,
                    f"www.{slug}.gov.cn",
                    f"{slug}.localhost",
                    port,
                    portal,
                    1,
                    data.COUNTY_COLUMNS,
                )
        serial = 2
        for name, short, slug, has_site in data.DEPARTMENTS:
            department = self.institution(
                name, Institution.Kind.MUNICIPAL_DEPARTMENT, "320600", city, counter, short
            )
            counter += 1
            if has_site:
                self.register(
                    department,
                    slug,
                    f"{slug}.nantong.gov.cn",
                    f"{slug}.localhost",
                    port,
                    portal,
                    serial,
                    data.DEPARTMENT_COLUMNS,
                )
                serial += 1
        for name, kind, division, parent in data.OTHER_INSTITUTIONS:
            self.institution(name, kind, division, Institution.objects.get(name__endswith=parent), counter)
            counter += 1
        self.share_into_city_columns(portal)
        self.submit_to_city_columns(portal)
        self.repost_sources()
        cases_demo.load(self.user)  # 互动交流: mailboxes, handlers, knowledge entries (issue 6)
        monitoring_demo.load(self.user)  # 监测巡检: operators on duty, roster, dictionary, plans (issue 7)

    def repost_sources(self) -> None:
        """Art. 17: the approved source units editors may repost from (one withdrawn, to show the refusal)."""
        for name, by, active in data.REPOST_SOURCES:
            RepostSource.objects.get_or_create(name=name, defaults={"determined_by": by, "active": active})

    def institution(self, name, kind, division, parent, number, short="") -> Institution:
        org_code = f"11{division}MB{number:07d}X"
        institution, _ = Institution.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "division_code": division,
                "parent": parent,
                "org_code": org_code,
                "short_name": short or name.replace("人民政府", ""),
            },
        )
        return institution

    def register(self, institution, slug, domain, hostname, port, parent, serial, columns) -> GovSite:
        registration = registry.Registration(
            institution=institution,
            kind=registry.SITE_KIND_FOR_INSTITUTION[institution.kind],
            name=institution.name,
            slug=slug,
            domain=domain,
            identifier_code=f"{institution.division_code}{serial:04d}",
            parent=parent,
            hostname=hostname,
            port=port,
            icp_number=f"苏ICP备{self.random.randint(10000000, 99999999)}号",
            police_record_number=f"苏公网安备 {institution.division_code}02{self.random.randint(10**5, 10**6 - 1)}号",
            host_unit=institution.name,
            operator_unit="南通市大数据管理局",
            contact_phone=f"0513-8{self.random.randint(1000000, 9999999)}",
            contact_email=f"webmaster@{domain.removeprefix('www.')}",
            contact_address="江苏省南通市崇川区世纪大道6号",
            security_officer="网站安全责任人（演示）",
            security_officer_phone="0513-12345",
        )
        home = HomePage(
            title=institution.name,
            slug=slug,
            intro=f"{institution.name}门户网站（演示）",
            services_url="https://zwfw.nantong.gov.cn/",
            interaction_url="/hudong/",
        )
        gov_site = registry.register_site(registration, home_page=home)
        registry.open_site(gov_site)
        self.site_slug = slug
        self.gov_site = gov_site
        self.users = self.create_role_users(gov_site)
        self.build_columns(home, columns, institution)
        return gov_site

    # --- columns and content ----------------------------------------------------------------

    def build_columns(self, parent: Page, columns, institution: Institution) -> None:
        """Create the whole column tree first, then fill it, so documents find their interpretation column."""
        created = self.create_column_tree(parent, columns, institution)
        self.interpretation_column = next((c for c in created if c.category_id == "interpretation"), None)
        for column in created:
            self.fill_column(column, column.category_id, institution)

    def create_column_tree(self, parent: Page, columns, institution: Institution) -> list[ColumnPage]:
        created = []
        for title, slug, category, children in columns:
            column = ColumnPage(
                title=title,
                slug=slug,
                category_id=category,
                show_in_menus=parent.depth == 2,
                description=f"{institution.name}{title}",
                keywords=title,
                per_page=DEMO_PER_PAGE,
            )
            if template := data.STATIC_TEXT.get(category):
                column.body = template.format(name=institution.name)
            parent.add_child(instance=column)
            created.append(column)
            created.extend(self.create_column_tree(column, children, institution))
        return created

    def fill_column(self, column: ColumnPage, category: str, institution: Institution) -> None:
        if category not in SCHEDULE or ColumnPage.objects.child_of(column).exists():
            return  # a column with sub-columns (the city's 政务动态) only groups them
        latest, step, count = STALE.get(self.site_slug, {}).get(category, SCHEDULE[category])
        for number in range(count):
            published = self.now - timedelta(days=latest + number * step, hours=self.random.randint(0, 8))
            if category == "policy":
                self.add_policy_document(column, institution, published, number)
            else:
                self.add_article(column, category, institution, published)

    def words(self) -> dict:
        """A subject and a place; a county's own news happens in that county."""
        place = self.random.choice(data.PLACES)
        if self.gov_site.kind == GovSite.Kind.COUNTY_PORTAL:
            place = self.gov_site.institution.short_name
        return {"subject": self.random.choice(data.SUBJECTS), "place": place}

    def body(self, paragraphs, words) -> str:
        return "".join(f"<p>{p.format(**words)}</p>" for p in paragraphs)

    def add_article(
        self, column: ColumnPage, category: str, institution: Institution, published: datetime
    ) -> None:
        words = self.words()
        templates = data.NOTICE_TITLES if category == "notices" else data.NEWS_TITLES
        title = self.random.choice(templates).format(**words)
        if category in {"personnel", "planning", "data_release", "annual_report"}:
            title = f"{institution.short_name or institution.name}{column.title}（{timezone.localtime(published):%Y年%m月}）"
        page = ArticlePage(
            title=title,
            slug=f"a{self.random.randint(10**8, 10**9)}",
            first_published_at=published,
            summary=data.PARAGRAPHS[0].format(**words),
            source=institution.name,
            keywords=words["subject"],
            topic=self.random.choice(self.topics),
            body=self.body(self.random.sample(data.PARAGRAPHS, 3), words),
            is_major=category == "news" and self.random.random() < 0.1,
        )
        self.publish_through_chain(column, page)

    def publish_through_chain(self, column: ColumnPage, page: ContentPage) -> ContentPage:
        """Art. 14-15: demo content goes public the only way there is: the site's review chain."""
        page.live = False
        column.add_child(instance=page)
        return review.run_chain(page, editor=self.users["editor"])

    def add_policy_document(
        self, column: ColumnPage, institution: Institution, published: datetime, number: int
    ):
        words = self.words()
        year = timezone.localtime(published).year
        agency = self.random.choice(DOC_AGENCY[self.site_slug])
        document = PolicyDocumentPage(
            title=self.random.choice(data.POLICY_TITLES).format(**words),
            slug=f"d{self.random.randint(10**8, 10**9)}",
            first_published_at=published,
            issuing_body=institution,
            document_number=f"{agency}〔{year}〕{self.random.randint(1, 120)}号",
            written_date=timezone.localtime(published).date() - timedelta(days=3),
            topic=self.random.choice(self.topics),
            keywords=words["subject"],
            source=institution.name,
            summary=f"本文件围绕{words['subject']}提出总体要求、重点任务和保障措施。",
            validity=ContentPage.Validity.REPEALED if number == 4 else ContentPage.Validity.VALID,
            body=self.body(data.PARAGRAPHS[2:], words),
        )
        self.publish_through_chain(column, document)
        if number == 0 and self.site_slug == "nantong":
            return  # the newest city document waits for its interpretation (Art. 8 clock)
        interpretations = self.interpretation_column
        if interpretations is None:
            return
        interpreted_at = published + timedelta(days=1, hours=2)
        self.publish_through_chain(
            interpretations,
            InterpretationPage(
                title=f"《{document.title}》政策解读",
                slug=f"j{self.random.randint(10**8, 10**9)}",
                first_published_at=interpreted_at,
                document=document,
                issuing_body=institution,
                topic=document.topic,
                source=institution.name,
                form=self.random.choice(list(InterpretationPage.Form.values)),
                summary=f"解读{document.document_number}的制定背景、主要内容和解决的问题。",
                body=self.body(data.INTERPRETATION_PARAGRAPHS, words),
            ),
        )

    def share_into_city_columns(self, portal: GovSite) -> None:
        """Art. 7 and 20: county news feeds 市县传真, department news feeds 部门要闻, without copies.

        These shares stand for submissions the platform operator already accepted; new ones go
        through `submit_to_city_columns`' path (the unit's leader in charge, then the portal)."""
        city_root = portal.site.root_page
        targets = {"county_news": GovSite.Kind.COUNTY_PORTAL, "department_news": GovSite.Kind.DEPARTMENT_SITE}
        for category, kind in targets.items():
            column = ColumnPage.objects.descendant_of(city_root).get(category_id=category)
            for gov_site in GovSite.objects.filter(kind=kind).select_related("site__root_page"):
                news_columns = ColumnPage.objects.descendant_of(gov_site.site.root_page).filter(
                    category_id="news"
                )
                news = ArticlePage.objects.live().child_of(news_columns.first())
                for order, page in enumerate(news.order_by("-first_published_at")[:4]):
                    ColumnShare.objects.create(column=column, page=page, sort_order=order)

    def submit_to_city_columns(self, portal: GovSite) -> None:
        """Art. 15-16: two submissions under review, so the queues have something to show: 崇川区's
        waits for its own leader in charge, 市发展改革委's (its leader agreed) for the big-data bureau."""
        city_root = portal.site.root_page
        for slug, category, approved_by_unit in (
            ("chongchuan", "county_news", False),
            ("fgw", "department_news", True),
        ):
            gov_site = GovSite.objects.get(slug=slug)
            column = ColumnPage.objects.descendant_of(city_root).get(category_id=category)
            news = (
                ColumnPage.objects.descendant_of(gov_site.site.root_page).filter(category_id="news").first()
            )
            shared = ColumnShare.objects.filter(column=column).values("page_id")
            item = (
                ArticlePage.objects.live()
                .child_of(news)
                .exclude(pk__in=shared)
                .order_by("-first_published_at")
                .first()
            )
            if item is None:
                continue
            submission = submissions.propose(
                item, column, User.objects.get(username=f"{slug}_editor"), note="演示：报送到市政府门户网站"
            )
            if approved_by_unit:
                submissions.approve(
                    submission, User.objects.get(username=f"{slug}_leader"), comment="同意报送"
                )

    # --- users ----------------------------------------------------------------------------

    def user(self, username: str, first_name: str, last_name: str, group: Group) -> User:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": first_name, "last_name": last_name}
        )
        if created:
            user.set_password(self.password)
            user.save()
        user.groups.add(group)
        return user

    def create_role_users(self, gov_site: GovSite) -> dict[str, User]:
        """Art. 15: the site's four roles, each a group with one demo user."""
        groups = review.provision_site(gov_site)
        audit_view = Permission.objects.get(codename="view_auditrecord", content_type__app_label="review")
        users = {}
        for code, suffix in Role.choices:
            if code != "editor":
                groups[code].permissions.add(audit_view)
            users[code] = self.user(
                f"{gov_site.slug}_{code}", suffix, gov_site.institution.short_name, groups[code]
            )
        if gov_site.kind == GovSite.Kind.CITY_PORTAL:
            self.city_routes(gov_site)
            if not User.objects.filter(username="platform_admin").exists():
                User.objects.create_superuser(
                    "platform_admin",
                    "platform@dsj.nantong.gov.cn",
                    self.password,
                    first_name="平台管理员",
                    last_name="市大数据管理局",
                )
        return users

    def city_routes(self, portal: GovSite) -> None:
        """Art. 16 on the city portal: leaders' profiles, government documents and meetings go to the
        city government office's leader in charge; everything else to the big-data bureau's; major
        items concerning national, provincial or city leaders to the big-data bureau's principal leader."""
        office = Group.objects.get_or_create(name="南通市人民政府办公室-分管领导")[0]
        bureau = Group.objects.get_or_create(name="南通市大数据管理局-分管领导")[0]
        principal = Group.objects.get_or_create(name="南通市大数据管理局-主要领导")[0]
        admin_access = Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin")
        for group, username, title in (
            (office, "zfb_leader", "市政府办公室分管领导"),
            (bureau, "dsj_leader", "市大数据管理局分管领导"),
            (principal, "dsj_principal", "市大数据管理局主要领导"),
        ):
            group.permissions.add(admin_access)
            self.user(username, title, "", group)
        routes = [
            (
                "leader",
                office,
                ["leadership", "policy", "meetings"],
                False,
                10,
                "第十六条：领导信息、政府文件、政府会议由市政府办公室分管领导审核",
            ),
            ("leader", bureau, [], False, 100, "第十六条：其他信息由市大数据管理局统一审核发布"),
            (
                "principal",
                principal,
                [],
                True,
                10,
                "第十六条：涉及国家、省、市领导的重大信息由市大数据管理局主要领导审核把关",
            ),
        ]
        for role, group, categories, only_leaders, priority, note in routes:
            route = ReviewRoute.objects.create(
                site=portal,
                role=role,
                group=group,
                only_concerning_leaders=only_leaders,
                priority=priority,
                note=note,
            )
            route.categories.set(categories)

    def print_accounts(self, port: int) -> None:
        password = os.environ.get("GOVSITE_DEMO_PASSWORD", DEFAULT_PASSWORD)
        self.stdout.write("\n演示网站：")
        for gov_site in GovSite.objects.select_related("site").order_by("identifier_code"):
            self.stdout.write(f"  {gov_site.name:<16} {gov_site.site.root_url}/")
        self.stdout.write(f"\n管理后台：http://localhost:{port}/admin/   演示账号密码均为：{password}")
        self.stdout.write("  platform_admin        平台管理员（市大数据管理局，可管理全部网站）")
        self.stdout.write("  duty_day、duty_night  平台运维值班（监测巡检、问题处置、值班与安全事件）")
        for gov_site in GovSite.objects.order_by("identifier_code"):
            roles = "、".join(f"{gov_site.slug}_{code}（{suffix}）" for code, suffix in Role.choices)
            self.stdout.write(f"  {gov_site.name}：{roles}")
        self.stdout.write(
            "\n审核负责人、分管领导、主要领导和平台管理员登录后台还须输入二次验证码（TOTP，基于时间，6 位，30 秒）。"
            f"\n演示用密钥：{totp.grouped(DEMO_TOTP_SECRET)}（可添加到任意身份验证器应用）"
            "\n注意：这是公开的演示密钥，绝不能用于真实账号。"
        )
