"""Letters taken by the front (issue 6; Art. 10, 19): the mailbox page from its published form,
plain letters stored in the intake spool before the receipt, everything else handed to the
application unchanged, and the intake worker registering spooled letters as cases.

The front runs as a real Granian process on 127.0.0.1; "the application" is a small recording
HTTP server (or nothing at all, to show the front takes letters while the application is down).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx
import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client

from govsite.cases import captcha, published_forms, services
from govsite.cases.front_intake import RECEIPT_SALT
from govsite.cases.models import Case
from govsite.publishing import tamper
from govsite.publishing.services import Writer
from govsite.throttle import current_spool
from tests.cases.test_public_forms import letter_post
from tests.publishing.test_front import GRANIAN, free_port, serve_in_thread

pytestmark = pytest.mark.django_db

FRONT_RATE = "3/m"
ROOT = Path(__file__).resolve().parents[2]


class Application(BaseHTTPRequestHandler):
    """Stands in for the application: records what the front handed over and answers 400."""

    posts: list[dict] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.__class__.posts.append(
            {"path": self.path, "body": self.rfile.read(length), "host": self.headers.get("Host")}
        )
        body = "应用已处理：请更正后重新提交".encode()
        self.send_response(400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        return None


@pytest.fixture(scope="module")
def publish_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("publish")


@pytest.fixture(scope="module")
def application():
    yield from serve_in_thread(Application)


def start_front(publish_root: Path, spool_path: Path, upstream: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "GOVSITE_PUBLISH_ROOT": str(publish_root),
        "GOVSITE_APP_UPSTREAM": upstream,
        "GOVSITE_SECRET_KEY": django_settings.SECRET_KEY,
        "GOVSITE_INTAKE_DB": str(spool_path),
        "GOVSITE_FORM_RATE": FRONT_RATE,
        "GOVSITE_SECURE_COOKIES": "0",
    }
    command = [GRANIAN, "--interface", "rsgi", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--log-level", "warning", "govsite.publishing.front:app"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/none", timeout=1)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("the front did not start")


@pytest.fixture(scope="module")
def front(publish_root, application, _intake_spool_path):
    process, port = start_front(
        publish_root, _intake_spool_path, f"http://127.0.0.1:{application.server_port}"
    )
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def front_without_application(publish_root, _intake_spool_path):
    process, port = start_front(publish_root, _intake_spool_path, f"http://127.0.0.1:{free_port()}")
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def published(mayor_mailbox, settings, publish_root):
    """The city portal's mailbox forms published as the publisher writes them."""
    settings.PUBLISH_ROOT = publish_root
    settings.PUBLISH_VAULT = publish_root.parent / "vault"
    writer = Writer()
    written = published_forms.write_site_forms(mayor_mailbox.gov_site.site, writer)
    writer.flush()
    assert written, "the mailbox form was not published"
    Application.posts.clear()
    return mayor_mailbox


class Visitor:
    """A browser's part: cookies, the form page, posting back to it."""

    def __init__(self, port: int, host: str, path: str) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Host": host}, timeout=10)
        self.host, self.path = host, path

    def open_form(self) -> str:
        page = self.client.get(self.path)
        assert page.status_code == 200, page.text[:500]
        return page.text

    def csrf_token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def letter(self, html: str, **overrides) -> dict:
        return {**letter_post(), "csrfmiddlewaretoken": self.csrf_token(html), **overrides}

    def post(self, data: dict, files=None, **headers) -> httpx.Response:
        return self.client.post(
            self.path, data=data, files=files, headers={"Origin": f"http://{self.host}", **headers}
        )


def visitor(port: int, mailbox) -> Visitor:
    return Visitor(port, mailbox.gov_site.site.hostname, f"/hudong/xinxiang/{mailbox.slug}/")


def spooled_count() -> int:
    return current_spool().connection().execute("SELECT COUNT(*) FROM letter").fetchone()[0]


def receipt_cookie(response: httpx.Response) -> dict:
    raw = response.cookies.get("govsite_receipt") or ""
    return signing.loads(raw, salt=RECEIPT_SALT)


