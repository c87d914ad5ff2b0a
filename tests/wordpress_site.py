"""The tests' real stock WordPress: reset it, fill it, change it, and read what it served.

`.ci/run` installs Debian's `wordpress` with MariaDB and Apache and starts the site with
`tests/wordpress/start-server`, then sets `PVDN_TEST_WORDPRESS_URL` (and
`PVDN_TEST_WORDPRESS_RUN`, Apache's folder with its access log). Without the URL the tests
that need the site skip and say why (`wordpress_site` in tests/conftest.py).

Everything is written through WordPress's own PHP API (`tests/wordpress/install.php` for the
reset, `tests/wordpress/site.php` for the content), one PHP process per step, with the
invented news of `tests/wordpress_content.py`. The manifest a fill returns is what a crawl is
compared with: every published post with its permalink, title, body text as written, date
with its offset, author and categories, and the ids and addresses of everything that is not
a published post.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.wordpress_content import (
    Existing,
    PlannedPost,
    plan_changes,
    plan_site,
)

URL_VARIABLE = "PVDN_TEST_WORDPRESS_URL"
RUN_VARIABLE = "PVDN_TEST_WORDPRESS_RUN"
DEFAULT_RUN = Path("/var/lib/pvdn-wordpress")
SCRIPTS = Path(__file__).resolve().parent / "wordpress"
PROSE = ("p", "h2", "li", "quote")


class WordPressError(RuntimeError):
    """A PHP step failed; the message carries WordPress's own words."""


@dataclass(frozen=True)
class TextBlock:
    """One block of a post's body as a reader sees it: p, h2, li, quote, cite (a quote's
    attribution) or caption (an image's)."""

    kind: str
    text: str


@dataclass(frozen=True)
class PostLink:
    """A link in a post's body: the href as written, its alias form (url, p, noslash, utm,
    rel, or broken for an address that never existed, page for a link to a Page) and the id
    of the post it leads to (None for a broken link)."""

    href: str
    form: str
    target_id: int | None


@dataclass(frozen=True)
class Post:
    """A published post as WordPress shows it."""

    key: str
    id: int
    url: str  # the permalink (canonical)
    slug: str
    title: str
    published: str  # ISO 8601 with the site's UTC offset
    modified: str
    author: str  # display name
    author_url: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    blocks: tuple[TextBlock, ...]
    links: tuple[PostLink, ...]
    linked_from: tuple[int, ...]  # ids of published posts whose body links here
    image_id: int | None  # the attachment shown in the body (linked to its attachment page)
    featured_image_id: int | None
    content: str  # the stored block markup

    @property
    def paragraphs(self) -> list[str]:
        """The story's prose in order: paragraphs, sub-headings, list items and quotes
        (without a quote's attribution or an image's caption)."""
        return [block.text for block in self.blocks if block.kind in PROSE]

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass(frozen=True)
class Other:
    """Anything served that is not a published post: a draft, pending, private or scheduled
    post, a Page, an attachment. `url` is WordPress's link to it (`?p=ID` for drafts, pending
    and scheduled posts); `pretty_url` the permalink it has or will have."""

    key: str
    id: int
    type: str
    status: str
    title: str
    slug: str
    url: str
    pretty_url: str
    parent_id: int = 0
    file_url: str = ""


@dataclass(frozen=True)
class Term:
    id: int
    name: str
    slug: str
    url: str
    count: int


@dataclass(frozen=True)
class Author:
    id: int
    name: str
    nicename: str
    url: str


@dataclass
class Manifest:
    """What a fill (and then a change) put on the site."""

    origin: str  # http://127.0.0.1:PORT
    timezone: str
    filled_at: str  # ISO 8601: dates were planned from this moment
    listing_url: str  # the posts page (/headlines/), paginated as /headlines/page/N/
    front_url: str
    feed_url: str
    sitemap_url: str
    posts: list[Post]  # published, oldest first
    drafts: list[Other]
    pending: list[Other]
    private: list[Other]
    scheduled: list[Other]
    pages: list[Other]  # published Pages
    draft_pages: list[Other]
    attachments: list[Other]
    categories: list[Term]
    tags: list[Term]
    authors: list[Author]
    broken_links: list[str]
    trashed: list[Post] = field(default_factory=list)

    def post(self, post_id: int) -> Post:
        return next(post for post in self.posts if post.id == post_id)

    @property
    def unpublished(self) -> list[Other]:
        return [*self.drafts, *self.pending, *self.private, *self.scheduled]

    def link_forms(self) -> dict[str, int]:
        """How many links of each alias form the published posts carry."""
        counts: dict[str, int] = {}
        for post in self.posts:
            for link in post.links:
                counts[link.form] = counts.get(link.form, 0) + 1
        return counts

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)


