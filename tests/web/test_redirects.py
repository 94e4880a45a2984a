"""`same_site_path`: whatever is typed after `?next=` or posted as `back`, a redirect stays on
this site. A property over any text, then the tricks attackers use, through the real pages."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.urls import iri_to_uri

from pandawa.web.redirects import same_site_path
from tests.harness import PASSWORD, csrf_token, reset_throttle, with_password

SITE = "https://pandawa.example.go.id/console"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")

PIECES = [
    "/",
    "//",
    "\\",
    "\t",
    "\n",
    "\r",
    " ",
    "%09",
    "%2F",
    "%5C",
    "%0a",
    "evil.com",
    "https:",
    "javascript:",
    ":",
    "@",
    "?",
    "#",
    "..",
    ".",
    "\u2028",
    "\u2029",
    "\x85",
    "\x00",
    "\x7f",
    "\uff0f",
    "é",
    "console",
    "a=b",
]
tricky = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


def browser_reads_as_another_site(location: str) -> bool:
    """What a browser does with a Location (WHATSWG URL parsing, the lenient parts): drop tabs
    and newlines, strip leading controls and spaces, read a backslash as a slash."""
    value = re.sub(r"[\t\n\r]", "", location).lstrip("".join(map(chr, range(0x21))))
    value = value.replace("\\", "/")
    if value.startswith("//") or _SCHEME.match(value):
        return True
    return urlsplit(urljoin(SITE, value)).netloc != "pandawa.example.go.id"


@settings(max_examples=600)
@given(st.one_of(st.text(max_size=60), tricky))
def test_any_input_is_refused_or_a_path_on_this_site(value):
    result = same_site_path(value)
    if result is None:
        return
    parts = urlsplit(result)
    assert not parts.scheme and not parts.netloc
    assert result.startswith("/") and not result.startswith("//")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\]", result)
    # as the Location header carries it (werkzeug quotes what is not ASCII)
    assert not browser_reads_as_another_site(iri_to_uri(result))
    assert not browser_reads_as_another_site(result)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/console", "/console"),
        ("/console/tickets/PDW-1?status=waiting", "/console/tickets/PDW-1?status=waiting"),
        ("/dashboard#frag", "/dashboard"),
        ("/%2Fevil.com", None),  # decodes to //evil.com
        ("", None),
        (None, None),
        ("console", None),
    ],
)
def test_examples(value, expected):
    assert same_site_path(value) == expected


ATTACKS = [
    "\t",
    "\n",
    "\r",
    "\\",
    "/\\evil.com",
    "//evil.com",
    "/%09/evil.com",
    "https://evil.com",
    "javascript:alert(1)",
    "\t//evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    " //evil.com",
    "/\u2028/evil.com",
    "https:evil.com",
    "//evil.com@pandawa.example.go.id",
]


@pytest.fixture(autouse=True)
def _web(app):
    reset_throttle(app)
    yield
    reset_throttle(app)


@pytest.mark.parametrize("target", ATTACKS)
def test_sign_in_never_sends_the_browser_elsewhere(app, session, make_user, target):
    user = with_password(make_user())
    client = app.test_client()
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/console"


@pytest.mark.parametrize(
    "raw_query", ["next=/%09/evil.com", "next=%2F%5Cevil.com", "next=//evil.com"]
)
def test_raw_query_strings_too(app, session, make_user, raw_query):
    user = with_password(make_user())
    client = app.test_client()
    response = client.post(
        "/login?" + raw_query,
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/console"


def test_a_path_on_this_site_is_followed(app, session, make_user):
    user = with_password(make_user())
    client = app.test_client()
    response = client.post(
        "/login",
        query_string={"next": "/console?status=waiting"},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/console?status=waiting"


@pytest.mark.parametrize("back", ["//evil.com", "/\\evil.com", "/\t/evil.com", "https://evil.com"])
def test_language_switch_goes_back_only_on_this_site(client, back):
    response = client.post(
        "/lang", data={"lang": "en", "back": back, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_language_switch_goes_back_to_the_page(client):
    response = client.post(
        "/lang", data={"lang": "en", "back": "/login?x=1", "csrf_token": csrf_token(client)}
    )
    assert response.headers["Location"] == "/login?x=1"
