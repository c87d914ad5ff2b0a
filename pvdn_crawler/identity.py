"""Which article an address is: aliases, redirects, post ids and the link forms seen.

A WordPress article answers under many addresses (`/slug` and `/slug/`, `?p=ID`, `?amp=1`,
`utm_*`, an old path that redirects to a category-prefixed one). A crawl must fetch each
article once and keep every other form as an alias. `UrlIdentity` is that bookkeeping for one
run, with no Scrapy in it: the spider asks it what a link is and tells it what a response
was, and it answers with the address to request (if any) and the alias records to store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from pvdn_crawler.origin import MAX_REDIRECT_HOPS
from pvdn_crawler.urls import alias_form, post_id_of, request_url
from storage.records import AliasRecord, KnownPage

__all__ = ["FetchedArticle", "Sighting", "UrlIdentity"]


@dataclass(frozen=True, slots=True)
class Sighting:
    """What a link is.

    target: the one address to request for it (aliases reduced, redirects followed).
    first: the link is the first this run to lead to `target` (a request would be new).
    canonical: the article it shows, when that is known (stored this run, or archived).
    known: what the archive knows of `target`, if anything.
    aliases: forms of an article that are new and need storing as aliases.
    """

    target: str
    first: bool
    canonical: str | None = None
    known: KnownPage | None = None
    aliases: tuple[AliasRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchedArticle:
    """What `article_fetched` decided: the article's canonical URL, the other addresses that
    led to it (`aliases`), and whether it was stored already this run under another address
    (`duplicate`, in which case `records` are the new alias records to store instead)."""

    canonical: str
    aliases: tuple[str, ...]
    duplicate: bool
    records: tuple[AliasRecord, ...] = ()


@dataclass
class UrlIdentity:
    """One run's knowledge of which address is which article.

    known: the archive's addresses (canonical URLs, aliases, other pages), as
        `ArchiveRepository.known_pages` returns them.
    """

    known: Mapping[str, KnownPage] = field(default_factory=dict)
    _forms: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    _stored: dict[str, str] = field(default_factory=dict)  # request address -> canonical
    _aliased: set[str] = field(default_factory=set)
    _moved: dict[str, str] = field(default_factory=dict)  # request address -> redirect target
    _by_post_id: dict[int, str] = field(default_factory=dict)

    def sight(self, url: str) -> Sighting:
        """What an article-shaped link on the site is; remembers the form."""
        form = alias_form(url)
        target = self._resolve_moves(request_url(form))
        stored = self._stored.get(target) or self._stored_by_shortlink(target)
        if stored is not None:
            return Sighting(target, False, stored, aliases=self._new_aliases({form}, stored))
        known = self.lookup(target)
        if known is None:  # the form itself may be a stored alias of an article
            by_form = self.lookup(form)
            known = by_form if by_form is not None and by_form.is_article else None
        first = target not in self._forms
        self._forms[target].add(form)
        if known is not None and known.is_article:
            # An archived article: its new forms are aliases whether or not it is fetched.
            aliases = self._new_aliases(self._unknown({form}), known.canonical_url)
            return Sighting(target, first, known.canonical_url, known, aliases)
        return Sighting(target, first, None, known)

    def redirected(self, source_url: str, location: str) -> Sighting:
        """A request answered with a redirect to `location` (absolute): the forms that led to
        the source now lead to the target."""
        source = request_url(source_url)
        target = request_url(alias_form(location))
        forms = self._forms.pop(source, set()) | {source_url}
        self._moved[source] = target
        stored = self._stored.get(target)
        if stored is not None:
            return Sighting(target, False, stored, aliases=self._new_aliases(forms, stored))
        known = self.lookup(target)
        first = target not in self._forms
        self._forms[target].update(forms)
        if known is not None and known.is_article:
            aliases = self._new_aliases(self._unknown(forms), known.canonical_url)
            return Sighting(target, first, known.canonical_url, known, aliases)
        return Sighting(target, first, None, known)

    def article_fetched(
        self, fetched_url: str, canonical: str, post_id: int | None
    ) -> FetchedArticle:
        """An article page answered at `fetched_url` and names `canonical`: the addresses that
        led to it become its aliases (once), and later links to any of them are aliases."""
        forms = self._forms.pop(request_url(fetched_url), set()) | self._forms.pop(canonical, set())
        forms.add(fetched_url)
        if canonical in self._stored:
            # Reached under two request addresses (a shortlink served with 200 and its
            # canonical path): the article is stored once, the other address is an alias.
            return FetchedArticle(canonical, (), True, self._new_aliases(forms, canonical))
        aliases = tuple(sorted(forms - {canonical}))
        self._aliased.update(aliases)
        self._stored[canonical] = canonical
        self._stored[request_url(fetched_url)] = canonical
        if post_id is not None:
            self._by_post_id[post_id] = canonical
        return FetchedArticle(canonical, aliases, False)

    def forms_of(self, url: str) -> frozenset[str]:
        """The link forms seen so far that lead to `url`'s request address."""
        return frozenset(self._forms.get(request_url(url), ()))

    def lookup(self, url: str) -> KnownPage | None:
        """What the archive knows of an address, in any of its forms."""
        return self.known.get(url) or self.known.get(request_url(url))

    def _new_aliases(self, forms: Iterable[str], canonical: str) -> tuple[AliasRecord, ...]:
        fresh = sorted(set(forms) - self._aliased - {canonical})
        self._aliased.update(fresh)
        return tuple(AliasRecord(alias_url=form, canonical_url=canonical) for form in fresh)

    def _resolve_moves(self, target: str) -> str:
        """Follow the redirects seen this run and the ones the archive remembers, a few hops
        at most: a known redirect leads to its target, which may not be known yet (a run
        killed between the two)."""
        for _ in range(MAX_REDIRECT_HOPS):
            moved = self._moved.get(target)
            if moved is None:
                known = self.known.get(target)
                if known is None or known.kind != "redirect" or not known.target_url:
                    break
                if _host(known.target_url) != _host(target):
                    break  # a redirect off the site is remembered, never followed
                moved = request_url(known.target_url)
            if moved == target:
                break
            target = moved
        return target

    def _unknown(self, forms: Iterable[str]) -> list[str]:
        return [form for form in forms if form not in self.known]

    def _stored_by_shortlink(self, url: str) -> str | None:
        post_id = post_id_of(dict(parse_qsl(urlsplit(url).query)).get("p", ""))
        return None if post_id is None else self._by_post_id.get(post_id)


def _host(url: str) -> str:
    """The host an address names, without the `www.` the site answers on too."""
    return (urlsplit(url).hostname or "").removeprefix("www.")
