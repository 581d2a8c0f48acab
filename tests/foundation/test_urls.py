"""Database passwords are never shown, whatever characters they hold: a property test over generated
passwords, written percent-encoded (as URLs require) and raw (as people type them) wherever the raw
form can still be told apart from the host, i.e. on one line."""
from __future__ import annotations

from urllib.parse import quote, unquote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kamreports.errors import Problem
from kamreports.urls import MASK, mask_url, password_of, secret_forms, with_encoded_password

PASSWORDS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
ONE_LINE = PASSWORDS.filter(lambda p: "\n" not in p and "\r" not in p)
SCHEMES = st.sampled_from(["postgresql", "postgresql+psycopg", "mysql+pymysql", "mssql+pyodbc", "snowflake"])
USERS = st.sampled_from(["kam", "kam_reader", "", "svc.reports", "a%40b"])
HOSTS = st.sampled_from(["db", "db.example.com:5432", "10.0.0.5", "[::1]:5432"])
TAILS = st.sampled_from(["/crm", "/crm?sslmode=require", "", "/crm?options=-c%20x"])
SETTINGS = settings(max_examples=400, deadline=None, derandomize=True)


def _check(url: str, scheme: str, user: str, host: str, tail: str, password: str) -> None:
    masked = mask_url(url)
    assert masked == f"{scheme}://{user}:{MASK}@{host}{tail}", (url, masked)
    in_text = mask_url(f"cannot read table 'x' in {url}: connection refused\nnext line")
    assert in_text == f"cannot read table 'x' in {masked}: connection refused\nnext line"


@SETTINGS
@given(scheme=SCHEMES, user=USERS, host=HOSTS, tail=TAILS, password=PASSWORDS)
@example(scheme="postgresql", user="kam", host="db", tail="/crm", password="p@ss word/#?:")
def test_a_percent_encoded_password_is_masked_exactly(scheme, user, host, tail, password):
    encoded = quote(password, safe="")
    _check(f"{scheme}://{user}:{encoded}@{host}{tail}", scheme, user, host, tail, password)


@SETTINGS
@given(scheme=SCHEMES, user=USERS, host=HOSTS, tail=TAILS, password=ONE_LINE)
@example(scheme="postgresql", user="kam", host="db", tail="/crm", password="s3cr@t pass")
@example(scheme="postgresql", user="kam", host="db", tail="/crm", password="a:***@b")
@example(scheme="postgresql", user="kam", host="db", tail="/crm", password="x://y@z")
@example(scheme="postgresql", user="kam", host="db", tail="/crm", password="@")
def test_a_raw_password_is_masked_exactly_whatever_it_holds(scheme, user, host, tail, password):
    _check(f"{scheme}://{user}:{password}@{host}{tail}", scheme, user, host, tail, password)


@SETTINGS
@given(password=ONE_LINE)
def test_a_raw_password_is_encoded_so_a_parser_finds_the_real_host(password):
    url = f"postgresql://kam:{password}@db.example.com:5432/crm"
    fixed = with_encoded_password(url)
    assert fixed.endswith("@db.example.com:5432/crm")
    assert unquote(password_of(fixed) or "") in (password, unquote(password))
    assert password_of(url) == password
    assert any(form == password for form in secret_forms(url))


def test_an_encoded_password_is_left_as_it_is():
    url = "postgresql://kam:p%40ss%20word@db/crm"
    assert with_encoded_password(url) == url
    assert {"p%40ss%20word", "p@ss word"} <= set(secret_forms(url))


def test_query_passwords_and_urls_without_one():
    assert mask_url("mssql://db/crm?user=kam&password=secret&x=1") == "mssql://db/crm?user=kam&password=***&x=1"
    assert mask_url("sqlite:///crm.db and tcp://10.0.0.5:8786") == "sqlite:///crm.db and tcp://10.0.0.5:8786"
    assert mask_url("postgresql://kam@db/crm") == "postgresql://kam@db/crm"
    assert mask_url(mask_url("postgresql://kam:secret@db/crm")) == "postgresql://kam:***@db/crm"


@SETTINGS
@given(password=ONE_LINE)
def test_a_problem_masks_a_value_before_cutting_it_short(password):
    url = f"postgresql://{'k' * 70}:{password}@db/crm"     # the "@" falls after the 80 characters shown
    masked = f"postgresql://{'k' * 70}:***@db/crm"
    text = str(Problem("settings.yaml", f"cannot use {url}", value=url))
    assert text == f"settings.yaml: value {masked[:80]!r}: cannot use {masked}"


@pytest.mark.parametrize("dialect", ["nosuchdialect+nodriver", "postgresql+psycopg"])
@pytest.mark.parametrize("password", ["s3cr@t pass", "p@ss", "pa ss", "a/b#c?d", "100%", "x:y@z", "t pass@127"])
def test_a_sql_source_never_shows_the_password_when_the_url_cannot_be_used(dialect, password):
    pytest.importorskip("sqlalchemy")
    if dialect.startswith("postgresql"):
        pytest.importorskip("psycopg")
    from kamreports.data.sources import SqlSource
    from kamreports.errors import ConfigError, DataValidationError

    source = SqlSource(f"{dialect}://kam:{password}@127.0.0.1:1/crm", {}, where="settings.yaml")
    assert password not in source.describe()
    with pytest.raises((ConfigError, DataValidationError)) as info:
        source.read("accounts")
    assert password not in str(info.value) and "kam:***@" in str(info.value)
