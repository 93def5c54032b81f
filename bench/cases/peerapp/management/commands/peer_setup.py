"""Create the peer's mailbox form page under the default site's home page, at /letters/."""

from django.core.management.base import BaseCommand
from wagtail.models import Page

from peerapp.models import LetterFormField, LetterFormPage

FIELDS = [  # label (= clean name), field type, required
    ("subject", "singleline", True),
    ("body", "multiline", True),
    ("name", "singleline", True),
    ("phone", "singleline", True),
    ("email", "email", False),
]


class Command(BaseCommand):
    help = "Create the letter form page of the stock Wagtail peer (idempotent)."

    def handle(self, *args, **options) -> None:
        if LetterFormPage.objects.filter(slug="letters").exists():
            return
        home = Page.objects.get(depth=2)
        page = LetterFormPage(title="市长信箱", slug="letters")
        for order, (label, field_type, required) in enumerate(FIELDS):
            page.form_fields.add(
                LetterFormField(sort_order=order, label=label, field_type=field_type, required=required)
            )
        home.add_child(instance=page)
        page.save_revision().publish()
        self.stdout.write(f"peer form page {page.url_path} with {len(FIELDS)} fields")