@dataclass(frozen=True)
class Edit:
    before: Post
    after: Post
    added_sentence: str  # appended to the first paragraph
    added_paragraph: str  # a new last paragraph


@dataclass
class Changes:
    """What `WordPressSite.change` did, and the manifest of the site after it."""

    new: list[Post]
    edited: list[Edit]
    trashed_linked: Post  # linked from other published posts, which still link to it
    trashed_unlinked: Post  # no published post links to it
    manifest: Manifest


@dataclass(frozen=True)
class LoggedRequest:
    """One line of Apache's access log for the site."""

    time: int
    method: str
    target: str  # path and query as requested
    status: int
    size: int  # body bytes
    if_none_match: str
    if_modified_since: str
    user_agent: str


@dataclass(frozen=True)
class WordPressSite:
    """The running site: its origin and Apache's folder (access log)."""

    origin: str
    run_dir: Path = DEFAULT_RUN

    @property
    def access_log(self) -> Path:
        return self.run_dir / "access.log"

    def reset(self) -> None:
        """Drop everything and install WordPress again (its default options, then the test
        site's settings: permalinks, time zone, theme)."""
        _php("install.php", self.origin, "reset")

    def fill(self, posts: int = 400, now: datetime | None = None, seed: int = 2024) -> Manifest:
        """Reset the site and fill it with `posts` published posts and the rest of
        `plan_site`'s content; return the manifest."""
        self.reset()
        plan = plan_site(posts=posts, now=now, seed=seed)
        result = _php_json("site.php", self.origin, stdin=plan.to_plan())
        return _manifest(self.origin, plan.now, plan.listing, plan.posts, result)

    def change(self, manifest: Manifest, now: datetime | None = None, seed: int = 7) -> Changes:
        """Publish 3 new posts, edit 5 old ones (a sentence added to the first paragraph, a
        correction paragraph at the end) and trash 2 old ones: one that other posts link to,
        one that none does."""
        now = now or datetime.now().astimezone()
        existing = [
            Existing(
                p.key,
                p.slug,
                p.title,
                len(p.linked_from),
                p.image_id is not None,
            )
            for p in manifest.posts
        ]
        slugs = {p.slug for p in manifest.posts} | {
            o.slug for o in (*manifest.unpublished, *manifest.pages, *manifest.draft_pages)
        }
        plan = plan_changes(existing, slugs, now, seed=seed)
        by_key = {post.key: post for post in manifest.posts}
        edits = []
        for key, (sentence, paragraph) in plan.edited.items():
            edits.append({"key": key, "content": _edited(by_key[key].content, sentence, paragraph)})
        known = {post.key: post.id for post in manifest.posts}
        known |= {o.key: o.id for o in (*manifest.pages, *manifest.attachments)}
        known |= {f"user-{a.nicename}": a.id for a in manifest.authors}
        known |= {f"cat-{c.slug}": c.id for c in manifest.categories}
        result = _php_json(
            "site.php",
            self.origin,
            stdin={
                "known": known,
                "posts": [post.to_plan() for post in plan.new],
                "edits": edits,
                "trash": [plan.trash_linked, plan.trash_unlinked],
            },
        )
        objects = result["objects"]
        authors = {a.id: a for a in manifest.authors}
        ids = {key: int(value) for key, value in result["ids"].items()}
        new = [_post(objects[p.key], p, authors, ids, {}) for p in plan.new]
        edited = []
        for key, (sentence, paragraph) in plan.edited.items():
            before = by_key[key]
            blocks = list(before.blocks)
            first = next(i for i, b in enumerate(blocks) if b.kind == "p")
            blocks[first] = TextBlock("p", f"{blocks[first].text} {sentence}")
            blocks.append(TextBlock("p", paragraph))
            after = replace(
                before,
                blocks=tuple(blocks),
                modified=objects[key]["modified"],
                content=objects[key]["content"],
            )
            edited.append(Edit(before, after, sentence, paragraph))
        trashed = [by_key[plan.trash_linked], by_key[plan.trash_unlinked]]
        gone = {post.id for post in trashed}
        replaced = {edit.after.key: edit.after for edit in edited}
        new_links: dict[int, set[int]] = {}
        for post in new:
            for link in post.links:
                if link.target_id is not None:
                    new_links.setdefault(link.target_id, set()).add(post.id)
        posts = []
        for post in manifest.posts:
            if post.id in gone:
                continue
            post = replaced.get(post.key, post)  # noqa: PLW2901
            if post.id in new_links:
                sources = tuple(sorted({*post.linked_from, *new_links[post.id]}))
                post = replace(post, linked_from=sources)  # noqa: PLW2901
            posts.append(post)
        after = replace(manifest, posts=posts + new, trashed=[*manifest.trashed, *trashed])
        return Changes(new, edited, trashed[0], trashed[1], after)

    def log_mark(self) -> int:
        """A place in the access log: `requests(since=mark)` reads what came after it."""
        return self._settled_size()

    def _settled_size(self, quiet: float = 0.25, limit: float = 10.0) -> int:
        """The log's size once it has not grown for `quiet` seconds: Apache writes a line
        just after it sends the response, so the last answers a client got may not be in
        the log yet when the client reads it."""
        deadline = time.monotonic() + limit
        size = -1
        while time.monotonic() < deadline:
            try:
                now = self.access_log.stat().st_size
            except FileNotFoundError:
                now = 0
            if now == size:
                return size
            size = now
            time.sleep(quiet)
        return size

    def requests(self, since: int = 0, user_agent: str = "") -> list[LoggedRequest]:
        """The requests Apache logged after `since` (a `log_mark()`), those whose
        User-Agent contains `user_agent` if given."""
        end = self._settled_size()
        with self.access_log.open("rb") as log:
            log.seek(since)
            lines = log.read(end - since).decode("utf-8", "replace").splitlines()
        out = []
        for line in lines:
            fields = line.split("\t")
            if len(fields) != 7:
                continue
            stamp, request, status, size, inm, ims, agent = fields
            method, _, rest = request.partition(" ")
            target = rest.rsplit(" ", 1)[0]
            if user_agent and user_agent not in agent:
                continue
            out.append(
                LoggedRequest(
                    int(stamp),
                    method,
                    target,
                    int(status),
                    0 if size == "-" else int(size),
                    "" if inm == "-" else inm,
                    "" if ims == "-" else ims,
                    agent,
                )
            )
        return out


