"""Admin forms of the review app: the login form with the lockout message (issue 3 point 8) and the
form that sends an item to the city portal (Art. 7, 15)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.forms.auth import LoginForm
from wagtail.admin.widgets import AdminPageChooser
from wagtail.models import Page

from govsite.content.models import (
    ArticlePage,
    ColumnPage,
    ContentPage,
    InterpretationPage,
    PolicyDocumentPage,
)
from govsite.review import audit, lockout, submissions


class LockoutLoginForm(LoginForm):
    """Wagtail's LoginForm (WAGTAILADMIN_USER_LOGIN_FORM); when the user name or the address is
    locked, the error says so in Chinese — the same words for accounts that exist and that don't."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError:
            lock = lockout.active_lock(self.cleaned_data.get("username"), audit.client_ip(self.request))
            if lock is not None:
                raise ValidationError(lockout.lock_message(lock), code="login_locked") from None
            raise


class PortalColumnChoiceField(forms.ModelChoiceField):
    """A column of the city portal, labelled with its place in the tree (政务动态 › 市县传真)."""

    def label_from_instance(self, column) -> str:
        titles = getattr(self, "titles_by_path", {})
        steplen = column.steplen
        ancestors = [titles.get(column.path[:end]) for end in range(steplen, len(column.path), steplen)]
        return " › ".join([*(title for title in ancestors if title), column.title])


class OwnSitesPageChooser(AdminPageChooser):
    """A page chooser that shows a chosen page only when it is one of `allowed` (site isolation: a
    crafted address or form never shows the title of another site's page)."""

    allowed = ContentPage.objects.none()

    def get_instance(self, value):
        if value is None or isinstance(value, Page):
            return super().get_instance(value)
        if not str(value).isdigit():
            return None
        page = self.allowed.filter(pk=value).first()
        return page.specific if page else None


class PortalSubmissionForm(forms.Form):
    """Art. 7, 15: an editor chooses one of the unit's live items and a column of the city portal.

    The rules (whose items, which columns, live only, no duplicates) are checked by
    `submissions.propose`; the form only reads the choice.
    """

    item = forms.ModelChoiceField(
        label="报送信息",
        queryset=ContentPage.objects.all(),
        widget=OwnSitesPageChooser(target_models=[ArticlePage, PolicyDocumentPage, InterpretationPage]),
        help_text="选择本单位网站已发布的稿件、政策文件或政策解读。",
        error_messages={
            "required": "请选择要报送的信息。",
            "invalid_choice": "只能报送本单位网站的信息，请重新选择。",
        },
    )
    column = PortalColumnChoiceField(
        label="市政府门户网站栏目",
        queryset=ColumnPage.objects.none(),
        empty_label="请选择栏目",
        error_messages={
            "required": "请选择报送到的栏目。",
            "invalid_choice": "所选栏目不是市政府门户网站的栏目。",
        },
    )
    note = forms.CharField(
        label="报送说明", max_length=200, required=False, widget=forms.TextInput({"placeholder": "可选"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        own_items = submissions.pages_of_sending_sites(user)
        self.fields["item"].queryset = own_items
        self.fields["item"].widget.allowed = own_items
        columns = submissions.portal_columns()
        field = self.fields["column"]
        field.queryset = columns
        field.titles_by_path = dict(columns.values_list("path", "title"))
