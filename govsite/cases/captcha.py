"""A captcha that needs no outside service, with an audio alternative (issue 6 part 7; §5.2).

The token is stateless: `django.core.signing` signs a random nonce and the time it was issued, and
the answer is not in the token at all. The answer is HMAC(SECRET_KEY, nonce) turned into digits, so
the server can draw it (PNG) and speak it (WAV) from the token alone, while nobody without the
secret key can read it from the token. A token expires after `MAX_AGE_SECONDS` and is good for one
attempt: its nonce is remembered in the intake spool (`cases/spool.py`) until it would have expired
anyway, which holds across every server process of the machine.

`issue() -> (token, answer)` is what the forms use and what a benchmark on the same SECRET_KEY
uses to answer legitimately; `answer_for(token, secret=...)` is the test helper that needs the
server's secret key.

The audio is synthesized here, nothing is recorded or copied: a small source-filter (formant)
synthesizer speaks each digit as a Mandarin syllable (零 一 二 三 四 五 六 七 八 九) with its tone
contour and formant trajectories, a short beep before each digit, the whole code twice. See
docs/public-channels.md for what citizens and the helpdesk are told about it.
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import random
import secrets
import struct
import time
import unicodedata
import wave
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "govsite.cases.captcha"
LENGTH = 5
MAX_AGE_SECONDS = 30 * 60  # a citizen may take a while to write a letter
MAX_TOKEN_LENGTH = 200
MAX_ANSWER_LENGTH = 12
CLEANUP_CHANCE = 0.01

MESSAGES = {
    "captcha_missing": "请填写验证码。",
    "captcha_invalid": "验证码无效，请刷新页面后重新填写。",
    "captcha_expired": "验证码已过期（有效期30分钟），请换一张后重新填写。",
    "captcha_used": "该验证码已使用过，请换一张后重新填写。",
    "captcha_wrong": "验证码不正确，请换一张后重新填写。",
}


def _refuse(code: str) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code)


# --- tokens -------------------------------------------------------------------------------------


def _answer_of(nonce: str, secret: str | None = None) -> str:
    digest = salted_hmac(SALT + ".answer", nonce, secret=secret, algorithm="sha256").digest()
    number = int.from_bytes(digest[:8], "big") % (10**LENGTH)
    return f"{number:0{LENGTH}d}"


def issue(*, secret: str | None = None) -> tuple[str, str]:
    """A new captcha: the token to put in the form, and its answer (never sent to the browser).

    With `secret` (the front, which does not configure Django) the settings are not read.
    """
    nonce = secrets.token_urlsafe(12)
    signer = signing.TimestampSigner(key=secret, salt=SALT, fallback_keys=[] if secret else None)
    token = signer.sign_object({"n": nonce, "t": int(time.time())})
    return token, _answer_of(nonce, secret)


@dataclass(frozen=True)
class Ticket:
    nonce: str
    issued: int

    @property
    def expires(self) -> int:
        return self.issued + MAX_AGE_SECONDS


def read(token: str, *, secret: str | None = None) -> Ticket:
    """The nonce and issue time of a token signed here and not yet expired; ValidationError otherwise."""
    token = (token or "").strip()
    if not token:
        raise _refuse("captcha_invalid")
    if len(token) > MAX_TOKEN_LENGTH:
        raise _refuse("captcha_invalid")
    try:
        payload = signing.loads(  # with an explicit secret (the front), Django's settings are not read
            token, key=secret, salt=SALT, max_age=MAX_AGE_SECONDS, fallback_keys=[] if secret else None
        )
    except signing.SignatureExpired as error:
        raise _refuse("captcha_expired") from error
    except signing.BadSignature as error:
        raise _refuse("captcha_invalid") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        raise _refuse("captcha_invalid")
    return Ticket(payload["n"], int(payload.get("t") or 0))


def answer_for(token: str, *, secret: str | None = None) -> str:
    """Test helper: the answer of a token, for whoever holds the server's secret key."""
    return _answer_of(read(token, secret=secret).nonce, secret)


