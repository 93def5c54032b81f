"""Admin for column categories (with their freshness rules) and the topic classification."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from govsite.content.models import ColumnCategory, RepostSource, TopicCategory


class ColumnCategoryViewSet(SnippetViewSet):
    model = ColumnCategory
    icon = "list-ul"
    menu_label = "栏目类别与更新要求"
    list_display = ["name", "code", "update_within_days", "long_stale_days", "veto_group"]


class TopicCategoryViewSet(SnippetViewSet):
    model = TopicCategory
    icon = "tag"
    menu_label = "主题分类"
    list_display = ["__str__", "sort_order"]
    search_fields = ["name"]


class RepostSourceViewSet(SnippetViewSet):
    model = RepostSource
    icon = "link"
    menu_label = "稿源单位"
    list_display = ["name", "determined_by", "active"]
    list_filter = ["active"]
    search_fields = ["name"]


class MetadataGroup(SnippetViewSetGroup):
    items = (ColumnCategoryViewSet, TopicCategoryViewSet, RepostSourceViewSet)
    menu_icon = "list-ul"
    menu_label = "元数据规范"
    menu_name = "metadata"


register_snippet(MetadataGroup)
