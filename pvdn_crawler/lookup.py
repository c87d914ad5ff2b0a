"""Finding an archived article from whatever a person has at hand.

A reader copies an address from a browser, a feed, a shortlink or a note: the canonical URL,
an alias (`?amp=1`, `utm_*`, an old slug), a `?p=ID` shortlink, a bare post id, or only the
path, with or without its trailing slash, on the production host or on the host the archive
was crawled from (a mirror's origin is stored in the canonical URLs). `references` turns one
such reference into the addresses the archive may hold it under, likeliest first, and the
post id it names, if any; the archive then answers with the first that it knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from pvdn_crawler.urls import PRODUCTION_ORIGIN, alias_form, post_id_of, request_url
from storage import ArchiveRepository, StoredArticle

__all__ = ["locate_article", "references"]


def references(reference: str, origins: Iterable[str]) -> tuple[list[str], int | None]:
    """(the addresses to try, in order; the WordPress post id the reference names, if any).

    `origins` are the origins the archive's articles are stored under (see
    `ArchiveRepository.origins`); the reference's own origin, if it has one, comes first,
    then the production site's, then those.
    """
    text = reference.strip()
    if text.isdigit():
        post_id = _post_id(text)
        bases = _bases(None, origins)
        return ([f"{base}/?p={text}" for base in bases] if post_id else []), post_id
    parts = urlsplit(text if "://" in text or text.startswith("/") else _with_scheme(text))
    given = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
    path = parts.path or "/"
    post_id = _post_id(dict(parse_qsl(parts.query)).get("p", ""))
    forms = _forms(path, parts.query)
    addresses = [f"{base}{form}" for base in _bases(given, origins) for form in forms]
    return list(dict.fromkeys(addresses)), post_id


def locate_article(repository: ArchiveRepository, reference: str) -> StoredArticle | None:
    """The article a reference names: its forms on the production host and on the host it
    gives first, the archive's other origins only if needed."""
    urls, post_id = references(reference, [])
    found = repository.locate(urls, post_id)
    if found is None:
        urls, _ = references(reference, repository.origins())
        found = repository.locate(urls)
    return found


def _with_scheme(text: str) -> str:
    """`www.vallartadaily.com/slug/` without a scheme is a host and a path; `slug/` a path."""
    first = text.split("/", 1)[0]
    return f"https://{text}" if "." in first else "/" + text


def _bases(given: str | None, origins: Iterable[str]) -> list[str]:
    bases = [given] if given else []
    return list(dict.fromkeys([*bases, PRODUCTION_ORIGIN, *origins]))


def _forms(path: str, query: str) -> list[str]:
    """The path and query as given, as the crawler requests it (noise parameters dropped, a
    post's slash added), and with and without the trailing slash."""
    given = urlunsplit(("", "", path, query, ""))
    canonical = urlsplit(request_url(alias_form(f"https://site{given}")))
    requested = urlunsplit(("", "", canonical.path, canonical.query, ""))
    toggled = path[:-1] if path.endswith("/") and path != "/" else path + "/"
    other = urlunsplit(("", "", toggled, query, ""))
    bare = urlunsplit(("", "", canonical.path, "", ""))
    forms = [given, requested, other]
    if not dict(parse_qsl(canonical.query)).get("p"):
        forms.append(bare)  # a query that is not a shortlink does not name another article
    return list(dict.fromkeys(forms))


def _post_id(text: str) -> int | None:
    """A post id a reference names; 0 is none (WordPress numbers posts from 1)."""
    return post_id_of(text.strip()) or None