def normalize_answer(answer: str) -> str:
    """Full-width digits and stray spaces are the citizen's keyboard, not a wrong answer."""
    text = unicodedata.normalize("NFKC", (answer or "")[: MAX_ANSWER_LENGTH * 4])
    return "".join(text.split())[:MAX_ANSWER_LENGTH]


def verify(token: str, answer: str) -> None:
    """Accept a token once, with its right answer; ValidationError (Chinese, with a code) otherwise.

    The token is spent by any attempt, right or wrong, so one token cannot be tried twice.
    """
    if not (answer or "").strip():
        raise _refuse("captcha_missing")
    ticket = read(token)
    if not _spend(ticket):
        raise _refuse("captcha_used")
    if not constant_time_compare(normalize_answer(answer), _answer_of(ticket.nonce)):
        raise _refuse("captcha_wrong")


def nonce_digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _spend(ticket: Ticket) -> bool:
    """Remember the nonce until the token expires; False when it was remembered already.

    In the intake spool, which the front's fast intake shares: a token spent there cannot be
    used again here, nor the other way round.
    """
    from govsite.throttle import current_spool

    store = current_spool()
    fresh = store.spend_nonce(nonce_digest(ticket.nonce), float(ticket.expires))
    if random.random() < CLEANUP_CHANCE:  # housekeeping, not security
        store.forget_expired()
    return fresh


# --- the picture --------------------------------------------------------------------------------

IMAGE_WIDTH, IMAGE_HEIGHT = 180, 64


def _rng(nonce: str, purpose: str) -> random.Random:
    seed = salted_hmac(SALT + "." + purpose, nonce, algorithm="sha256").digest()
    return random.Random(seed)  # drawing only: the answer never comes from here


def image_png(token: str) -> bytes:
    """The answer drawn as a distorted PNG: rotated digits, a wave, lines and dots across them."""
    from PIL import Image, ImageDraw, ImageFont

    ticket = read(token)
    answer = _answer_of(ticket.nonce)
    rng = _rng(ticket.nonce, "image")
    canvas = Image.new("RGB", (IMAGE_WIDTH, IMAGE_HEIGHT), (250, 250, 246))
    font = ImageFont.load_default(size=40)
    step = (IMAGE_WIDTH - 20) // LENGTH
    for index, digit in enumerate(answer):
        glyph = Image.new("L", (48, 56), 0)
        ImageDraw.Draw(glyph).text((10, 2), digit, font=font, fill=255)
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=Image.Resampling.BICUBIC)
        colour = (rng.randint(0, 70), rng.randint(10, 60), rng.randint(60, 130))
        x = 8 + index * step + rng.randint(-3, 3)
        y = rng.randint(0, 10)
        canvas.paste(Image.new("RGB", glyph.size, colour), (x, y), glyph)
    canvas = _wave(canvas, rng)
    draw = ImageDraw.Draw(canvas)
    for _ in range(4):
        points = [(0, rng.randint(8, IMAGE_HEIGHT - 8)), (IMAGE_WIDTH, rng.randint(8, IMAGE_HEIGHT - 8))]
        draw.line(points, fill=(rng.randint(60, 160),) * 3, width=rng.choice((1, 2)))
    for _ in range(160):
        spot = (rng.randrange(IMAGE_WIDTH), rng.randrange(IMAGE_HEIGHT))
        draw.point(spot, fill=(rng.randint(90, 200),) * 3)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wave(image, rng: random.Random):
    """Shift each column up or down along a sine: digits bend, edges stay readable."""
    from PIL import Image

    amplitude, period, phase = rng.uniform(2.5, 4.5), rng.uniform(40, 80), rng.uniform(0, math.tau)
    bent = Image.new("RGB", image.size, (250, 250, 246))
    for x in range(image.width):
        shift = round(amplitude * math.sin(math.tau * x / period + phase))
        column = image.crop((x, 0, x + 1, image.height))
        bent.paste(column, (x, shift))
    return bent


# --- the sound ----------------------------------------------------------------------------------

RATE = 16000
BASE_PITCHES = (105.0, 120.0, 180.0, 205.0)  # lower and higher voices; one is chosen per digit


