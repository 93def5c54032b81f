"""The mayor's mailbox as Wagtail's stock form builder makes it: an `AbstractForm` page whose fields
(subject, body, name, phone, email) are rows of `FormField`, each submission one `FormSubmission` row.

Nothing is overridden: serving, validation and storing are `wagtail.contrib.forms` as shipped. Only the
templates are the peer's own (every Wagtail site writes its own); the landing page shows the
submission's id, which the benchmark reads as the receipt number.
"""

from django.db import models
from modelcluster.fields import ParentalKey
from wagtail.contrib.forms.models import AbstractForm, AbstractFormField


class LetterFormField(AbstractFormField):
    page = ParentalKey("LetterFormPage", on_delete=models.CASCADE, related_name="form_fields")


class LetterFormPage(AbstractForm):
    template = "peerapp/letter_form_page.html"
    landing_page_template = "peerapp/letter_form_page_landing.html"
