"""The crawl stays on the site's scheme, host and port, sends the subscriber password only to
the origin that served the login form, and obeys robots.txt for every request.

Each scenario is the real `scrapy crawl pvdn` in a subprocess against `tests/fault_server.py`
on 127.0.0.1, with a canary (`start_canary`) on another port of the same host: it serves a
site of its own, so a crawl that reached it would go on there, and it counts every TCP
connection, so even a request it could not read counts. The scenarios are independent and
run side by side (module fixture `runs`); short timeouts keep them fast.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from pvdn_crawler.extensions import EXIT_STATUS, WATCHED_FIELDS, Figures, Limits, verdict
from pvdn_crawler.middlewares import OriginGuardMiddleware
from pvdn_crawler.mirror import SITE
from pvdn_crawler.origin import Origin, origin_of, same_origin, site_origin, without_credentials
from pvdn_crawler.robots import RobotsRules
from pvdn_crawler.spiders.pvdn import PvdnSpider
from pvdn_crawler.subscriber import PASSWORD_VARIABLE, USER_VARIABLE
from tests.crawl_runner import PROJECT, crawl_command, crawl_env, query
from tests.fault_server import (
    CATEGORY_FEED,
    RSS,
    TEXT,
    FaultServer,
    Reply,
    article,
    redirect,
    rss,
    start_canary,
    start_fault_server,
    status,
)

TIMEOUT = 2.0  # DOWNLOAD_TIMEOUT
RETRIES = 1  # RETRY_TIMES: two attempts in all
ROBOTS_TIMEOUT = 2.0  # PVDN_ROBOTS_TIMEOUT
NEVER = 60.0  # how long a robots.txt that "never answers" keeps the request waiting
USER, PASSWORD = "canary-reader", "pw-canary-7f3k"  # invented: the mirror's user is not used
LOGIN_FORM = (SITE / "subscriber" / "wp-login.html").read_bytes()
CREDENTIAL_LINKS = 30


@dataclass
class Run:
    server: FaultServer
    canary: FaultServer
    database: Path
    result: subprocess.CompletedProcess[str] = field(init=False)

    @property
    def line(self) -> str:
        lines = [line for line in self.result.stderr.splitlines() if "pvdn run " in line]
        assert len(lines) == 1, self.result.stderr[-3000:]
        return lines[0]

    def figure(self, name: str) -> float:
        found = re.search(rf"\b{name}=([\d.]+)", self.line)
        assert found, self.line
        return float(found.group(1))

    def counts(self) -> dict[str, int]:
        [(counts,)] = query(self.database, "SELECT counts FROM crawl_runs")
        parsed: dict[str, int] = json.loads(counts)
        return parsed

    def status(self) -> str:
        [(status_,)] = query(self.database, "SELECT status FROM crawl_runs")
        return str(status_)

    def stored(self) -> set[str]:
        rows = query(self.database, "SELECT canonical_url FROM articles")
        return {url.removeprefix(self.server.origin) for (url,) in rows}

    def untouched(self) -> bool:
        """Whether the canary saw nothing at all: no connection, no request."""
        return self.canary.connections == 0 and self.canary.hits == []


def _page(links: list[str], head: str = "") -> bytes:
    """A WordPress archive page linking `links` (absolute URLs, or paths on production)."""
    anchors = "".join(
        f'<h2><a href="{"https://www.vallartadaily.com" + u if u.startswith("/") else u}">'
        f"{i}</a></h2>"
        for i, u in enumerate(links)
    )
    return (
        f"<!DOCTYPE html><html><head><title>Archive</title>{head}</head>"
        f'<body class="archive category"><main>{anchors}</main></body></html>'
    ).encode()


def _login_form(action: str | None = None) -> Reply:
    """WordPress's login form, posting to the page's own site or to `action`."""
    page = LOGIN_FORM
    if action is not None:
        page = page.replace(b'action="https://www.vallartadaily.com/wp-login.php"',
                            f'action="{action}"'.encode())  # fmt: skip
        assert action.encode() in page
    return Reply(body=page)


# -- the scenarios: each sets up its servers, then one crawl runs against `server` ----------

Setup = Callable[[FaultServer, FaultServer], tuple[str, ...]]


def _ports(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
    """Every way a site can point the crawl at another port: a redirect of a feed, a sitemap
    robots.txt names, a listing and an article, a meta refresh, a sitemap and links on the
    other port, and links that carry credentials (on this port and the other one)."""
    elsewhere = canary.origin
    credentials = [f"http://reader:secret@127.0.0.1:{server.port}/cred-{n}/"
                   for n in range(CREDENTIAL_LINKS)]  # fmt: skip
    credentials += [f"http://reader:secret@{canary.origin.removeprefix('http://')}/cred/"]
    refresh = f'<meta http-equiv="refresh" content="0; url={elsewhere}/category/refreshed/">'
    robots = "User-agent: *\nDisallow: /wp-admin/\n\n"
    robots += f"Sitemap: {server.origin}/wp-sitemap.xml\nSitemap: {elsewhere}/post-sitemap.xml\n"
    script = {
        "/robots.txt": [Reply(body=robots.encode(), content_type=TEXT)],
        "/feed/": [Reply(body=rss(["/fine/", "/moved-article/"]), content_type=RSS)],
        CATEGORY_FEED: [redirect(f"{elsewhere}{CATEGORY_FEED}", 302)],
        "/wp-sitemap.xml": [redirect(f"{elsewhere}/wp-sitemap.xml")],
        "/headlines/": [
            Reply(
                body=_page(
                    [
                        "/listed/",
                        "/category/moved/",
                        "/category/refresh/",
                        *credentials,
                        f"{elsewhere}/elsewhere-article/",
                    ]
                )
            )
        ],
        "/category/moved/": [redirect(f"{elsewhere}/category/moved/")],
        "/category/refresh/": [Reply(body=_page([], head=refresh))],
        "/moved-article/": [redirect(f"{elsewhere}/moved-article/")],
        "/fine/": [article("a01-mid2025-full-repeat", "/fine/")],
        "/listed/": [article("b05-wire-ap", "/listed/")],
    }
    for path, replies in script.items():
        server.set(path, *replies)
    # Zero failures tolerated: the refusals and the ignored links must not count as any.
    return ("PVDN_MAX_ERRORS=0",)


def _robots_redirect(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
    server.set("/robots.txt", redirect(f"{canary.origin}/robots.txt"))
    server.set("/feed/", Reply(body=rss(["/fine/"]), content_type=RSS))
    server.set("/fine/", article("a01-mid2025-full-repeat", "/fine/"))
    return ()


def _scheme_switch(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
    """The site's own port under the other scheme (a plain request to a TLS port, or a TLS
    handshake with a plain one), and the canary under the other scheme."""
    other = "http" if server.tls else "https"
    server.set("/feed/", redirect(f"{other}://127.0.0.1:{server.port}/feed/", 302))
    server.set(CATEGORY_FEED, redirect(f"{other}://127.0.0.1:{canary.port}{CATEGORY_FEED}"))
    server.set("/headlines/", Reply(body=_page(["/listed/", "/category/switch/"])))
    server.set("/category/switch/", redirect(f"{other}://127.0.0.1:{server.port}/category/x/"))
    server.set("/listed/", article("b05-wire-ap", "/listed/"))
    return ()


def _login_posts_elsewhere(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
    server.set("/wp-login.php", _login_form(f"{canary.origin}/wp-login.php"))
    canary.set("/wp-login.php", _login_form())
    return ()


def _login_redirects_elsewhere(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
    server.set("/wp-login.php", redirect(f"{canary.origin}/wp-login.php", 302))
    canary.set("/wp-login.php", _login_form())
    return ()


def _robots(rules: str, *, feed: tuple[str, ...] = ("/fine/",)) -> Setup:
    def setup(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
        server.set("/robots.txt", Reply(body=rules.encode(), content_type=TEXT))
        server.set("/feed/", Reply(body=rss(feed), content_type=RSS))
        server.set("/headlines/", Reply(body=_page(["/listed/"])))
        server.set("/fine/", article("a01-mid2025-full-repeat", "/fine/"))
        server.set("/listed/", article("b05-wire-ap", "/listed/"))
        return ()

    return setup


def _robots_answers(*replies: Reply) -> Setup:
    def setup(server: FaultServer, canary: FaultServer) -> tuple[str, ...]:
        _robots("")(server, canary)
        server.set("/robots.txt", *replies)
        return ()

    return setup


SCENARIOS: dict[str, tuple[Setup, bool, bool]] = {  # setup, TLS origin, subscriber login
    "ports": (_ports, False, False),
    "robots_redirect": (_robots_redirect, False, False),
    "https_to_http": (_scheme_switch, True, False),
    "http_to_https": (_scheme_switch, False, False),
    "login_posts_elsewhere": (_login_posts_elsewhere, False, True),
    "login_redirects_elsewhere": (_login_redirects_elsewhere, False, True),
    "disallow_all": (_robots("User-agent: *\nDisallow: /\n"), False, False),
    "disallow_start_pages": (
        _robots("User-agent: *\nDisallow: /headlines/\nDisallow: /category/\n"),
        False,
        False,
    ),
    "robots_never_answers": (_robots_answers(Reply(delay=NEVER, content_type=TEXT)), False, False),
    "robots_500": (_robots_answers(status(500)), False, False),
    "robots_503_then_404": (_robots_answers(status(503), status(404)), False, False),
}


def _env(login: bool) -> dict[str, str]:
    env = crawl_env(**({USER_VARIABLE: USER, PASSWORD_VARIABLE: PASSWORD} if login else {}))
    if not login:
        env.pop(USER_VARIABLE, None)
        env.pop(PASSWORD_VARIABLE, None)
    return env


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    with ExitStack() as stack:
        started: dict[str, tuple[Run, subprocess.Popen[str]]] = {}
        for name, (setup, tls, login) in SCENARIOS.items():
            server = stack.enter_context(start_fault_server(tls=tls))
            canary = stack.enter_context(start_canary())
            settings = setup(server, canary)
            run = Run(server, canary, tmp_path_factory.mktemp(name) / "archive.sqlite3")
            command = crawl_command(
                server.origin,
                run.database,
                f"DOWNLOAD_TIMEOUT={TIMEOUT}",
                f"RETRY_TIMES={RETRIES}",
                f"PVDN_ROBOTS_TIMEOUT={ROBOTS_TIMEOUT}",
                *settings,
            )
            process = subprocess.Popen(
                command,
                cwd=PROJECT,
                env=_env(login),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            started[name] = (run, process)
        for run, process in started.values():
            stdout, stderr = process.communicate(timeout=120)
            run.result = subprocess.CompletedProcess(process.args, process.returncode, stdout,
                                                     stderr)  # fmt: skip
        yield {name: run for name, (run, _) in started.items()}


def _report(runs: dict[str, Run]) -> str:
    """Canary connections per scenario (the figure a failing assertion shows first)."""
    return ", ".join(f"{name}={run.canary.connections}" for name, run in runs.items())


def test_no_scenario_reaches_another_port(runs: dict[str, Run]) -> None:
    assert all(run.untouched() for run in runs.values()), _report(runs)


# -- scheme, host and port ----------------------------------------------------------------


def test_redirects_and_meta_refresh_to_another_port_are_refused(runs: dict[str, Run]) -> None:
    run = runs["ports"]
    assert run.untouched(), [hit.path for hit in run.canary.hits]
    assert run.result.returncode == 0, run.result.stderr[-3000:]  # with PVDN_MAX_ERRORS=0
    # The site's own pages were crawled: the refusals cost nothing else.
    assert run.stored() == {"/fine/", "/listed/"}
    counts = run.counts()
    # The category feed, the sitemap, the listing redirect and the meta refresh: each refused
    # once, before anything was sent, and none of them a failure.
    assert counts["refused_port"] == 4
    assert run.figure("failed") == 0
    assert counts["redirects_off_site"] == 1  # the article: the spider's own redirect check
    refused = [line for line in run.result.stderr.splitlines() if "refused " in line]
    assert len(refused) == 4, refused
    assert all(str(run.canary.port) in line for line in refused)


def test_links_with_credentials_are_never_requested(runs: dict[str, Run]) -> None:
    run = runs["ports"]
    assert not [hit.path for hit in run.server.hits if hit.path.startswith("/cred-")]
    assert not [hit for hit in run.server.hits if "Authorization" in hit.headers]
    assert run.status() == "ok"
    assert run.figure("failed") == 0
    assert "secret" not in run.result.stderr


def test_a_robots_txt_redirected_to_another_port_blocks_the_crawl(runs: dict[str, Run]) -> None:
    """The rules cannot be read without leaving the site: disallow-all, nothing else fetched."""
    run = runs["robots_redirect"]
    assert run.untouched()
    assert {hit.path for hit in run.server.hits} == {"/robots.txt"}
    assert run.result.returncode == 7, run.result.stderr[-3000:]
    assert "pvdn run robots.txt unreachable (redirect):" in run.line
    assert run.status() == "robots.txt unreachable"


@pytest.mark.parametrize("name", ["https_to_http", "http_to_https"])
def test_a_switch_of_scheme_is_refused(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.untouched()
    # Every connection the site's own port took carried a request it could read: no plain
    # request reached its TLS port, no TLS handshake its plain one.
    assert run.server.connections == len(run.server.hits), run.server.errors
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.stored() == {"/listed/"}
    assert run.counts()["refused_scheme"] == 2  # the feed, and the listing on this port
    assert run.counts()["refused_port"] == 1  # the category feed on the canary's port
    assert run.figure("failed") == 0


# -- the subscriber password ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["login_posts_elsewhere", "login_redirects_elsewhere"])
def test_the_password_never_leaves_the_login_form_s_origin(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.untouched()
    assert not [hit for hit in run.server.hits if hit.method == "POST"]
    counts = run.counts()
    assert counts["subscriber_login_failed"] == 1
    assert "subscriber_logged_in" not in counts
    assert "ERROR: subscriber login failed" in run.result.stderr
    assert PASSWORD not in run.result.stderr
    # The crawl goes on anonymously.
    assert run.result.returncode == 0, run.result.stderr[-3000:]


# -- robots.txt ----------------------------------------------------------------------------


def test_disallow_all_fetches_nothing_but_robots_txt(runs: dict[str, Run]) -> None:
    run = runs["disallow_all"]
    assert {hit.path for hit in run.server.hits} == {"/robots.txt"}
    assert run.result.returncode == 6, run.result.stderr[-3000:]
    assert "pvdn run blocked by robots.txt:" in run.line
    assert run.status() == "blocked by robots.txt"
    assert run.counts()["robots_forbidden"] >= 3  # the feeds and /headlines/, at least


def test_disallowed_start_pages_are_never_fetched(runs: dict[str, Run]) -> None:
    """The four start requests go out together and all wait for the same robots.txt: the two
    it disallows are never sent (Scrapy's own middleware let both through, every run)."""
    run = runs["disallow_start_pages"]
    paths = [hit.path for hit in run.server.hits]
    assert "/headlines/" not in paths
    assert CATEGORY_FEED not in paths
    assert "/feed/" in paths
    assert run.stored() == {"/fine/"}
    assert run.result.returncode == 0, run.result.stderr[-3000:]
    assert run.counts()["robots_forbidden"] == 2


def test_a_robots_txt_that_never_answers_stops_the_run_at_once(runs: dict[str, Run]) -> None:
    run = runs["robots_never_answers"]
    assert [hit.path for hit in run.server.hits] == ["/robots.txt"]
    assert run.result.returncode == 7, run.result.stderr[-3000:]
    assert "pvdn run robots.txt unreachable (timeout):" in run.line
    # It gave up after its own timeout, not after the server's wait (nor DOWNLOAD_TIMEOUT
    # times the retries).
    assert run.figure("duration") < NEVER / 4
    assert run.counts()["robots_unreachable_timeout"] == 1


def test_a_robots_txt_answering_500_is_disallow_all(runs: dict[str, Run]) -> None:
    run = runs["robots_500"]
    assert [hit.path for hit in run.server.hits] == ["/robots.txt"] * (1 + RETRIES)
    assert run.result.returncode == 7, run.result.stderr[-3000:]
    assert "pvdn run robots.txt unreachable (http_500):" in run.line
    assert run.counts()["robots_unreachable_http_500"] == 1


def test_a_missing_robots_txt_allows_all(runs: dict[str, Run]) -> None:
    """A 503 is retried; the 404 that follows means there are no rules."""
    run = runs["robots_503_then_404"]
    paths = [hit.path for hit in run.server.hits]
    assert paths[:2] == ["/robots.txt", "/robots.txt"]
    assert {"/feed/", CATEGORY_FEED, "/headlines/"} <= set(paths)
    assert run.stored() == {"/fine/", "/listed/"}
    assert run.result.returncode == 0, run.result.stderr[-3000:]


# -- the rules, in memory ------------------------------------------------------------------

PRODUCTION = "https://www.vallartadaily.com"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://www.vallartadaily.com/a-story/", None),
        ("https://vallartadaily.com/a-story/", None),  # the documented alias
        ("https://WWW.VallartaDaily.com:443/a-story/", None),  # the default port, spelled out
        ("https://www.vallartadaily.com:8443/a-story/", "port"),
        ("http://www.vallartadaily.com:443/a-story/", "scheme"),  # same port, plain http
        ("http://www.vallartadaily.com/a-story/", "scheme"),  # each on its default port
        ("http://www.vallartadaily.com:8080/a-story/", "port"),
        ("ftp://www.vallartadaily.com/a-story/", "scheme"),
        ("https://pvdntv.com/a-story/", "host"),
        ("https://shop.vallartadaily.com/a-story/", "host"),
        ("https://www.vallartadaily.com.evil.example/a-story/", "host"),
        ("https://reader:pw@www.vallartadaily.com/a-story/", "credentials"),
        ("https://reader@www.vallartadaily.com/a-story/", "credentials"),
        ("https://www.vallartadaily.com:notaport/a-story/", "port"),
    ],
)
def test_what_is_on_the_site_s_origin(url: str, why: str | None) -> None:
    assert site_origin(PRODUCTION).refusal(url) == why