@dataclass(frozen=True)
class Segment:
    """A stretch of a syllable: voicing and noise amplitudes, formants from start to end (Hz)."""

    ms: int
    voice: tuple[float, float] = (1.0, 1.0)
    formants: tuple[tuple[int, int, int], tuple[int, int, int]] = ((500, 1500, 2500), (500, 1500, 2500))
    noise: tuple[float, float] = (0.0, 0.0)
    noise_band: tuple[int, int] = (6000, 2500)  # centre and bandwidth


def _v(ms: int, start: tuple, end: tuple | None = None, voice=(1.0, 1.0)) -> Segment:
    return Segment(ms, voice, (start, end or start))


def _n(ms: int, band: tuple[int, int], level=(0.6, 0.6)) -> Segment:
    return Segment(ms, (0.0, 0.0), ((500, 1500, 2500),) * 2, level, band)


SILENCE = Segment(35, (0.0, 0.0))
BURST = Segment(12, (0.0, 0.0), ((500, 1500, 2500),) * 2, (1.0, 0.3), (1800, 3000))
VOWEL_I, VOWEL_A, VOWEL_U = (280, 2250, 3000), (850, 1300, 2600), (320, 700, 2400)

# Mandarin digits as segments and tone (1 high level, 2 rising, 3 dipping, 4 falling).
SYLLABLES: dict[str, tuple[int, tuple[Segment, ...]]] = {
    "0": (
        2,
        (
            _v(70, (350, 1100, 2500), VOWEL_I, (0.5, 0.8)),
            _v(190, VOWEL_I),
            _v(150, (260, 1000, 2400), None, (0.7, 0.1)),
        ),
    ),
    "1": (1, (_v(60, VOWEL_I, VOWEL_I, (0.2, 1.0)), _v(260, VOWEL_I), _v(80, VOWEL_I, VOWEL_I, (1.0, 0.0)))),
    "2": (
        4,
        (
            _v(60, (550, 1450, 2400), None, (0.3, 1.0)),
            _v(120, (550, 1450, 2400), (480, 1300, 1650)),
            _v(200, (480, 1300, 1650), None, (1.0, 0.1)),
        ),
    ),
    "3": (
        1,
        (
            _n(130, (6200, 2500), (0.2, 0.7)),
            _v(220, VOWEL_A, (800, 1600, 2600)),
            _v(120, (280, 1600, 2600), None, (0.6, 0.05)),
        ),
    ),
    "4": (
        4,
        (
            _n(140, (6200, 2500), (0.2, 0.7)),
            _v(60, (380, 1350, 2650), None, (0.4, 1.0)),
            _v(230, (380, 1350, 2650), None, (1.0, 0.05)),
        ),
    ),
    "5": (3, (_v(80, (300, 650, 2300), VOWEL_U, (0.3, 0.9)), _v(340, VOWEL_U, VOWEL_U, (0.9, 0.05)))),
    "6": (
        4,
        (
            _v(60, (350, 1100, 2500), VOWEL_I, (0.5, 0.9)),
            _v(80, VOWEL_I, (420, 1000, 2500)),
            _v(260, (420, 1000, 2500), (350, 750, 2400), (1.0, 0.05)),
        ),
    ),
    "7": (1, (SILENCE, _n(150, (4000, 2200), (0.8, 0.5)), _v(280, VOWEL_I, VOWEL_I, (0.8, 0.05)))),
    "8": (1, (SILENCE, BURST, _v(340, VOWEL_A, VOWEL_A, (1.0, 0.05)))),
    "9": (
        3,
        (
            SILENCE,
            _n(60, (3800, 2000), (0.7, 0.4)),
            _v(80, VOWEL_I, (420, 950, 2400)),
            _v(300, (420, 950, 2400), (350, 750, 2400), (1.0, 0.05)),
        ),
    ),
}
TONES = {1: (1.35, 1.35, 1.33), 2: (1.0, 0.98, 1.45), 3: (0.95, 0.72, 1.05), 4: (1.5, 1.15, 0.75)}


def _pitch(tone: int, base: float, t: float) -> float:
    """F0 at relative time t (0..1) of the voiced part: a quadratic through the tone's three points."""
    start, middle, end = TONES[tone]
    value = start * (1 - t) ** 2 + 2 * middle * t * (1 - t) + end * t**2
    return base * value


