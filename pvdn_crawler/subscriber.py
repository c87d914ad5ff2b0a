"""Optional subscriber access: a WordPress login before the crawl starts, with credentials
taken from the environment only.

`PVDN_SUBSCRIBER_USER` and `PVDN_SUBSCRIBER_PASSWORD` are read when the spider is built and go
into no setting, spider argument, log line, stat or archive row. The password lives in two
places only: a `Credentials` object (its repr shows neither field) and the body of the one POST
to `/wp-login.php`. That POST goes straight to the downloader (`download_async`), so it never
enters the scheduler (nor a JOBDIR queue on disk); `dont_cache` keeps it, and the login page,
out of the HTTP cache (which would store request bodies); Scrapy's request logging shows the
method and URL, never the body. The session then rides in CookiesMiddleware's jar; its cookies
are logged only with COOKIES_DEBUG on, and WordPress's login cookie holds the username and a
token, never the password.

The POST goes only to the origin (scheme, host and port, no alias) that served the form, and
only if the form's GET reached it without a redirect to another origin; anything else is a
failed login, counted as such, and the crawl goes on anonymously. OriginGuardMiddleware
(`pvdn_crawler.middlewares`) refuses requests off the site as well, these included.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Response, TextResponse

from pvdn_crawler.origin import REDIRECT_STATUSES, Origin, origin_of, same_origin

USER_VARIABLE = "PVDN_SUBSCRIBER_USER"
PASSWORD_VARIABLE = "PVDN_SUBSCRIBER_PASSWORD"
LOGIN_PATH = "/wp-login.php"
LOGGED_IN_COOKIE = b"wordpress_logged_in_"
# WordPress's form, or any form with its two fields.
_LOGIN_FORM = "//form[.//input[@name='log'] and .//input[@name='pwd']]"
_BUTTONS = frozenset({"submit", "button", "reset", "image", "file"})


class LoginFailedError(Exception):
    """Why the login did not work, in words that never include the credentials."""


@dataclass(frozen=True)
class Credentials:
    user: str = field(repr=False)
    password: str = field(repr=False)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Credentials | None:
        """The subscriber's credentials, or None when neither variable is set (one set alone
        makes a login that fails with the other named)."""
        env = os.environ if environ is None else environ
        user, password = env.get(USER_VARIABLE, "").strip(), env.get(PASSWORD_VARIABLE, "")
        return cls(user, password) if user or password else None

    def scrub(self, text: str) -> str:
        return text.replace(self.password, "***") if self.password else text


async def log_in(crawler: Crawler, base_url: str, credentials: Credentials) -> None:
    """GET the login form, POST it filled in; raise LoginFailedError unless the answer shows a
    session. Only downloader middlewares apply, robots.txt among them."""
    if not credentials.user:
        raise LoginFailedError(f"{USER_VARIABLE} is not set")
    if not credentials.password:
        raise LoginFailedError(f"{PASSWORD_VARIABLE} is not set")
    if crawler.engine is None:
        raise LoginFailedError("the crawl has no engine yet")
    try:
        page = await crawler.engine.download_async(
            Request(base_url + LOGIN_PATH, meta={"dont_cache": True}, dont_filter=True)
        )
        answer = await crawler.engine.download_async(login_form_request(page, credentials))
    except LoginFailedError:
        raise
    except IgnoreRequest as exc:
        raise LoginFailedError(f"the login request was dropped ({exc})") from None
    except Exception as exc:
        raise LoginFailedError(credentials.scrub(f"{type(exc).__name__}: {exc}")) from None
    check_login(answer)


def login_form_request(page: Response, credentials: Credentials) -> FormRequest:
    """The login POST built from the form the site served: its hidden fields, its submit
    button and the checked boxes, with `log` and `pwd` filled in. It is not redirected
    (WordPress sends a subscriber on to /wp-admin/, which robots.txt disallows): the answer
    itself says whether the login worked."""
    forms = page.xpath(_LOGIN_FORM) if isinstance(page, TextResponse) else []
    if not forms:
        raise LoginFailedError(f"no login form at {page.url} (HTTP {page.status})")
    form = forms[0]
    action = page.urljoin(form.attrib.get("action") or page.url)
    # The password goes in a POST body, never into a URL (a GET form would put it there, and
    # URLs are logged), and only to the origin that served the form: same scheme, host and
    # port, reached without a redirect to another origin on the way.
    if form.attrib.get("method", "get").lower() != "post":
        raise LoginFailedError("the login form does not POST; not sending the password")
    served_from = login_page_origin(page)
    if not same_origin(action, page.url):
        target = origin_of(action)
        where = str(target) if target is not None else "an address with no usable origin"
        raise LoginFailedError(
            f"the login form at {served_from} posts to {where}; not sending the password"
        )
    inputs = form.xpath(".//input[@name]")
    clicked = next((i for i in inputs if i.attrib.get("type", "").lower() == "submit"), None)
    fields: list[tuple[str, str]] = []
    for field_ in inputs:
        kind, name = field_.attrib.get("type", "text").lower(), field_.attrib["name"]
        unchecked = kind in {"checkbox", "radio"} and "checked" not in field_.attrib
        unclicked = kind in _BUTTONS and field_ is not clicked
        if not (unchecked or unclicked or name in {"log", "pwd"}):
            fields.append((name, field_.attrib.get("value", "")))
    fields += [("log", credentials.user), ("pwd", credentials.password)]
    meta: dict[str, Any] = {
        "dont_cache": True,
        "dont_redirect": True,
        "handle_httpstatus_list": list(REDIRECT_STATUSES),
    }
    return FormRequest(action, formdata=fields, meta=meta, dont_filter=True)


def login_page_origin(page: Response) -> Origin:
    """The origin that served the login form, if it is the one the GET was sent to: a form
    reached through a redirect to another origin (another port, the other scheme, even the
    site's `www.` alias) raises LoginFailedError."""
    request = page.request
    chain = [*(request.meta.get("redirect_urls", []) if request is not None else []), page.url]
    origins = {origin_of(url) for url in chain}
    served_from = origin_of(page.url)
    if served_from is None or len(origins) != 1:
        hops = " -> ".join(str(o) if o is not None else "?" for o in map(origin_of, chain))
        raise LoginFailedError(
            f"the login page was redirected to another origin ({hops}); not sending the password"
        )
    return served_from


def check_login(answer: Response) -> None:
    """A session shows as WordPress's login cookie, or as a redirect away from the form."""
    cookies = answer.headers.getlist(b"Set-Cookie")
    if any(cookie.lstrip().startswith(LOGGED_IN_COOKIE) for cookie in cookies):
        return
    location = answer.headers.get(b"Location")
    if answer.status in REDIRECT_STATUSES and location:
        target = urlsplit(answer.urljoin(location.decode("latin-1")))
        if target.path != LOGIN_PATH:
            return
    if isinstance(answer, TextResponse) and answer.css("#login_error"):
        raise LoginFailedError("the site rejected the username or password")
    raise LoginFailedError(f"no login cookie in the answer (HTTP {answer.status})")
