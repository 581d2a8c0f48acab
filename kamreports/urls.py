"""Database URLs shown to people: the password is always masked.

Settings, errors, logs and the manifest all show a data source's URL; masking lives below all of
them so that none of them can show a URL any other way.

A password may be written percent-encoded (``p%40ss``), as URLs require, or raw (``p@ss word``),
as people type it. Masking never parses the URL (a parser would stop at the first ``@`` and show
the rest of a raw password as the host): everything from ``://`` up to the last ``@`` on the
same line is the user and password, and everything after the first ``:`` of it is masked. A
stray ``@`` later on the line makes it mask more than it must, never less.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote

_SCHEME = re.compile(r"[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_LINE_END = re.compile(r"[\r\n]")
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|pwd|passwd)=)(?P<pw>[^&\s]*)", re.IGNORECASE)
# What a password may hold as written in a URL without percent-encoding it (RFC 3986 userinfo).
_ENCODED = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*")
MASK = "***"


def _userinfo(text: str, start: int) -> tuple[int, int] | None:
    """For a URL whose ``://`` ends at ``start``: where its password starts and where it ends (the
    last ``@`` on the line), or None when it has no ``user:password@``."""
    line_end = _LINE_END.search(text, start)
    segment = text[start:line_end.start() if line_end else len(text)]
    at = segment.rfind("@")
    colon = segment.find(":", 0, at) if at > 0 else -1
    if colon < 0:
        return None
    return start + colon + 1, start + at


def mask_url(text: str) -> str:
    """``postgresql://kam:secret@db/crm`` -> ``postgresql://kam:***@db/crm``, anywhere in ``text``,
    whatever characters the password holds; ``?password=...`` too."""
    text = str(text)
    out: list[str] = []
    position = 0
    while (scheme := _SCHEME.search(text, position)) is not None:
        span = _userinfo(text, scheme.end())
        if span is None:
            out.append(text[position:scheme.end()])
            position = scheme.end()
            continue
        out.append(text[position:span[0]] + MASK)
        position = span[1]
    out.append(text[position:])
    return _QUERY_PASSWORD.sub(lambda m: f"{m['head']}{MASK}", "".join(out))


def password_of(url: str) -> str | None:
    """The password exactly as written in ``url`` (by the rule :func:`mask_url` masks), or None."""
    scheme = _SCHEME.search(url)
    span = _userinfo(url, scheme.end()) if scheme else None
    return url[span[0]:span[1]] if span else None


def with_encoded_password(url: str) -> str:
    """``url`` with a raw password percent-encoded, so that a URL parser finds the real host: a
    parser reading ``kam:p@ss word@db`` would take ``ss word@db`` for the host and send it, part of
    the password, to DNS and into its error messages. An already encoded password is left as it is."""
    scheme = _SCHEME.search(url)
    span = _userinfo(url, scheme.end()) if scheme else None
    if span is None or _ENCODED.fullmatch(url[span[0]:span[1]]):
        return url
    return url[:span[0]] + quote(url[span[0]:span[1]], safe="") + url[span[1]:]


def secret_forms(url: str) -> list[str]:
    """Every way the password of ``url`` may appear in a driver's message: as written, decoded and
    encoded; longest first, so that replacing them in turn leaves no part behind."""
    password = password_of(url)
    if not password:
        return []
    forms = {password, unquote(password), quote(password, safe=""), quote(unquote(password), safe="")}
    return sorted((f for f in forms if f), key=len, reverse=True)