def site_from_environment() -> tuple[WordPressSite | None, str]:
    """The site named by the environment, or None and the reason the tests skip."""
    origin = os.environ.get(URL_VARIABLE, "").rstrip("/")
    if not origin:
        return None, (
            f"{URL_VARIABLE} is not set: no stock WordPress to test against"
            " (.ci/run installs and starts one)"
        )
    if shutil.which("php") is None:
        return None, f"{URL_VARIABLE} is set but php is not installed to fill the site"
    run_dir = Path(os.environ.get(RUN_VARIABLE) or DEFAULT_RUN)
    return WordPressSite(origin, run_dir), ""


def _php(script: str, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        ["php", str(SCRIPTS / script), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        raise WordPressError(f"{script} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def _php_json(script: str, *args: str, stdin: dict[str, Any]) -> dict[str, Any]:
    output = _php(script, *args, stdin=json.dumps(stdin, ensure_ascii=False))
    loaded: dict[str, Any] = json.loads(output)
    return loaded


def _edited(content: str, sentence: str, paragraph: str) -> str:
    """The stored markup with `sentence` added to the first paragraph and `paragraph` as a
    new paragraph block at the end, as an editor would change it."""
    end = content.index("</p>")
    changed = content[:end] + " " + sentence + content[end:]
    return f"{changed}\n\n<!-- wp:paragraph -->\n<p>{paragraph}</p>\n<!-- /wp:paragraph -->"


def _post(
    obj: dict[str, Any],
    planned: PlannedPost,
    authors: dict[int, Author],
    ids: dict[str, int],
    linked_from: dict[int, set[int]],
) -> Post:
    links = []
    hrefs = _hrefs(obj["content"])
    for link in planned.links:
        form = "page" if link.target.startswith("page-") else link.form
        href = next(h for h in hrefs if h[1] == link.anchor)[0]
        target = None if form in ("broken", "category") else ids[link.target]
        links.append(PostLink(href, form, target))
    image = planned.image
    author = authors[int(obj["author"])]
    return Post(
        key=planned.key,
        id=int(obj["id"]),
        url=obj["url"],
        slug=obj["slug"],
        title=obj["title"],
        published=obj["date"],
        modified=obj["modified"],
        author=author.name,
        author_url=author.url,
        categories=tuple(obj["categories"]),
        tags=tuple(obj["tags"]),
        blocks=tuple(TextBlock(b.kind, b.text) for b in planned.blocks),
        links=tuple(links),
        linked_from=tuple(sorted(linked_from.get(int(obj["id"]), ()))),
        image_id=ids[image["key"]] if image else None,
        featured_image_id=int(obj["thumbnail"]) or None,
        content=obj["content"],
    )


def _hrefs(content: str) -> list[tuple[str, str]]:
    """(href, anchor text) of the links in stored markup (written by plan, so regular)."""
    import re  # noqa: PLC0415

    return [
        (unquote(h).replace("&amp;", "&"), a)
        for h, a in re.findall(r'<a href="([^"]*)">([^<]*)</a>', content)
    ]


def _other(obj: dict[str, Any], key: str, home: str) -> Other:
    pretty = f"{home}{obj['slug']}/" if obj["type"] != "attachment" else obj["url"]
    return Other(
        key=key,
        id=int(obj["id"]),
        type=obj["type"],
        status=obj["status"],
        title=obj["title"],
        slug=obj["slug"],
        url=obj["url"],
        pretty_url=pretty,
        parent_id=int(obj["parent"]),
        file_url=obj.get("file_url", ""),
    )


def _manifest(
    origin: str,
    now: datetime,
    listing: str,
    planned: list[PlannedPost],
    result: dict[str, Any],
) -> Manifest:
    objects: dict[str, Any] = result["objects"]
    home: str = result["home"]
    ids = {key: int(value) for key, value in result["ids"].items()}
    authors = {
        int(u["id"]): Author(int(u["id"]), u["display_name"], u["nicename"], u["url"])
        for u in result["users"].values()
    }
    terms = result["terms"].values()
    categories = [
        Term(t["id"], t["name"], t["slug"], t["url"], t["count"])
        for t in terms
        if t["taxonomy"] == "category"
    ]
    tags = [
        Term(t["id"], t["name"], t["slug"], t["url"], t["count"])
        for t in terms
        if t["taxonomy"] == "post_tag"
    ]
    published = [p for p in planned if p.type == "post" and p.status == "publish"]
    linked_from: dict[int, set[int]] = {}
    for post in published:
        for link in post.links:
            if link.target in ids and link.target.startswith("post-"):
                linked_from.setdefault(ids[link.target], set()).add(ids[post.key])
    posts = [_post(objects[p.key], p, authors, ids, linked_from) for p in published]
    posts.sort(key=lambda post: (post.published, post.id))
    by_status: dict[str, list[Other]] = {}
    for p in planned:
        if p.type == "post" and p.status != "publish":
            by_status.setdefault(p.status, []).append(_other(objects[p.key], p.key, home))
    pages = [_other(objects[p.key], p.key, home) for p in planned if p.type == "page"]
    attachments = [
        _other(objects[p.image["key"]], p.image["key"], home)
        for p in published
        if p.image and p.image["key"] in objects
    ]
    broken = [link.href for post in posts for link in post.links if link.form == "broken"]
    front = next(p for p in pages if p.key == "page-front")
    return Manifest(
        origin=origin,
        timezone=result["timezone"],
        filled_at=now.isoformat(),
        listing_url=home.rstrip("/") + listing,
        front_url=home,
        feed_url=f"{home}feed/",
        sitemap_url=f"{home}wp-sitemap.xml",
        posts=posts,
        drafts=by_status.get("draft", []),
        pending=by_status.get("pending", []),
        private=by_status.get("private", []),
        scheduled=by_status.get("future", []),
        pages=[p for p in pages if p.status == "publish" and p.id != front.id] + [front],
        draft_pages=[p for p in pages if p.status != "publish"],
        attachments=attachments,
        categories=categories,
        tags=tags,
        authors=list(authors.values()),
        broken_links=broken,
    )


def main(argv: list[str] | None = None) -> int:
    """`python -m tests.wordpress_site fill|change|reset`: the same steps by hand, the manifest
    written as JSON (for looking at the site, or saving its pages as fixtures)."""
    import argparse  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="python -m tests.wordpress_site")
    parser.add_argument("step", choices=("reset", "fill", "change", "save"))
    parser.add_argument("--posts", type=int, default=400)
    parser.add_argument("--manifest", type=Path, default=Path("wordpress-manifest.json"))
    parser.add_argument("--out", type=Path, default=Path("fixtures/wordpress"))
    args = parser.parse_args(argv)
    site, reason = site_from_environment()
    if site is None:
        parser.error(reason)
    if args.step == "reset":
        site.reset()
        return 0
    if args.step == "save":
        saved = save_pages(load_manifest(args.manifest), args.out)
        print(f"saved {len(saved)} files in {args.out}")
        return 0
    if args.step == "fill":
        manifest = site.fill(posts=args.posts)
    else:
        manifest = site.change(load_manifest(args.manifest)).manifest
    args.manifest.write_text(manifest.to_json(), encoding="utf-8")
    print(f"{len(manifest.posts)} published posts; manifest in {args.manifest}")
    return 0


def save_pages(manifest: Manifest, out: Path) -> list[str]:
    """Save a few pages of each kind as the site serves them (fixtures with real stock
    markup), and `manifest.json`: the manifest's entries for the saved posts."""

    def story(post: Post) -> set[str]:
        return {block.kind for block in post.blocks}

    rich = next(
        p for p in manifest.posts if p.image_id and {"h2", "li"} <= story(p) and len(p.links) > 0
    )
    quoted = next(p for p in manifest.posts if "quote" in story(p) and len(p.categories) > 1)
    attachment = next(a for a in manifest.attachments if a.id == rich.image_id)
    weather = next(c for c in manifest.categories if c.slug == "weather")
    about = next(p for p in manifest.pages if p.slug == "about-us")
    pages = {
        "post-with-image.html": rich.url,
        "post-with-quote.html": quoted.url,
        "page.html": about.url,
        "attachment.html": attachment.url,
        "category.html": weather.url,
        "listing.html": manifest.listing_url,
        "404.html": f"{manifest.origin}/no-such-page/",
        "wp-sitemap.xml": manifest.sitemap_url,
        "wp-sitemap-posts-page-1.xml": f"{manifest.origin}/wp-sitemap-posts-page-1.xml",
        "feed.xml": manifest.feed_url,
        "robots.txt": f"{manifest.origin}/robots.txt",
    }
    out.mkdir(parents=True, exist_ok=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for name, url in pages.items():
        try:
            with opener.open(url, timeout=30) as response:
                body = response.read()
        except urllib.error.HTTPError as error:  # the 404 page
            with error:
                body = error.read()
        (out / name).write_bytes(body)
    saved = {"origin": manifest.origin, "urls": pages, "posts": [asdict(rich), asdict(quoted)]}
    (out / "manifest.json").write_text(
        json.dumps(saved, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return [*pages, "manifest.json"]


def load_manifest(path: Path) -> Manifest:
    """A manifest written by `Manifest.to_json`."""
    data = json.loads(path.read_text(encoding="utf-8"))

    def post(d: dict[str, Any]) -> Post:
        return Post(
            **{
                **d,
                "categories": tuple(d["categories"]),
                "tags": tuple(d["tags"]),
                "blocks": tuple(TextBlock(**b) for b in d["blocks"]),
                "links": tuple(PostLink(**link) for link in d["links"]),
                "linked_from": tuple(d["linked_from"]),
            }
        )

    others = ("drafts", "pending", "private", "scheduled", "pages", "draft_pages", "attachments")
    return Manifest(
        **{
            **data,
            "posts": [post(d) for d in data["posts"]],
            "trashed": [post(d) for d in data["trashed"]],
            **{name: [Other(**d) for d in data[name]] for name in others},
            "categories": [Term(**d) for d in data["categories"]],
            "tags": [Term(**d) for d in data["tags"]],
            "authors": [Author(**d) for d in data["authors"]],
        }
    )


if __name__ == "__main__":
    raise SystemExit(main())
