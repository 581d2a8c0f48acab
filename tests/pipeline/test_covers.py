"""Cover pages (``kamreports.pipeline.covers``): markup in a name stays text, the quarter and marking
are shown, the book's running header is seeded only for a part; logos and monograms as data URIs."""
from __future__ import annotations

import base64
from html.parser import HTMLParser

import pytest

from kamreports.pipeline.covers import cover_html
from kamreports.present.brand import logo_data_uri, monogram_data_uri

LOGO = "data:image/png;base64,iVBORw0KGgo="
COMPANY = 'Acme <b>&</b> "Co"'
TITLE = "<script>alert(1)</script> Plan"


class Cover(HTMLParser):
    """Every element as (tag, attributes, own text), attribute values and text unescaped."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs), []))

    def handle_data(self, data: str) -> None:
        self.elements[-1][2].append(data)

    def by_class(self, cls: str) -> tuple[str, dict[str, str | None], str]:
        (found,) = [(t, a, "".join(d)) for t, a, d in self.elements if a.get("class") == cls]
        return found


def cover(part_label: str | None = None) -> str:
    return cover_html(COMPANY, LOGO, "Account plan", TITLE, "2026Q3", "Data as of 2026-09-30 · owner Kim",
                      "Confidential", part_label=part_label)


def test_markup_in_company_and_title_is_escaped():
    html = cover()
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Plan" in html
    assert 'Acme &lt;b&gt;&amp;&lt;/b&gt; &quot;Co&quot;' in html
    parsed = Cover(html)
    assert [tag for tag, _a, _d in parsed.elements] == ["section", "div", "img", "span", "div", "div", "div", "div",
                                                        "div", "div"]      # no element made from a name
    assert parsed.by_class("cover-company")[2] == COMPANY                   # shown as the same characters
    assert parsed.by_class("cover-title")[2] == TITLE
    (img,) = [attrs for tag, attrs, _d in parsed.elements if tag == "img"]
    assert img == {"src": LOGO, "alt": f"{COMPANY} logo"}


def test_the_cover_carries_kind_quarter_meta_and_marking():
    parsed = Cover(cover())
    assert parsed.by_class("cover-kind")[2] == "Account plan"
    assert parsed.by_class("cover-quarter")[2] == "2026Q3"
    assert parsed.by_class("cover-meta")[2] == "Data as of 2026-09-30 · owner Kim"
    assert parsed.by_class("cover-mark")[2] == "Confidential"


@pytest.mark.parametrize("part_label", [None, ""])
def test_no_part_label_means_no_string_set(part_label):
    html = cover(part_label)
    assert "string-set" not in html and "style=" not in html
    assert Cover(html).elements[0] == ("section", {"class": "kam-cover"}, [])


def test_a_part_label_seeds_the_running_header_as_a_quoted_css_string():
    # css_string quotes the label: '"' and '\' get a backslash, '<' becomes the escape \3c
    section = Cover(cover('Sequoia "Telecom" </style>')).elements[0]
    assert section[1] == {"class": "kam-cover", "style": 'string-set: part "Sequoia \\"Telecom\\" \\3c /style>"'}
    assert "</style>" not in cover('Sequoia "Telecom" </style>')


# --- logo and monogram ----------------------------------------------------------------------------

@pytest.mark.parametrize("name,mime", [("logo.png", "image/png"), ("LOGO.PNG", "image/png"),
                                       ("mark.svg", "image/svg+xml"), ("photo.jpg", "image/jpeg"),
                                       ("photo.JPEG", "image/jpeg")])
def test_logo_data_uri_mime_by_suffix_and_the_bytes_round_trip(tmp_path, name, mime):
    data = bytes(range(256)) + b"<svg/>\x00\xff"
    path = tmp_path / name
    path.write_bytes(data)
    uri = logo_data_uri(path)
    prefix = f"data:{mime};base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix):], validate=True) == data


def test_no_logo_is_none():
    assert logo_data_uri(None) is None


def monogram_svg(name: str, color: str = "#1f3b5c") -> str:
    uri = monogram_data_uri(name, color)
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return base64.b64decode(uri[len(prefix):], validate=True).decode("utf-8")


@pytest.mark.parametrize("name,initials", [
    ("Northwind Components", "NC"),       # the first letters of the first two words
    ("acme", "A"),                        # one word: one letter, upper case
    ("Sequoia Telecom Nordic", "ST"),     # never more than two
    ("3M company", "3C"),                 # digits count
    ("- Dash Co", "D"),                   # a word not starting with a letter or digit is skipped
    ("<Evil> Corp", "C"),
    ("éclair Ltd", "ÉL"),
    ("", "K"),                            # nothing usable: K for kamreports
    ("   ", "K"),
])
def test_monogram_initials(name, initials):
    svg = monogram_svg(name)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.endswith(f'text-anchor="middle">{initials}</text></svg>')


def test_monogram_colour_is_escaped():
    svg = monogram_svg("Acme Corp", '#fff"/><script>x</script>')
    assert '<rect width="64" height="64" rx="8" fill="#fff&quot;/&gt;&lt;script&gt;x&lt;/script&gt;"/>' in svg
    assert "<script" not in svg
    assert 'fill="#1f3b5c"' in monogram_svg("Acme Corp")
