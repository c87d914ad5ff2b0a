"""Optional subscriber access: a WordPress login with credentials from the environment.

The crawls run the real `scrapy crawl pvdn` in subprocesses against the mirror, whose
`/wp-login.php` accepts one test user (fixtures/site/routes.json) and whose one members-only
article (fixtures/site/subscriber/) shows its full story to requests carrying the login cookie.
The three crawls run side by side, each against its own mirror and archive.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import HtmlResponse

from cleaning import clean_html
from pvdn_crawler.captures import capture_of
from pvdn_crawler.mirror import LOGGED_IN_COOKIE, SITE, Mirror, start_mirror
from pvdn_crawler.subscriber import (
    PASSWORD_VARIABLE,
    USER_VARIABLE,
    Credentials,
    LoginFailedError,
    check_login,
    login_form_request,
)
from storage.warc import RunWarcWriter, iter_captures
from tests.crawl_runner import PROJECT, crawl_command, crawl_env

PRODUCTION = "https://www.vallartadaily.com"
LOGIN = json.loads((SITE / "routes.json").read_text(encoding="utf-8"))["routes"]["/wp-login.php"]
USER, PASSWORD = str(LOGIN["user"]), str(LOGIN["password"])
STORY = json.loads((SITE / "subscriber" / "expected.json").read_text(encoding="utf-8"))
STORY_PATH = STORY["canonical_url"].removeprefix(PRODUCTION)


@dataclass
class Run:
    mirror: Mirror
    database: Path
    log: Path
    result: subprocess.CompletedProcess[str]

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return db.execute(sql, args).fetchall()

    def story(self) -> tuple[int, str]:
        [(paywalled, body)] = self.query(
            "SELECT paywalled, body FROM articles WHERE canonical_url = ?",
            self.mirror.origin + STORY_PATH,
        )
        return paywalled, body

    def counts(self) -> dict[str, int]:
        [(counts,)] = self.query("SELECT counts FROM crawl_runs")
        parsed: dict[str, int] = json.loads(counts)
        return parsed

    def output(self) -> str:
        return self.result.stdout + self.result.stderr + self.log.read_text(encoding="utf-8")

    @property
    def warc_dir(self) -> Path:
        """Where the crawl kept its captures: the folder beside the SQLite archive."""
        return self.database.with_name("archive-warc")

    def warc_records(self) -> bytes:
        """Every record of the run's WARC files, uncompressed, headers and payloads."""
        files = sorted(self.warc_dir.glob("*.warc.gz"))
        assert files, f"no WARC file in {self.warc_dir}"
        return b"".join(gzip.decompress(file.read_bytes()) for file in files)