def test_art10_front_takes_a_plain_letter_while_the_application_is_down(published, front_without_application):
    """The application is not running: the page opens and the letter is kept, receipt after commit."""
    citizen = visitor(front_without_application, published)
    html = citizen.open_form()
    assert "__GOVSITE_" not in html and "市长信箱" in html
    token = re.search(r'name="captcha_token" value="([^"]+)"', html).group(1)
    assert captcha.read(token).nonce  # a real captcha, signed with the application's key
    assert citizen.client.cookies.get("csrftoken")

    answer = citizen.post(citizen.letter(html))
    assert answer.status_code == 303 and answer.headers["location"] == "/hudong/huizhi/"
    number = answer.headers["x-receipt-number"]
    assert re.fullmatch(r"X\d{16}", number)
    receipt = receipt_cookie(answer)
    assert receipt["r"] == number and receipt["u"] == published.institution.name and receipt["w"] == 15
    assert spooled_count() == 1 and not Case.objects.filter(receipt_number=number).exists()

    assert services.register_pending() == (1, 0)
    case = Case.objects.get(receipt_number=number)
    assert case.mailbox == published and case.unit == published.institution and case.due_on is not None
    assert case.subject == "关于小区门口道路积水的建议" and case.wants_public
    assert services.look_up(number, receipt["c"]) == case  # the query code on the receipt works
    assert case.steps.filter(action="submit").exists()


def test_a_browser_multipart_post_with_an_empty_file_input_is_taken(published, front):
    citizen = visitor(front, published)
    html = citizen.open_form()
    boundary = "----WebKitFormBoundaryq3xAmple7Zx9"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in citizen.letter(html).items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    answer = citizen.client.post(
        citizen.path,
        content=body,
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Origin": f"http://{citizen.host}",
        },
    )
    assert answer.status_code == 303, answer.text[:300]
    assert Application.posts == [] and spooled_count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "12345"},
        {"body": "<script>alert(1)</script>积水"},
        {"subject": ""},
        {"captcha_answer": "00000x"},
        {"csrfmiddlewaretoken": "x" * 64},
        {"email": "not-an-address"},
        {"unknown_field": "1"},
    ],
    ids=["bad-phone", "markup", "no-subject", "wrong-captcha", "bad-csrf", "bad-email", "unknown-field"],
)
def test_what_the_front_cannot_take_goes_to_the_application_unchanged(published, front, change):
    citizen = visitor(front, published)
    html = citizen.open_form()
    answer = citizen.post(citizen.letter(html, **change))
    assert answer.status_code == 400 and "应用已处理" in answer.text
    assert len(Application.posts) == 1 and Application.posts[0]["path"] == citizen.path
    assert spooled_count() == 0
    assert current_spool().rate_count("letter:127.0.0.1") == 0  # nothing counted for a handed-over letter


def test_attachments_and_a_foreign_origin_go_to_the_application(published, front):
    citizen = visitor(front, published)
    html = citizen.open_form()
    pdf = {"attachments": ("证明.pdf", b"%PDF-1.4 test", "application/pdf")}
    assert citizen.post(citizen.letter(html), files=pdf).status_code == 400
    assert citizen.post(citizen.letter(html), Origin="http://evil.example").status_code == 400
    assert len(Application.posts) == 2 and spooled_count() == 0


def test_a_captcha_spent_at_the_front_cannot_be_used_again_anywhere(published, front):
    citizen = visitor(front, published)
    html = citizen.open_form()
    data = citizen.letter(html)
    assert citizen.post(data).status_code == 303
    assert citizen.post({**data, "subject": "再次提交"}).status_code == 400  # handed over
    assert len(Application.posts) == 1 and spooled_count() == 1
    with pytest.raises(ValidationError) as refused:
        captcha.verify(data["captcha_token"], data["captcha_answer"])  # what the application would say
    assert refused.value.code == "captcha_used"