class _Resonator:
    """Klatt's second-order resonator; coefficients set per 5 ms block."""

    def __init__(self) -> None:
        self.y1 = self.y2 = 0.0
        self.a = self.b = self.c = 0.0

    def tune(self, frequency: float, bandwidth: float) -> None:
        r = math.exp(-math.pi * bandwidth / RATE)
        self.c = -r * r
        self.b = 2 * r * math.cos(math.tau * frequency / RATE)
        self.a = 1 - self.b - self.c

    def __call__(self, x: float) -> float:
        y = self.a * x + self.b * self.y1 + self.c * self.y2
        self.y2, self.y1 = self.y1, y
        return y


@functools.lru_cache(maxsize=64)
def _syllable(digit: str, base: float) -> tuple[float, ...]:
    """The samples of one digit for one voice, normalized to a peak of 0.8 (cached: same every time)."""
    tone, segments = SYLLABLES[digit]
    noise_source = random.Random(f"{digit}-{base}")  # fixed: a digit always sounds the same
    voiced_total = sum(s.ms for s in segments if max(s.voice) > 0) or 1
    formants = [_Resonator() for _ in range(3)]
    fourth, hiss = _Resonator(), _Resonator()
    fourth.tune(3500, 250)
    glottal = 0.0
    phase, voiced_elapsed = 0.0, 0.0
    out: list[float] = []
    block = RATE // 200
    for segment in segments:
        count = RATE * segment.ms // 1000
        hiss.tune(*segment.noise_band)
        for n in range(count):
            t = n / max(count - 1, 1)
            if n % block == 0:
                for index, resonator in enumerate(formants):
                    start, end = segment.formants[0][index], segment.formants[1][index]
                    resonator.tune(start + (end - start) * t, (70, 110, 160)[index])
            voice = segment.voice[0] + (segment.voice[1] - segment.voice[0]) * t
            sample = 0.0
            if voice > 0:
                f0 = _pitch(tone, base, min(voiced_elapsed / voiced_total, 1.0))
                phase += f0 / RATE
                pulse = 1.0 if phase >= 1.0 else 0.0
                phase -= math.floor(phase)
                glottal = 0.75 * glottal + pulse  # a rounded pulse: the spectrum falls with frequency
                source = glottal + 0.02 * noise_source.uniform(-1, 1)
                sample = fourth(formants[2](formants[1](formants[0](source * voice))))
                voiced_elapsed += 1000 / RATE
            noise = segment.noise[0] + (segment.noise[1] - segment.noise[0]) * t
            if noise > 0:
                sample += 0.5 * noise * hiss(noise_source.uniform(-1, 1))
            out.append(sample)
    peak = max((abs(value) for value in out), default=1.0) or 1.0
    return tuple(0.8 * value / peak for value in out)


def _tone(ms: int, frequency: float, level: float = 0.25) -> list[float]:
    count = RATE * ms // 1000
    fade = RATE // 200
    return [
        level * math.sin(math.tau * frequency * n / RATE) * min(1.0, n / fade, (count - n) / fade)
        for n in range(count)
    ]


def _pause(ms: int) -> list[float]:
    return [0.0] * (RATE * ms // 1000)


def speak(answer: str, rng: random.Random) -> list[float]:
    """Beep, digit, pause ... the whole code twice, a double beep before the repetition."""
    samples: list[float] = _pause(300)
    for round_number in range(2):
        if round_number:
            samples += _tone(90, 660) + _pause(80) + _tone(90, 660) + _pause(700)
        for digit in answer:
            samples += _tone(60, 880, 0.15) + _pause(250)
            samples += _syllable(digit, rng.choice(BASE_PITCHES))
            samples += _pause(rng.randint(450, 650))
    return [value + rng.uniform(-0.015, 0.015) for value in samples]  # a faint hiss throughout


def audio_wav(token: str) -> bytes:
    """The answer spoken as a 16 kHz mono WAV."""
    ticket = read(token)
    samples = speak(_answer_of(ticket.nonce), _rng(ticket.nonce, "audio"))
    frames = struct.pack(f"<{len(samples)}h", *(int(max(-1.0, min(1.0, v)) * 32000) for v in samples))
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(frames)
    return out.getvalue()