def _start(mirror: Mirror, folder: Path, credentials: dict[str, str]) -> subprocess.Popen[str]:
    env = crawl_env(**credentials)
    for variable in (USER_VARIABLE, PASSWORD_VARIABLE):
        if variable not in credentials:
            env.pop(variable, None)
    command = crawl_command(
        mirror.origin,
        folder / "archive.sqlite3",
        "LOG_LEVEL=DEBUG",
        f"LOG_FILE={folder / 'crawl.log'}",
    )
    return subprocess.Popen(
        command, cwd=PROJECT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    setups = {
        "anonymous": {},
        "subscriber": {USER_VARIABLE: USER, PASSWORD_VARIABLE: PASSWORD},
        "wrong_password": {USER_VARIABLE: USER, PASSWORD_VARIABLE: PASSWORD[::-1]},
    }
    mirrors = {name: start_mirror() for name in setups}
    try:
        folders = {name: tmp_path_factory.mktemp(name) for name in setups}
        started = {
            name: _start(mirrors[name], folders[name], credentials)
            for name, credentials in setups.items()
        }
        done = {}
        for name, process in started.items():
            stdout, stderr = process.communicate(timeout=300)
            result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            folder = folders[name]
            done[name] = Run(
                mirrors[name], folder / "archive.sqlite3", folder / "crawl.log", result
            )
        yield done
    finally:
        for mirror in mirrors.values():
            mirror.stop()


def test_without_credentials_the_story_is_stored_paywalled(runs: dict[str, Run]) -> None:
    run = runs["anonymous"]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    paywalled, body = run.story()
    assert paywalled == 1
    assert body.endswith(STORY["anonymous"]["body_ends_with"])
    for text in STORY["anonymous"]["must_not_contain"]:
        assert text not in body
    assert "/wp-login.php" not in {path for _, path in run.mirror.requests}
    assert run.mirror.posts == []
    assert "subscriber_login_failed" not in run.counts()


def test_with_credentials_the_crawl_logs_in_first_and_stores_the_full_story(
    runs: dict[str, Run],
) -> None:
    run = runs["subscriber"]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.mirror.posts == ["/wp-login.php"]
    assert len(run.mirror.sessions) == 1
    paths = [path for _, path in run.mirror.requests]
    # Discovery starts only once the login answered (robots.txt comes first, for the login).
    first_discovery = min(paths.index(p) for p in ("/feed/", "/headlines/"))
    assert paths.count("/wp-login.php") == 2  # GET the form, POST it
    assert max(i for i, p in enumerate(paths) if p == "/wp-login.php") < first_discovery
    paywalled, body = run.story()
    assert paywalled == 0
    assert body.endswith(STORY["subscriber"]["body_ends_with"])
    for text in STORY["subscriber"]["must_contain"]:
        assert text in body
    assert run.counts()["subscriber_logged_in"] == 1
    # Logging in changes what one page shows, not what the crawl finds.
    anonymous = runs["anonymous"]
    found = {url.removeprefix(run.mirror.origin) for (url,) in run.query("SELECT canonical_url FROM articles")}  # fmt: skip # noqa: E501
    found_anonymously = {
        url.removeprefix(anonymous.mirror.origin)
        for (url,) in anonymous.query("SELECT canonical_url FROM articles")
    }
    assert found == found_anonymously


def test_the_credentials_are_never_logged_or_stored(runs: dict[str, Run]) -> None:
    for name in ("subscriber", "wrong_password"):
        run = runs[name]
        password = PASSWORD if name == "subscriber" else PASSWORD[::-1]
        output = run.output()
        assert "Crawled (302) <POST " in output or "Crawled (200) <POST " in output  # DEBUG on
        for secret in (password, USER):
            assert secret not in output, name
            for file in run.database.parent.glob("archive.sqlite3*"):
                assert secret.encode() not in file.read_bytes(), (name, file)
            # The pages and requests kept as WARC records: neither the POST's body (the login
            # goes straight to the downloader and is not captured) nor anything after it.
            assert secret.encode() not in run.warc_records(), (name, "WARC")
            for row in run.query("SELECT * FROM crawl_runs"):
                assert secret not in json.dumps(row, default=str)
    assert LOGGED_IN_COOKIE not in runs["subscriber"].output()  # nor the session's cookie
    run = runs["subscriber"]
    records = run.warc_records()
    (session,) = run.mirror.sessions
    assert session.encode() not in records
    # The pages fetched logged in sent the login cookie: their request records say it was
    # there and blank its value.
    assert b"Cookie: REDACTED" in records
    assert b"WARC-Pvdn-Redacted: header Cookie" in records
    # The login itself is not among the captures.
    captured = {c.target_uri.removeprefix(run.mirror.origin) for c in iter_captures(run.warc_dir)}
    assert STORY_PATH in captured and "/wp-login.php" not in captured


def test_the_login_post_if_it_were_captured_keeps_no_password(tmp_path: Path) -> None:
    """The WARC writer's redaction on the very request the login sends: its `pwd` field is
    blanked, whatever a later change to what is captured."""
    url = PRODUCTION + "/wp-login.php"
    request = login_form_request(_page(url, FORM_PAGE), Credentials(USER, PASSWORD))
    answer = HtmlResponse(url, status=302, body=b"", request=request)
    with RunWarcWriter(tmp_path, "login") as writer:
        writer.write_capture(capture_of(answer))
    records = b"".join(gzip.decompress(f.read_bytes()) for f in tmp_path.glob("*.warc.gz"))
    assert PASSWORD.encode() not in records
    assert b"pwd=REDACTED" in records
    assert b"WARC-Pvdn-Redacted: form field pwd" in records


def test_a_wrong_password_is_counted_and_the_crawl_goes_on_anonymously(
    runs: dict[str, Run],
) -> None:
    run = runs["wrong_password"]
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.mirror.posts == ["/wp-login.php"]
    assert run.mirror.sessions == set()
    assert run.counts()["subscriber_login_failed"] == 1
    assert "subscriber_logged_in" not in run.counts()
    assert "ERROR: subscriber login failed" in run.output()
    assert "rejected the username or password" in run.output()
    paywalled, body = run.story()
    assert paywalled == 1
    assert body.endswith(STORY["anonymous"]["body_ends_with"])


# -- the login steps, on pages built in memory ---------------------------------------------

FORM_PAGE = (SITE / "subscriber" / "wp-login.html").read_bytes()


def _page(url: str, body: bytes, status: int = 200, headers: Any = None) -> HtmlResponse:
    return HtmlResponse(
        url=url, body=body, status=status, headers=headers, request=scrapy.Request(url)
    )


def test_credentials_come_from_the_environment_and_never_show() -> None:
    assert Credentials.from_environment({}) is None
    credentials = Credentials.from_environment({USER_VARIABLE: USER, PASSWORD_VARIABLE: PASSWORD})
    assert credentials == Credentials(USER, PASSWORD)
    assert PASSWORD not in repr(credentials) and USER not in repr(credentials)
    assert credentials.scrub(f"x {PASSWORD} y") == "x *** y"
    half = Credentials.from_environment({USER_VARIABLE: USER})
    assert half is not None and half.password == ""


def test_the_login_form_is_filled_with_its_hidden_fields() -> None:
    credentials = Credentials(USER, PASSWORD)
    request = login_form_request(_page(f"{PRODUCTION}/wp-login.php", FORM_PAGE), credentials)
    assert request.method == "POST"
    assert request.url == f"{PRODUCTION}/wp-login.php"
    fields = dict(
        pair.split("=", 1) for pair in request.body.decode().split("&")
    )  # url-encoded form
    assert fields["log"] == USER
    assert fields["testcookie"] == "1"
    assert fields["wp-submit"] == "Log+In"
    assert "redirect_to" in fields
    assert "rememberme" not in fields  # unchecked box
    assert request.meta["dont_cache"] and request.meta["dont_redirect"]
    assert PASSWORD not in repr(request) and PASSWORD not in str(request)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'method="post"', b'method="get"'),  # the password would end up in a logged URL
        (b'action="https://www.vallartadaily.com/', b'action="https://elsewhere.example/'),
        (b'action="https://', b'action="http://'),  # a downgrade to plain HTTP
        (b'name="pwd"', b'name="password"'),  # no WordPress form
        # Another port of the same host, the site's alias host, credentials in the address:
        # each another origin than the one that served the form.
        (b'action="https://www.vallartadaily.com/', b'action="https://www.vallartadaily.com:8443/'),
        (b'action="https://www.', b'action="https://'),
        (b'action="https://', b'action="https://reader:pw@'),
    ],
)
def test_the_password_is_sent_only_to_the_site_s_own_form(old: bytes, new: bytes) -> None:
    page = _page(f"{PRODUCTION}/wp-login.php", FORM_PAGE.replace(old, new))
    with pytest.raises(LoginFailedError) as failure:
        login_form_request(page, Credentials(USER, PASSWORD))
    assert PASSWORD not in str(failure.value)