def test_a_local_mirror_has_no_alias_and_its_port_is_its_own() -> None:
    site = site_origin("http://127.0.0.1:8000")
    assert site.hosts == {"127.0.0.1"}
    assert site.refusal("http://127.0.0.1:8000/x/") is None
    assert site.refusal("http://127.0.0.1:8001/x/") == "port"
    assert site.refusal("http://127.0.0.1/x/") == "port"  # port 80
    assert site.refusal("https://127.0.0.1:8000/x/") == "scheme"
    assert site.refusal("https://127.0.0.1:8001/x/") == "port"
    assert site.refusal("http://www.127.0.0.1:8000/x/") == "host"
    assert site.upgraded("http://127.0.0.1:8000/x/") is None  # an http site is not upgraded


def test_plain_http_links_to_the_https_site_are_upgraded() -> None:
    site = site_origin(PRODUCTION)
    assert site.upgraded("http://vallartadaily.com/a/?p=1") == "https://vallartadaily.com/a/?p=1"
    assert site.upgraded("http://www.vallartadaily.com:80/a/") == "https://www.vallartadaily.com/a/"
    assert site.upgraded("http://www.vallartadaily.com:8080/a/") is None
    assert site.upgraded("http://u:p@www.vallartadaily.com/a/") is None
    assert site.upgraded("http://pvdntv.com/a/") is None
    assert site_origin("https://127.0.0.1:8443").upgraded("http://127.0.0.1/a/") is None


