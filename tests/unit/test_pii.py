"""PII masking of stored chat messages (vega.security.pii)."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vega.security.pii import (
    _DETECTORS,
    PLACEHOLDERS,
    PiiKind,
    PiiMatch,
    _Detector,
    _spans,
    find_pii,
    mask_pii,
)

# Fake credentials, built from pieces so that they read as what they are.
OPENAI_KEY = "sk-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4"
OPENAI_PROJECT_KEY = "sk-proj-" + "abcDEF123_ghiJKL456-mnoPQR789stuVWX0yz"
ANTHROPIC_KEY = "sk-ant-api03-" + "Zx9_Yw8-Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa"
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB_PAT = "ghp_" + "0123456789abcdefghijABCDEFGHIJklmnopqr"
GITHUB_OAUTH = "gho_" + "16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_APP = "ghs_" + "abcdefghijklmnopqrstuvwxyz0123456789"
GITHUB_FINE_GRAINED = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGH"
SLACK_BOT = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_USER = "xoxp-" + "123456789012-123456789012-123456789012-abcdef0123456789"
VEGA_KEY = "vega-" + "BEcDrj4EXqOtJ92pK5aL-lca3nK4JqywyOLqiZ8qQE8"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo\n"
    "-----END RSA PRIVATE KEY-----"
)

# (text, expected after masking)
EMAILS = [
    ("contact john.doe@example.com today", "contact [EMAIL] today"),
    ("jane+newsletter@mail.example.co.uk", "[EMAIL]"),
    ("<a.b_c-d%e@sub.domain.org>", "<[EMAIL]>"),
    ("Write to USER@EXAMPLE.COM.", "Write to [EMAIL]."),
    ("mailto:first.last@x-y.io?subject=hi", "mailto:[EMAIL]?subject=hi"),
]
PHONES = [
    ("+44 20 7946 0958", "[PHONE]"),
    ("call +1 (555) 123-4567 now", "call [PHONE] now"),
    ("+44 (0)20 7946 0958", "[PHONE]"),
    ("+33 1 23 45 67 89", "[PHONE]"),
    ("tel:+491701234567", "tel:[PHONE]"),
    ("555-123-4567", "[PHONE]"),
    ("(555) 123 4567", "[PHONE]"),
    ("(555)123-4567", "[PHONE]"),
    ("555.123.4567", "[PHONE]"),
    ("ring 555 123 4567.", "ring [PHONE]."),
    ("1-800-555-0199", "[PHONE]"),
]
CARDS = [
    ("4111 1111 1111 1111", "[CARD]"),
    ("4111-1111-1111-1111", "[CARD]"),
    ("4111111111111111", "[CARD]"),
    ("5555555555554444", "[CARD]"),
    ("6011 0009 9013 9424", "[CARD]"),
    ("amex 378282246310005", "amex [CARD]"),
    ("amex 3782 822463 10005", "amex [CARD]"),
    ("diners 30569309025904", "diners [CARD]"),
    ("visa13 4222222222222", "visa13 [CARD]"),
    ("card: 4111111111111111, exp 12/25", "card: [CARD], exp 12/25"),
    ("4111 1111 1111 1111 0125", "[CARD] 0125"),
]
SECRETS = [
    (f"key {OPENAI_KEY} end", "key [SECRET] end"),
    (OPENAI_PROJECT_KEY, "[SECRET]"),
    (f"ANTHROPIC={ANTHROPIC_KEY}", "ANTHROPIC=[SECRET]"),
    (f"aws {AWS_KEY_ID}.", "aws [SECRET]."),
    (GITHUB_PAT, "[SECRET]"),
    (GITHUB_OAUTH, "[SECRET]"),
    (GITHUB_APP, "[SECRET]"),
    (GITHUB_FINE_GRAINED, "[SECRET]"),
    (SLACK_BOT, "[SECRET]"),
    (SLACK_USER, "[SECRET]"),
    (f"my key is {VEGA_KEY}", "my key is [SECRET]"),
    (f"jwt: {JWT}", "jwt: [SECRET]"),
    (f"Authorization: Bearer {JWT}", "Authorization: Bearer [SECRET]"),
    ("Authorization: Bearer abcdef0123456789abcdef", "Authorization: Bearer [SECRET]"),
    ("authorization: bearer a1b2c3d4e5f6g7h8i9j0", "authorization: bearer [SECRET]"),
    (f"before\n{PEM}\nafter", "before\n[SECRET]\nafter"),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n...",
        "[SECRET]\n...",
    ),
    ("api_key=abc123def", "api_key=[SECRET]"),
    ("password: hunter2", "password: [SECRET]"),
    ("token=xyz789", "token=[SECRET]"),
    ("DB_PASSWORD=s3cr3t!", "DB_PASSWORD=[SECRET]"),
    ('{"password": "correct horse battery staple"}', '{"password": "[SECRET]"}'),
    ("export OPENAI_API_KEY='my key value'", "export OPENAI_API_KEY='[SECRET]'"),
    (
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SECRET_ACCESS_KEY=[SECRET]",
    ),
    ("client_secret: abc, next", "client_secret: [SECRET], next"),
    (
        "https://x.io/cb?access_token=abc123&state=9",
        "https://x.io/cb?access_token=[SECRET]&state=9",
    ),
]
IBANS = [
    ("IBAN GB82 WEST 1234 5698 7654 32.", "IBAN [IBAN]."),
    ("DE89370400440532013000", "[IBAN]"),
]
POSITIVE = EMAILS + PHONES + CARDS + SECRETS + IBANS

NEGATIVE = [
    # e-mail look-alikes
    "user@localhost",
    "a@b",
    "follow @vega on social",
    "name @ example.com",
    "email@123.456",
    "trailing dot foo@bar.",
    # dates, times, versions, short and embedded numbers
    "Call me at 10:30 on 2024-01-15",
    "2024-01-15T10:30:00+01:00",
    "12/31/2024 at 23:59:59",
    "born in 1987",
    "version 1.2.3",
    "python 3.11.7 and v10.20.300",
    "order 12345",
    "555-1234",
    "ip 192.168.100.200",
    "ISBN 978-3-16-148410-0",
    "ID 15551234567890",
    "call 1555-123-45678",
    "555-123-4567-89",
    "the sum 3+4 and +12",
    "coordinates 37.7749, -122.4194",
    "price $1,234,567.89",
    # card look-alikes: wrong checksum, too long, not a card layout
    "4111111111111112",
    "1234 5678 9012 3456",
    "1234-5678-1234-5678",
    "timestamp 1700000000000",
    "12345678901234567890123",
    "dates 2024-01-15 2024-01-16 2024-01-17",
    # IBAN with a wrong checksum
    "GB82WEST12345698765433",
    # secret look-alikes
    "pip install scikit-learn; sk-learn is not a key",
    "task-management-and-some-more-words-here",
    "the token is valid",
    "max_tokens: 100 and tokenizer: bpe",
    "passwords: are great",
    "if password == expected:",
    "password:\n",
    "Bearer responsibilities are shared",
    "AKIA123",
    "vega-lite charts",
    "ghp_short",
    "eyJ alone",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
    # already masked text
    'password: [SECRET] token="[SECRET]" [EMAIL] [PHONE] [CARD] [IBAN]',
    "",
]


def ids(cases: list[tuple[str, str]]) -> list[str]:
    return [text[:40] for text, _ in cases]


@pytest.mark.parametrize(("text", "expected"), EMAILS, ids=ids(EMAILS))
def test_masks_emails(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(("text", "expected"), PHONES, ids=ids(PHONES))
def test_masks_phones(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(("text", "expected"), CARDS, ids=ids(CARDS))
def test_masks_luhn_valid_cards(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(("text", "expected"), SECRETS, ids=ids(SECRETS))
def test_masks_secrets(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(("text", "expected"), IBANS, ids=ids(IBANS))
def test_masks_ibans(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize("text", NEGATIVE, ids=[t[:40] for t in NEGATIVE])
def test_leaves_non_pii_untouched(text: str) -> None:
    assert find_pii(text) == []
    assert mask_pii(text) == text


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("EMAIL", "john.doe@example.com"),
        ("PHONE", "+1 (555) 123-4567"),
        ("CARD", "4111 1111 1111 1111"),
        ("SECRET", OPENAI_KEY),
        ("SECRET", JWT),
        ("IBAN", "GB82 WEST 1234 5698 7654 32"),
    ],
)
@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("", ""),
        ("  leading spaces ", " trailing\n\n"),
        ("Ünïcødé → ", " ← 日本語 🙂"),
        ("line one\r\n\t", "\r\nline three"),
        ("(", ")"),
        ('"', '",'),
    ],
)
def test_surrounding_text_is_preserved_exactly(
    kind: PiiKind, value: str, before: str, after: str
) -> None:
    text = before + value + after
    assert mask_pii(text) == before + f"[{kind}]" + after
    assert find_pii(text) == [PiiMatch(kind, len(before), len(before) + len(value))]


def test_several_findings_in_one_text() -> None:
    text = (
        "Hi, I'm Jo (jo.smith+work@example.org, +44 20 7946 0958).\n"
        "Card 4111 1111 1111 1111, backup 555-123-4567.\n"
        f"Config: api_key={OPENAI_KEY} and password: 'pa ss'\n"
        "Thanks!"
    )
    assert mask_pii(text) == (
        "Hi, I'm Jo ([EMAIL], [PHONE]).\n"
        "Card [CARD], backup [PHONE].\n"
        "Config: api_key=[SECRET] and password: '[SECRET]'\n"
        "Thanks!"
    )
    assert [m.kind for m in find_pii(text)] == [
        "EMAIL",
        "PHONE",
        "CARD",
        "PHONE",
        "SECRET",
        "SECRET",
    ]


def test_find_pii_reports_sorted_non_overlapping_spans() -> None:
    text = f"a@example.com 555-123-4567 {AWS_KEY_ID} 4111111111111111"
    found = find_pii(text)
    assert [(m.kind, text[m.start : m.end]) for m in found] == [
        ("EMAIL", "a@example.com"),
        ("PHONE", "555-123-4567"),
        ("SECRET", AWS_KEY_ID),
        ("CARD", "4111111111111111"),
    ]
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_pii_match_is_frozen_and_knows_its_placeholder() -> None:
    match = PiiMatch("EMAIL", 0, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.start = 1  # type: ignore[misc]
    assert match.placeholder == "[EMAIL]"
    assert set(PLACEHOLDERS.values()) == {"[EMAIL]", "[PHONE]", "[CARD]", "[SECRET]", "[IBAN]"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The secret's value is also an e-mail: one finding, the secret wins.
        ("token=user@example.com", "token=[SECRET]"),
        # The phone number is the start of a longer e-mail: the longer match wins.
        ("555-123-4567@example.com", "[EMAIL]"),
        # The JWT is both a Bearer token and a JWT: masked once.
        (f"Bearer {JWT}", "Bearer [SECRET]"),
        # A card in an assignment is one card, not a secret plus digits.
        ("password=4111 1111 1111 1111", "password=[CARD]"),
        # An international number is not also masked as a NANP one.
        ("+1 555-123-4567", "[PHONE]"),
        # A rejected long match does not hide a valid one inside it.
        ("+44 20 7946 0958 4111 1111 1111 1111 0125", "[PHONE] [CARD] 0125"),
        # Findings glued together are all masked (the phone only looks like part of a
        # longer number until the card next to it is masked).
        ("555-123-4567.4111111111111111", "[PHONE].[CARD]"),
    ],
)
def test_overlapping_findings_are_masked_once(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [text for text, _ in POSITIVE] + ["\n".join(text for text, _ in POSITIVE)],
    ids=[*ids(POSITIVE), "all-together"],
)
def test_masking_is_idempotent(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once
    assert find_pii(once) == []


N = 64_000


def repeat_to(unit: str, n: int = N) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# Texts that make a careless pattern backtrack: runs of the characters a pattern's
# quantifiers take, near-misses of its anchors, and the case found by a review
# ("-----BEGIN " and thousands of "PRIVATE KEY ", quadratic in the PEM label).
ADVERSARIAL_UNITS = {
    "at-signs": ("", "@"),
    "local-parts": ("", "a@"),
    "dotted-labels": ("a@", "a."),
    "digits": ("", "1"),
    "digit-dash": ("", "1-"),
    "digit-space": ("", "1 "),
    "digit-dot": ("", "1."),
    "almost-phones": ("", "555-123-"),
    "card-groups": ("", "4111 "),
    "plus-digits": ("", "+1 "),
    "dashes": ("", "-"),
    "pem-begins": ("", "-----BEGIN PRIVATE KEY-----\n"),
    "pem-label-words": ("-----BEGIN ", "PRIVATE KEY "),
    "pem-label-glued": ("-----BEGIN ", "PRIVATE KEY"),
    "pem-end-words": ("-----BEGIN PRIVATE KEY-----\nAAAA-----END ", "PRIVATE KEY "),
    "pem-unterminated": ("-----BEGIN PRIVATE KEY-----\n", "A"),
    "pem-base64-lines": ("-----BEGIN PRIVATE KEY-----", "\nAAAAAAAAAAAAAAAA"),
    "open-quotes": ("", 'password="'),
    "assignments": ("", "password="),
    "assignment-spaces": ("password:", " "),
    "key-prefixes": ("", "sk-"),
    "jwt-ish": ("", "eyJ."),
    "jwt-segments": ("eyJ", "a"),
    "bearer": ("", "Bearer 1"),
    "bearer-spaces": ("Bearer", " "),
    "bearer-letters": ("Bearer ", "a"),
    "iban-ish": ("", "GB82 "),
    "mixed": ("", "a@b.c1-2 3.4+5(6)7 sk- eyJ.x password=\"' 4111-"),
}
# Pieces of every pattern, for hypothesis to glue into new adversarial units.
FRAGMENTS = [
    "-----BEGIN ",
    "PRIVATE KEY",
    "-----END ",
    "-----",
    "-",
    " ",
    "\t",
    "\n",
    "A",
    "a",
    "1",
    "0",
    "@",
    ".",
    "+",
    "(",
    ")",
    ":",
    "=",
    '"',
    "'",
    "sk-",
    "vega-",
    "xoxb-",
    "ghp_",
    "AKIA",
    "eyJ",
    "Bearer ",
    "password",
    "token",
    "api_key",
    "GB82",
    "4111",
    "555",
    "+44",
    "_",
    "[SECRET]",
    "[",
    "]",
]
SMALL, LARGE = 2_000, 16_000  # 8x longer: linear costs ~8x the time, quadratic ~64x


def _best_time(fn: Callable[[], object], runs: int = 5) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def assert_linear(detector: _Detector, prefix: str, unit: str) -> None:
    """The detector's time grows with the text's length, not with its square."""
    small = prefix + repeat_to(unit, SMALL)
    large = prefix + repeat_to(unit, LARGE)
    t_small = _best_time(lambda: list(_spans(detector, small)))
    t_large = _best_time(lambda: list(_spans(detector, large)))
    # 3x the linear ratio, and a floor below which timings are noise (a quadratic
    # pattern takes tens of ms on the large text).
    assert t_large < max(3 * (LARGE / SMALL) * t_small, 0.004), (
        f"{detector.kind} /{detector.pattern.pattern[:60]}.../ took {t_small * 1e3:.2f} ms "
        f"on {SMALL} and {t_large * 1e3:.2f} ms on {LARGE} characters of {prefix!r}+{unit!r}"
    )


DETECTOR_IDS = [f"{i}-{d.kind}" for i, d in enumerate(_DETECTORS)]


@pytest.mark.parametrize("detector", _DETECTORS, ids=DETECTOR_IDS)
@pytest.mark.parametrize(("prefix", "unit"), ADVERSARIAL_UNITS.values(), ids=ADVERSARIAL_UNITS)
def test_every_pattern_is_linear_on_known_adversarial_inputs(
    detector: _Detector, prefix: str, unit: str
) -> None:
    assert_linear(detector, prefix, unit)


@pytest.mark.parametrize("detector", _DETECTORS, ids=DETECTOR_IDS)
@settings(max_examples=15, deadline=None, derandomize=True, database=None)
@given(
    prefix=st.lists(st.sampled_from(FRAGMENTS), max_size=3).map("".join),
    unit=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join),
)
def test_every_pattern_is_linear_on_generated_adversarial_inputs(
    detector: _Detector, prefix: str, unit: str
) -> None:
    assert_linear(detector, prefix, unit)


@pytest.mark.parametrize(("prefix", "unit"), ADVERSARIAL_UNITS.values(), ids=ADVERSARIAL_UNITS)
def test_masks_64k_adversarial_text_quickly(prefix: str, unit: str) -> None:
    text = prefix + repeat_to(unit, N - len(prefix))
    started = time.perf_counter()
    mask_pii(text)
    assert time.perf_counter() - started < 0.5


def test_masks_64k_message_full_of_pii_quickly() -> None:
    text = repeat_to("mail a.b@example.com or call 555-123-4567, card 4111 1111 1111 1111. ")
    started = time.perf_counter()
    masked = mask_pii(text)
    assert time.perf_counter() - started < 0.5
    assert "@example.com" not in masked
    assert "4111 1111" not in masked


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is optional
    pass
else:
    FRAGMENTS = (
        [text for text, _ in POSITIVE]
        + NEGATIVE
        + [
            "@",
            ".",
            "-",
            " ",
            "+",
            "=",
            ":",
            '"',
            "'",
            "[",
            "]",
            "password=",
            "Bearer ",
            "4111",
            "555",
            "example.com",
            "[SECRET]",
            "[EMAIL]",
            "\n",
        ]
    )
    texts = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=12).map(
        "".join
    )

    @settings(max_examples=400, deadline=None, database=None)
    @given(texts)
    def test_masked_output_contains_nothing_find_pii_finds(text: str) -> None:
        masked = mask_pii(text)
        assert find_pii(masked) == []
        assert mask_pii(masked) == masked