@pytest.mark.parametrize(
    "hops",
    [
        ["http://127.0.0.1:8000/wp-login.php", "http://127.0.0.1:8001/wp-login.php"],
        ["https://www.vallartadaily.com/wp-login.php", "http://www.vallartadaily.com/wp-login.php"],
        ["https://vallartadaily.com/wp-login.php", "https://www.vallartadaily.com/wp-login.php"],
        # Away and back again: the form's origin is right, but another origin was asked on the
        # way (and could have served a page of its own).
        [
            "http://127.0.0.1:8000/wp-login.php",
            "http://127.0.0.1:8001/login",
            "http://127.0.0.1:8000/wp-login.php",
        ],
    ],
)
def test_no_password_after_a_redirect_to_another_origin(hops: list[str]) -> None:
    """The form's own action is right (it posts to the page it is on); the redirect before it
    is what disqualifies it."""
    *before, served_at = hops
    form = FORM_PAGE.replace(b"https://www.vallartadaily.com/wp-login.php", served_at.encode())
    request = scrapy.Request(served_at, meta={"redirect_urls": before})
    page = HtmlResponse(url=served_at, body=form, request=request)
    with pytest.raises(LoginFailedError, match="redirected to another origin"):
        login_form_request(page, Credentials(USER, PASSWORD))
    # The same page reached directly is fine.
    direct = HtmlResponse(url=served_at, body=form, request=scrapy.Request(served_at))
    assert login_form_request(direct, Credentials(USER, PASSWORD)).url == served_at


def test_success_is_the_login_cookie_or_a_redirect_away_from_the_form() -> None:
    url = f"{PRODUCTION}/wp-login.php"
    check_login(_page(url, b"", 302, {"Set-Cookie": f"{LOGGED_IN_COOKIE}=u%7C1; path=/"}))
    check_login(_page(url, b"", 302, {"Location": f"{PRODUCTION}/wp-admin/"}))
    with pytest.raises(LoginFailedError, match="rejected"):
        check_login(_page(url, FORM_PAGE.replace(b"<!--login_error-->", b'<div id="login_error">x</div>')))  # fmt: skip # noqa: E501
    with pytest.raises(LoginFailedError, match="no login cookie"):
        check_login(_page(url, b"", 302, {"Location": f"{url}?login=failed"}))


def test_the_fixture_pages_clean_to_a_wall_and_to_the_full_story() -> None:
    for version in ("anonymous", "subscriber"):
        expected = STORY[version]
        page = (SITE / "subscriber" / expected["page"]).read_bytes()
        article = clean_html(page, STORY["canonical_url"])
        assert article.extractor == "pvdn"
        assert article.title == STORY["title"]
        assert article.paywalled is expected["paywalled"]
        assert article.body.endswith(expected["body_ends_with"])
        assert [t for t in article.teasers if t.url] == STORY["teasers"]
