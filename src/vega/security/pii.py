"""PII masking for chat messages before they are stored (setting ``VEGA_PII_MASKING``).

``find_pii`` reports what it finds; ``mask_pii`` replaces each finding with a
placeholder and leaves every other character exactly as it was:

* ``[SECRET]`` API keys and tokens (OpenAI ``sk-``/``sk-proj-``, Anthropic ``sk-ant-``,
  AWS ``AKIA``/``ASIA`` key ids, GitHub ``ghp_``/``gho_``/``ghs_``/``ghu_``/``ghr_``/
  ``github_pat_``, Slack ``xoxa-``/``xoxb-``/``xoxp-``/``xoxr-``, Vega's own ``vega-``
  keys), JWTs, the token of a ``Bearer`` header, PEM private-key blocks, and the value
  of ``password: ...`` / ``api_key=...`` / ``token=...`` style assignments (the name is kept);
* ``[CARD]`` payment card numbers (13-19 digits, optionally grouped with single spaces or
  dashes) that pass the Luhn checksum;
* ``[IBAN]`` IBANs (compact or in groups of four) that pass the ISO 7064 mod-97 check;
* ``[EMAIL]`` e-mail addresses whose domain has a dot;
* ``[PHONE]`` international numbers (``+44 20 7946 0958``, ``+1 (555) 123-4567``) and North
  American ones (``555-123-4567``, ``(555) 123 4567``, ``555.123.4567``).

Every pattern is compiled once, anchored with look-behinds so that it can only start at
the beginning of a token, and written without nested quantifiers over the same characters,
so scanning is linear in the length of the text (messages are up to 64,000 characters).
Overlapping findings are resolved by taking the earliest, then the longest, then the one
of the kind listed first above.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["PLACEHOLDERS", "PiiKind", "PiiMatch", "find_pii", "mask_pii"]

PiiKind = Literal["SECRET", "CARD", "IBAN", "EMAIL", "PHONE"]

PLACEHOLDERS: Final[dict[PiiKind, str]] = {
    "SECRET": "[SECRET]",
    "CARD": "[CARD]",
    "IBAN": "[IBAN]",
    "EMAIL": "[EMAIL]",
    "PHONE": "[PHONE]",
}


@dataclass(frozen=True, slots=True)
class PiiMatch:
    """One finding: ``text[start:end]`` is PII of the given kind."""

    kind: PiiKind
    start: int
    end: int

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS[self.kind]


_Span = tuple[int, int]
_Accept = Callable[[re.Match[str]], _Span | None]


@dataclass(frozen=True, slots=True)
class _Detector:
    kind: PiiKind
    pattern: re.Pattern[str]
    accept: _Accept


def _whole(m: re.Match[str]) -> _Span | None:
    return m.span()


def _value(m: re.Match[str]) -> _Span | None:
    """The span of whichever named ``v*`` group took part (the secret, not its name)."""
    groups = m.groupdict()
    for name in ("vd", "vs", "v"):
        if groups.get(name) is not None:
            return m.span(name)
    return None  # pragma: no cover - every alternative has one value group


# --- secrets ---------------------------------------------------------------------------

# A token character class and a look-behind saying "not in the middle of a token".
_TOK = r"[A-Za-z0-9_-]"
_NOT_AFTER_TOK = r"(?<![A-Za-z0-9_\]-])"
_PLACEHOLDER_RE = r"\[(?:SECRET|CARD|IBAN|EMAIL|PHONE)\]"

# The words around "PRIVATE KEY" in a PEM label are few and short ("RSA", "ENCRYPTED",
# "OPENSSH", "PGP ... BLOCK"): bounded, so that "-----BEGIN " followed by thousands of
# "PRIVATE KEY " cannot make each of them a new place to backtrack to (that was quadratic).
_PEM_LABEL = r"[A-Z0-9 ]{0,24}PRIVATE KEY[A-Z ]{0,8}-----"
_PEM = re.compile(
    rf"-----BEGIN{_PEM_LABEL}"
    # Whole block: anything up to the next five dashes, which must start the END line.
    rf"(?:[^-]*(?:-(?!----)[^-]*)*-----END{_PEM_LABEL}"
    # Truncated block (no END line): the BEGIN line and the base64 lines after it.
    r"|(?:[ \t]*\r?\n[ \t]*[A-Za-z0-9+/=]{16,})*)"
)
_PREFIXED_KEY = re.compile(
    _NOT_AFTER_TOK + r"(?:sk-|vega-|xox[abpr]-)" + _TOK + r"{20,}"
    r"|(?<![A-Za-z0-9_\]])(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"
)
_AWS_KEY_ID = re.compile(r"(?<![A-Za-z0-9\]])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9\[])")
_JWT = re.compile(_NOT_AFTER_TOK + r"eyJ" + _TOK + r"+\." + _TOK + r"+\." + _TOK + r"*")
_BEARER = re.compile(
    r"(?<![A-Za-z0-9\]])(?i:bearer)[ \t]+"
    # At least 16 token68 characters, one of them not a letter (so "Bearer responsibilities"
    # in prose is left alone).
    r"(?P<v>(?=[A-Za-z]*[0-9._~+/-])[A-Za-z0-9._~+/-]{16,}=*)"
)
_ASSIGNED_SECRET = re.compile(
    r"(?<![A-Za-z0-9\]])"
    r"(?i:api[_-]?(?:key|secret|token)|apikey|(?:secret|access|private)[_-]?key"
    r"|(?:auth|access|refresh|session)[_-]?token|client[_-]?secret"
    r"|token|secret|password|passwd|pwd|passphrase)"
    r"[\"']?[ \t]*[:=][ \t]*"
    r"(?:\"(?!" + _PLACEHOLDER_RE + r"\")(?P<vd>[^\"\r\n]{1,256})\""
    r"|'(?!" + _PLACEHOLDER_RE + r"')(?P<vs>[^'\r\n]{1,256})'"
    r"|(?!" + _PLACEHOLDER_RE + r"(?![^\s\"'`,;&<>]))(?P<v>[^\s\"'`,;&<>=][^\s\"'`,;&<>]*))"
)

# --- cards and IBANs ---------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w\]-])"
    r"(?:[0-9]{13,19}"
    r"|[0-9]{4}(?P<sep>[ -])[0-9]{4,6}(?:(?P=sep)[0-9]{3,6}){1,3})"
    r"(?![\w\[])"
)
_IBAN = re.compile(
    r"(?<![A-Za-z0-9\]])[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
    r"(?![A-Za-z0-9\[])"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card(m: re.Match[str]) -> _Span | None:
    """The whole match if it passes Luhn, else the longest passing run of leading groups.

    Dropping trailing groups catches a card followed by something like an expiry date
    written without a slash ("4111 1111 1111 1111 0125").
    """
    start = m.start()
    s = m.group()
    while True:
        digits = s.replace(" ", "").replace("-", "")
        if len(digits) < 13:
            return None
        if len(digits) <= 19 and _luhn_ok(digits):
            return start, start + len(s)
        cut = max(s.rfind(" "), s.rfind("-"))
        if cut < 0:
            return None
        s = s[:cut]


def _iban(m: re.Match[str]) -> _Span | None:
    """The longest run of leading groups (15-34 characters) that passes the mod-97 check.

    ISO 13616: with the first four characters moved to the end and letters read as
    10..35, the number is 1 modulo 97. Computed in one pass, checking at each space.
    """
    s = m.group()
    # The moved country code and check digits always read as six digits.
    tail = int(s[0], 36) * 10_000 + int(s[1], 36) * 100 + int(s[2:4])
    rem = 0
    length = 4
    best: int | None = None
    for i in range(4, len(s)):
        ch = s[i]
        if ch == " ":
            if length >= 15 and (rem * 1_000_000 + tail) % 97 == 1:
                best = i
            continue
        value = int(ch, 36)
        rem = (rem * (100 if value > 9 else 10) + value) % 97
        length += 1
        if length > 34:
            break
    else:
        if length >= 15 and (rem * 1_000_000 + tail) % 97 == 1:
            best = len(s)
    return None if best is None else (m.start(), m.start() + best)


# --- e-mail and phone ----------------------------------------------------------------------

_EMAIL = re.compile(
    # The look-behind holds every character of the local part, so a match can only start
    # at the beginning of a run of them (no rescanning the same run from each position).
    r"(?<![\w.%+\]-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9\[-])"
)
_INTL_PHONE = re.compile(
    r"(?<![\w+\]])\+[1-9][0-9]{0,14}"
    r"(?:[ .-]?\([0-9]{1,5}\)[0-9]{0,6})?"
    r"(?:[ .-][0-9]{1,6}){0,6}"
    r"(?![\w\[])"
)
_NANP_PHONE = re.compile(
    r"(?<![\w.+\]-])(?<![0-9][.-])"
    r"(?:1[ .-])?"
    r"(?:\([0-9]{3}\)[ .-]?[0-9]{3}[ .-][0-9]{4}"
    r"|[0-9]{3}(?P<sep>[ .-])[0-9]{3}(?P=sep)[0-9]{4})"
    r"(?![\w\[]|[.-][0-9])"
)


def _intl_phone(m: re.Match[str]) -> _Span | None:
    """8 to 15 digits (E.164); from a longer match, the leading groups that fit."""
    start = m.start()
    s = m.group()
    while True:
        digits = sum(ch.isdigit() for ch in s)
        if digits < 8:
            return None
        if digits <= 15:
            return start, start + len(s)
        cut = max(s.rfind(" "), s.rfind("."), s.rfind("-"))
        if cut < 0:
            return None
        s = s[:cut]


# Listed by priority: secrets first (they contain digits and "@"), then cards before phones.
_DETECTORS: Final[tuple[_Detector, ...]] = (
    _Detector("SECRET", _PEM, _whole),
    _Detector("SECRET", _PREFIXED_KEY, _whole),
    _Detector("SECRET", _AWS_KEY_ID, _whole),
    _Detector("SECRET", _JWT, _whole),
    _Detector("SECRET", _BEARER, _value),
    _Detector("SECRET", _ASSIGNED_SECRET, _value),
    _Detector("CARD", _CARD, _card),
    _Detector("IBAN", _IBAN, _iban),
    _Detector("EMAIL", _EMAIL, _whole),
    _Detector("PHONE", _INTL_PHONE, _intl_phone),
    _Detector("PHONE", _NANP_PHONE, _whole),
)

# Masking is repeated until nothing is found: when two findings are glued together, the one
# that lost the overlap can still be there once the other is a placeholder. The patterns treat
# "]" before and "[" after a match like a word character, so a placeholder never makes its
# neighbour look like PII; in practice the second pass finds nothing and the cap is a guard.
_MAX_PASSES: Final = 8


def _spans(detector: _Detector, text: str) -> Iterator[_Span]:
    """Where one detector finds its kind in ``text``, left to right, without overlaps.

    Each detector must run in time linear in ``len(text)`` whatever the text: the unit
    tests time every one on growing adversarial inputs.
    """
    search = detector.pattern.search
    pos = 0
    while (m := search(text, pos)) is not None:
        span = detector.accept(m)
        if span is None:
            # Rejected (bad checksum, too many digits): a match may still start inside it.
            # Only the bounded patterns (cards, IBANs, phones) reject, so this stays linear.
            pos = m.start() + 1
            continue
        yield span
        pos = span[1]


def find_pii(text: str) -> list[PiiMatch]:
    """Non-overlapping findings in ``text``, in order of position."""
    candidates: list[tuple[int, int, int, PiiKind]] = []
    for priority, detector in enumerate(_DETECTORS):
        for start, end in _spans(detector, text):
            # Sorting on (start, -end, priority) puts the earliest, longest match first.
            candidates.append((start, -end, priority, detector.kind))
    candidates.sort()
    found: list[PiiMatch] = []
    taken_until = 0
    for start, neg_end, _priority, kind in candidates:
        if start >= taken_until:
            found.append(PiiMatch(kind, start, -neg_end))
            taken_until = -neg_end
    return found


def _replace(text: str, matches: list[PiiMatch]) -> str:
    parts: list[str] = []
    pos = 0
    for match in matches:
        parts.append(text[pos : match.start])
        parts.append(match.placeholder)
        pos = match.end
    parts.append(text[pos:])
    return "".join(parts)


def mask_pii(text: str) -> str:
    """``text`` with every finding of ``find_pii`` replaced by its placeholder.

    Repeated until ``find_pii`` finds nothing more, so masking a masked text changes nothing.
    """
    for _ in range(_MAX_PASSES):
        matches = find_pii(text)
        if not matches:
            break
        text = _replace(text, matches)
    return text