def test_origins_compare_scheme_host_and_port() -> None:
    assert origin_of("https://www.vallartadaily.com/x") == Origin(
        "https", "www.vallartadaily.com", 443
    )
    assert same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/b?c")
    assert not same_origin("http://127.0.0.1:8000/a", "http://127.0.0.1:8001/a")
    assert not same_origin("https://vallartadaily.com/a", "https://www.vallartadaily.com/a")
    assert origin_of("http://u:p@127.0.0.1:8000/a") is None
    assert origin_of("mailto:news@vallartadaily.com") is None
    assert without_credentials("http://u:p@127.0.0.1:8000/a") == "http://***@127.0.0.1:8000/a"
    with pytest.raises(ValueError):
        site_origin("www.vallartadaily.com")


def _guard(base_url: str) -> tuple[OriginGuardMiddleware, dict[str, Any]]:
    crawler = get_crawler(PvdnSpider)
    crawler.spider = PvdnSpider(base_url=base_url)
    assert crawler.stats is not None
    return OriginGuardMiddleware.from_crawler(crawler), crawler.stats.get_stats()


def test_the_guard_refuses_redirects_off_the_origin_and_upgrades_links() -> None:
    guard, stats = _guard(PRODUCTION)
    assert guard.process_request(Request(PRODUCTION + "/a/")) is None
    assert guard.process_request(Request("https://vallartadaily.com/a/")) is None
    upgraded = guard.process_request(Request("http://www.vallartadaily.com/a/", meta={"k": 1}))
    assert upgraded is not None
    assert (upgraded.url, upgraded.meta["k"]) == ("https://www.vallartadaily.com/a/", 1)
    # A redirect to plain http is the site asking for a downgrade: refused, not upgraded.
    downgrade = Request("http://www.vallartadaily.com/b/", meta={"redirect_urls": [PRODUCTION]})
    for request in (
        downgrade,
        Request("https://www.vallartadaily.com:8443/c/"),
        Request("https://reader:pw@www.vallartadaily.com/d/"),
        FormRequest("https://pvdntv.com/wp-login.php", formdata={"pwd": "x"}),
    ):
        with pytest.raises(IgnoreRequest):
            guard.process_request(request)
    assert stats == {
        "pvdn/origin/upgraded": 1,
        "pvdn/refused/scheme": 1,
        "pvdn/refused/port": 1,
        "pvdn/refused/credentials": 1,
        "pvdn/refused/host": 1,
    }