def test_the_rate_limit_is_one_count_shared_with_the_application(published, front, settings):
    settings.GOVSITE_FORM_RATE = FRONT_RATE
    citizen = visitor(front, published)
    html = citizen.open_form()
    answers = [citizen.post(citizen.letter(html, subject=f"第{i}封")).status_code for i in range(4)]
    assert answers == [303, 303, 303, 400]
    assert spooled_count() == 3 and len(Application.posts) == 1
    from govsite import throttle

    assert not throttle.hit("letter", "127.0.0.1").allowed  # the application refuses the 4th too


def test_look_up_says_a_spooled_letter_is_being_registered(published, front):
    citizen = visitor(front, published)
    answer = citizen.post(citizen.letter(citizen.open_form()))
    receipt = receipt_cookie(answer)
    client = Client()
    page = client.post(
        "/hudong/chaxun/",
        {"receipt_number": receipt["r"], "query_code": receipt["c"]},
        HTTP_HOST=published.gov_site.site.hostname,
    )
    assert page.status_code == 200 and "正在登记" in page.content.decode()
    wrong = client.post(
        "/hudong/chaxun/", {"receipt_number": receipt["r"], "query_code": "AAAAAAAA"}, HTTP_HOST=citizen.host
    )
    assert "正在登记" not in wrong.content.decode()


def test_registering_a_spooled_letter_twice_gives_one_case(published, front):
    citizen = visitor(front, published)
    citizen.post(citizen.letter(citizen.open_form()))
    letter = current_spool().pending()[0]
    first = services.register_spooled(letter)
    assert services.register_spooled(letter) == first  # the worker stopped before marking the row
    assert Case.objects.filter(receipt_number=letter.receipt_number).count() == 1


def test_a_receipt_number_clash_is_kept_for_an_operator_never_dropped(published, front):
    citizen = visitor(front, published)
    citizen.post(citizen.letter(citizen.open_form()))
    letter = current_spool().pending()[0]
    other = services.submit_letter(published, services.LetterData("另一封", "内容", "李四", "13900000000"))
    Case.objects.filter(pk=other.case.pk).update(receipt_number=letter.receipt_number)
    assert services.register_pending() == (0, 1)
    kept = current_spool().find(letter.receipt_number)
    assert kept.state == "failed" and "受理编号" in kept.error


def test_art22_published_forms_are_in_the_manifest_and_follow_the_mailbox(published, publish_root):
    host = published.gov_site.site.hostname
    form = publish_root / host / "hudong/xinxiang/mayor/.form.html"
    assert form.exists()
    assert tamper.check_host(host).findings == []  # known to the tamper check, not an added file
    form.write_text("<h1>篡改</h1>", encoding="utf-8")
    report = tamper.check_host(host)
    assert [finding.path for finding in report.findings] == ["hudong/xinxiang/mayor/.form.html"]
    assert "__GOVSITE_CAPTCHA_TOKEN__" in form.read_text(encoding="utf-8")  # restored
    published.is_active = False
    published_forms.refresh_mailbox(published)
    assert not form.exists() and not (form.parent / ".form.json").exists()


def test_the_intake_command_registers_lists_failures_and_forgets_old_copies(published, front, capsys):
    citizen = visitor(front, published)
    citizen.post(citizen.letter(citizen.open_form()))
    number = current_spool().pending()[0].receipt_number
    call_command("cases_intake", "--once", "--nice", "0")
    assert Case.objects.filter(receipt_number=number).exists()
    assert "已登记 1 件" in capsys.readouterr().out

    store = current_spool()
    assert store.purge_registered(time.time() - 86400) == 0  # registered just now: kept a day
    assert store.purge_registered(time.time() + 1) == 1
    assert store.find(number) is None and Case.objects.filter(receipt_number=number).exists()

    citizen.post(citizen.letter(citizen.open_form()))
    store.connection().execute("UPDATE letter SET mailbox_id = 0 WHERE state = 'pending'")
    call_command("cases_intake", "--once", "--nice", "0")
    call_command("cases_intake", "--failed")
    assert "信箱（编号 0）已不存在" in capsys.readouterr().out
