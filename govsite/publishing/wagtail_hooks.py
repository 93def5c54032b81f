"""Admin for publishing (platform operators): tamper findings and publish records are read-only
records; each site's publishing setting (automatic restore) is editable."""

from __future__ import annotations

from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.publishing.models import PublishRecord, SitePublishing, TamperFinding


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Records of what happened: they can be read, never added, changed or deleted by hand."""

    def user_has_permission(self, user, action: str) -> bool:
        return action in ("view", "inspect") and super().user_has_permission(user, "view")

    def user_has_any_permission(self, user, actions) -> bool:
        return any(self.user_has_permission(user, action) for action in actions)


class TamperFindingViewSet(SnippetViewSet):
    model = TamperFinding
    icon = "warning"
    menu_label = "篡改发现"
    list_display = ["host", "path", "kind", "detected_at", "restored_at"]
    list_filter = ["kind", "host"]
    search_fields = ["path"]
    inspect_view_enabled = True

    @property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


class PublishRecordViewSet(SnippetViewSet):
    model = PublishRecord
    icon = "doc-full"
    menu_label = "发布记录"
    list_display = ["kind", "page_id", "files_rendered", "files_written", "files_removed", "finished_at"]
    list_filter = ["kind"]
    inspect_view_enabled = True

    @property
    def permission_policy(self):
        return ReadOnlyPolicy(self.model)


class SitePublishingViewSet(SnippetViewSet):
    model = SitePublishing
    icon = "cog"
    menu_label = "网站发布设置"
    list_display = ["site", "auto_restore"]


class PublishingGroup(SnippetViewSetGroup):
    items = (TamperFindingViewSet, PublishRecordViewSet, SitePublishingViewSet)
    menu_icon = "upload"
    menu_label = "静态发布"
    menu_name = "publishing"


register_snippet(PublishingGroup)
