"""Database URLs shown to people: the password is always masked.

Settings, errors, logs and the manifest all show a data source's URL; masking lives below all of
them so that none of them can show a URL any other way.
"""
from __future__ import annotations

import re

_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.\-]*://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<tail>@)", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"(?P<head>[?&](?:password|pwd|passwd)=)(?P<pw>[^&\s]*)", re.IGNORECASE)


def mask_url(text: str) -> str:
    """``postgresql://kam:secret@db/crm`` -> ``postgresql://kam:***@db/crm``, anywhere in ``text``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}***{m['tail']}", str(text))
    return _QUERY_PASSWORD.sub(lambda m: f"{m['head']}***", text)
