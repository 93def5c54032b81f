"""Every role × action × own/other site, with the expected outcome of each cell written down
(issue 3: separation of duties, site isolation, no way around the chain).

Sites: 崇川区 (own) and 通州区 (other). Roles: the four site roles and the platform operator.
`True` means the action succeeds, `False` that it is refused and changes nothing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from govsite.content.models import ContentPage
from govsite.review import services as review
from tests import factories as f

pytestmark = pytest.mark.django_db

ACTIONS = ("edit", "approve_own_step", "direct_publish", "unpublish")
EXPECTED = {
    #             edit          approve own step   direct publish   unpublish (takedown)
    #             own   other   own    other       own    other     own    other
    "editor": ((True, False), (False, False), (False, False), (False, False)),
    "reviewer": ((True, False), (True, False), (False, False), (True, False)),
    "leader": ((True, False), (True, False), (False, False), (True, False)),
    "principal": ((True, False), (True, False), (False, False), (True, False)),
    "operator": ((True, True), (False, False), (False, False), (True, True)),
}
CELLS = [
    (role, action, where, EXPECTED[role][index][0 if where == "own" else 1])
    for role in EXPECTED
    for index, action in enumerate(ACTIONS)
    for where in ("own", "other")
]
STEP_OF = {
    "reviewer": "reviewer",
    "leader": "leader",
    "principal": "principal",
    "editor": "reviewer",
    "operator": "reviewer",
}


@pytest.fixture
def sites():
    own = f.county_portal("崇川区人民政府", "320602", slug="chongchuan")
    other = f.county_portal("通州区人民政府", "320612", slug="tongzhou")
    return {"own": own, "other": other}


def actor(role, sites):
    if role == "operator":
        return f.User.objects.create_superuser("operator", "op@dsj.nantong.gov.cn", None)
    return f.User.objects.get(username=f"{sites['own'].slug}_{role}")


def item_at_step(site, step: str):
    """A major item of `site` waiting at `step` (earlier steps approved by the site's own people)."""
    column = f.make_column(site.site.root_page, title="政务动态")
    article = f.make_article(column, publish=False, is_major=True)
    review.submit_for_review(article, f.site_user(article, "editor"))
    order = ["reviewer", "leader", "principal"]
    for earlier in order[: order.index(step)]:
        state = ContentPage.objects.get(pk=article.pk).current_workflow_state
        review.act(article, review.pick_approver(article, earlier, state))
    return article


def attempt(action, user, site):
    if action == "edit":
        page = f.make_article(f.make_column(site.site.root_page), publish=False)
        return page.permissions_for_user(user).can_edit()
    if action == "approve_own_step":
        role = "reviewer" if user.is_superuser else user.username.rsplit("_", 1)[1]
        page = item_at_step(site, STEP_OF[role])
        try:
            review.act(page, user)
        except PermissionDenied:
            return False
        return (
            ContentPage.objects.get(pk=page.pk).current_workflow_state is None
            or current_step(page) != STEP_OF[role]
        )
    if action == "direct_publish":
        page = f.make_article(f.make_column(site.site.root_page), publish=False)
        try:
            page.save_revision(user=user).publish(user=user)
        except PermissionDenied:
            return ContentPage.objects.get(pk=page.pk).live
        return ContentPage.objects.get(pk=page.pk).live
    if action == "unpublish":
        page = f.make_article(f.make_column(site.site.root_page))
        if not page.permissions_for_user(user).can_unpublish():
            return False
        page.unpublish(user=user)
        return not ContentPage.objects.get(pk=page.pk).live
    raise AssertionError(action)


def current_step(page) -> str:
    state = ContentPage.objects.get(pk=page.pk).current_workflow_state
    return state.current_task_state.task.specific.role if state else ""


@pytest.mark.parametrize(
    ("role", "action", "where", "expected"), CELLS, ids=[f"{r}-{a}-{w}" for r, a, w, _ in CELLS]
)
def test_permission_matrix(sites, role, action, where, expected):
    user = actor(role, sites)

    assert attempt(action, user, sites[where]) is expected