def test_robots_rules() -> None:
    parser = ProtegoRobotParser.from_crawler(get_crawler(), b"User-agent: *\nDisallow: /\n")
    rules = RobotsRules("parsed", parser)
    assert not rules.allows(PRODUCTION + "/headlines/", "pvdn-archive")
    assert rules.allows(PRODUCTION + "/robots.txt", "pvdn-archive")  # implicitly allowed
    unreachable = RobotsRules("unreachable", cause="timeout")
    assert not unreachable.allows(PRODUCTION + "/robots.txt", "pvdn-archive")
    assert RobotsRules("unavailable").allows(PRODUCTION + "/wp-admin/", "pvdn-archive")


def _figures(**changes: Any) -> Figures:
    base = dict.fromkeys(Figures.__dataclass_fields__, 0)
    missing = dict.fromkeys(WATCHED_FIELDS, 0)
    return Figures(
        **{**base, "duration": 1.0, "robots_unreachable": "", "missing": missing, **changes}
    )


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        (_figures(robots_unreachable="timeout"), "robots.txt unreachable"),
        (_figures(robots_unreachable="http_500", responses=2), "robots.txt unreachable"),
        (_figures(robots_unreachable="redirect", responses=1), "robots.txt unreachable"),
        # Not even a connection: the site is down, not its robots.txt.
        (_figures(robots_unreachable="connection"), "site unreachable"),
        (_figures(robots_unreachable="dns"), "site unreachable"),
        # Another host's robots.txt failed, the site's own pages answered: not the verdict.
        (_figures(robots_unreachable="timeout", responses=9, answered=8), "ok"),
        (_figures(robots_forbidden=4, responses=2), "blocked by robots.txt"),
        (_figures(robots_forbidden=2, responses=20, answered=18), "ok"),
        # What robots.txt allowed failed: not robots.txt's doing.
        (_figures(robots_forbidden=2, responses=1, failed=1), "ok"),
        (_figures(responses=0), "site unreachable"),
    ],
)
def test_robots_verdicts(figures: Figures, expected: str) -> None:
    limits = Limits(max_generic_share=0.3, max_missing_share=0.1, max_errors=25)
    assert verdict("finished", figures, limits).name == expected
    assert EXIT_STATUS[expected] == {"ok": 0, "site unreachable": 3,
                                     "blocked by robots.txt": 6,
                                     "robots.txt unreachable": 7}[expected]  # fmt: skip
