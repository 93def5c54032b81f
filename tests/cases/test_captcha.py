"""The captcha (issue 6 part 7, §5.2): stateless signed tokens, single use across processes,
expiry, a picture and a spoken alternative synthesized here; wrong answers store nothing."""

from __future__ import annotations

import io
import json
import wave

import pytest
from django.core import signing
from django.core.exceptions import ValidationError

from govsite import throttle
from govsite.cases import captcha
from govsite.cases.models import Case
from tests.cases.test_public_forms import _generous_rate, get, letter_post, post

__all__ = ["_generous_rate"]

pytestmark = pytest.mark.django_db


def _code(call) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.code


def test_right_answer_is_accepted_once():
    token, answer = captcha.issue()
    assert len(answer) == captcha.LENGTH and answer.isdigit()
    captcha.verify(token, answer)
    assert _code(lambda: captcha.verify(token, answer)) == "captcha_used"
    assert (
        throttle.current_spool().connection().execute("SELECT COUNT(*) FROM used_captcha").fetchone()[0] == 1
    )


def test_wrong_answer_is_refused_and_spends_the_token():
    token, answer = captcha.issue()
    wrong = str((int(answer) + 1) % 10**captcha.LENGTH).zfill(captcha.LENGTH)
    assert _code(lambda: captcha.verify(token, wrong)) == "captcha_wrong"
    assert _code(lambda: captcha.verify(token, answer)) == "captcha_used"


def test_full_width_digits_and_spaces_are_the_same_answer():
    token, answer = captcha.issue()
    full_width = " ".join(chr(ord(digit) + 0xFEE0) for digit in answer)
    captcha.verify(token, full_width)


def test_expired_token_is_refused(monkeypatch):
    token, answer = captcha.issue()
    later = signing.time.time() + captcha.MAX_AGE_SECONDS + 5
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert _code(lambda: captcha.verify(token, answer)) == "captcha_expired"


@pytest.mark.parametrize("token", ["", "abc", "x" * 500, "eyJuIjoiYSJ9:1abcde:forged"])
def test_forged_or_empty_token_is_refused(token):
    assert _code(lambda: captcha.verify(token, "12345")) == "captcha_invalid"


def test_missing_answer_is_refused():
    token, _answer = captcha.issue()
    assert _code(lambda: captcha.verify(token, "  ")) == "captcha_missing"


def test_answer_is_not_readable_from_the_token():
    token, answer = captcha.issue()
    payload = signing.loads(token, salt=captcha.SALT)
    assert answer not in json.dumps(payload)
    assert captcha.answer_for(token) == answer  # the test helper needs the secret key ...
    with pytest.raises(ValidationError):
        captcha.answer_for(token, secret="another-servers-secret")  # ... another key reads nothing


def test_image_is_a_png_of_the_answer(client, city):
    token, _answer = captcha.issue()
    response = get(client, city, "/hudong/captcha/", {"t": token})
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and response["Cache-Control"] == "no-store"


def test_audio_endpoint_returns_a_wav_of_the_digits_spoken_twice(client, city):
    token, _answer = captcha.issue()
    response = get(client, city, "/hudong/captcha/audio/", {"t": token})
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as wav:
        assert wav.getnchannels() == 1 and wav.getframerate() == captcha.RATE
        seconds = wav.getnframes() / wav.getframerate()
    assert 6 < seconds < 20


def test_every_digit_is_synthesized_and_sounds_different():
    import random

    voices = {digit: captcha._syllable(digit, captcha.BASE_PITCHES[0]) for digit in "0123456789"}
    assert all(len(samples) > captcha.RATE // 5 for samples in voices.values())
    assert len({samples[: captcha.RATE // 10] for samples in voices.values()}) == 10
    assert captcha.speak("12", random.Random(1))  # no state needed


def test_media_of_a_bad_token_is_refused_in_chinese(client, city):
    for path in ("/hudong/captcha/", "/hudong/captcha/audio/"):
        response = get(client, city, path, {"t": "forged"})
        assert response.status_code == 400 and "验证码无效" in response.content.decode()


def test_new_captcha_for_the_refresh_button(client, city):
    data = get(client, city, "/hudong/captcha/new/").json()
    assert data["image"].startswith("/hudong/captcha/?t=") and captcha.read(data["token"])


def test_form_with_a_wrong_captcha_is_refused_and_stores_nothing(client, city, mayor_mailbox):
    data = {**letter_post(), "captcha_answer": "00000x"}
    response = post(client, city, "/hudong/xinxiang/mayor/", data)
    assert response.status_code == 400 and "验证码不正确" in response.content.decode()
    assert not Case.objects.exists()


def test_form_replayed_with_a_used_captcha_is_refused(client, city, mayor_mailbox):
    data = letter_post()
    assert post(client, city, "/hudong/xinxiang/mayor/", data).status_code == 303
    replay = post(client, city, "/hudong/xinxiang/mayor/", data)
    assert replay.status_code == 400 and "已使用过" in replay.content.decode()
    assert Case.objects.count() == 1


def test_form_without_captcha_is_refused(client, city, mayor_mailbox):
    data = {key: value for key, value in letter_post().items() if not key.startswith("captcha")}
    response = post(client, city, "/hudong/xinxiang/mayor/", data)
    assert response.status_code == 400 and "请填写验证码" in response.content.decode()
    assert not Case.objects.exists()


def test_refused_form_shows_a_fresh_captcha(client, city, mayor_mailbox):
    data = {**letter_post(), "captcha_answer": "1"}
    html = post(client, city, "/hudong/xinxiang/mayor/", data).content.decode()
    assert data["captcha_token"] not in html
    assert 'name="captcha_answer"' in html and 'value="1"' not in html
