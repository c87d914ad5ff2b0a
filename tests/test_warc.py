"""WARC capture (`storage.warc`): what is written is what was fetched, standard tools read it,
and a writer killed at any moment leaves files that recovery makes whole again.

warcio's own command line (`warcio check`, `warcio index`) is the outside judge: it runs from
this environment in a subprocess on every file the tests write.
"""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from storage.warc import (
    DEFAULT_RESOURCE_NOTE,
    SERVER_NOT_MODIFIED_PROFILE,
    Capture,
    Redaction,
    RunWarcWriter,
    SentRequest,
    WarcDigestError,
    WarcError,
    WarcLocation,
    WarcReadError,
    export_captures,
    iter_captures,
    read_capture,
    recover_folder,
)
from tests.storage_support import warcio_accepts

ROOT = Path(__file__).resolve().parent.parent
FETCHED = datetime(2025, 3, 14, 15, 9, 26, 535897, tzinfo=UTC)
PAGE = (
    b"<!DOCTYPE html><html><head><title>Whale season opens in the bay</title></head><body>"
    b"<article><h1>Whale season opens in the bay</h1><p>Humpback whales were seen off Los Arcos"
    b" on Tuesday, two weeks earlier than last year.</p></article></body></html>"
)
RESPONSE_HEADERS: list[tuple[str | bytes, str | bytes]] = [
    (b"Date", b"Fri, 14 Mar 2025 15:09:26 GMT"),
    (b"Content-Type", b"text/html; charset=UTF-8"),
    (b"ETag", b'"5e1f-abc"'),
    (b"Set-Cookie", b"pll_language=en; path=/"),
]
REQUEST_HEADERS: list[tuple[str | bytes, str | bytes]] = [
    (b"User-Agent", b"pvdn-archive (+https://example.org/bot)"),
    (b"Accept", b"text/html,application/xhtml+xml"),
    (b"Accept-Language", b"en"),
]


def _capture(
    url: str = "https://www.vallartadaily.com/news/whale-season/",
    body: bytes = PAGE,
    *,
    status: int = 200,
    headers: list[tuple[str | bytes, str | bytes]] | None = None,
    request: SentRequest | None = None,
    fetched_at: datetime = FETCHED,
) -> Capture:
    return Capture(
        url=url,
        status=status,
        headers=RESPONSE_HEADERS if headers is None else headers,
        body=body,
        fetched_at=fetched_at,
        request=request or SentRequest("GET", url, REQUEST_HEADERS),
        ip_address="127.0.0.1",
    )


def _sha1_b32(data: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode()


def _member_text(folder: Path, location: WarcLocation) -> bytes:
    with (folder / location.filename).open("rb") as fh:
        fh.seek(location.offset)
        return gzip.decompress(fh.read(location.length))


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.warc.gz"))


# ---- round trip ----------------------------------------------------------------------------


def test_round_trip_keeps_the_page_and_both_header_blocks(tmp_path: Path) -> None:
    pages = [PAGE, PAGE.replace(b"Tuesday", b"Wednesday"), b"", "¡Olé! ñandú".encode()]
    with RunWarcWriter(tmp_path, 42, description="unit test crawl") as writer:
        locations = [
            writer.write_capture(_capture(f"https://www.vallartadaily.com/p{i}/", page))
            for i, page in enumerate(pages)
        ]
    for index, (location, page) in enumerate(zip(locations, pages, strict=True)):
        capture = read_capture(tmp_path, location)
        assert capture.payload == page
        assert capture.record_type == "response"
        assert capture.status == 200
        assert capture.reason == "OK"
        assert capture.target_uri == f"https://www.vallartadaily.com/p{index}/"
        assert capture.date == FETCHED  # microseconds kept
        assert capture.header("ETag") == '"5e1f-abc"'
        assert capture.header("Set-Cookie") == "pll_language=en; path=/"
        assert capture.payload_digest == _sha1_b32(page)
        assert capture.warc_header("WARC-IP-Address") == "127.0.0.1"
        assert capture.warc_header("WARC-Date") == "2025-03-14T15:09:26.535897Z"

    # The request record follows its response and names it; warcio agrees on every offset.
    index = warcio_accepts(_files(tmp_path))
    assert [row["warc-type"] for row in index] == ["warcinfo"] + ["response", "request"] * 4
    responses = [row for row in index if row["warc-type"] == "response"]
    requests = [row for row in index if row["warc-type"] == "request"]
    for location, response, request in zip(locations, responses, requests, strict=True):
        assert (response["filename"], int(response["offset"]), int(response["length"])) == (
            location.filename,
            location.offset,
            location.length,
        )
        assert request["warc-concurrent-to"] == response["warc-record-id"]
        assert request["warc-target-uri"] == response["warc-target-uri"]
        assert int(request["offset"]) == location.offset + location.length

    with _files(tmp_path)[0].open("rb") as fh:
        text = gzip.decompress(fh.read())  # all members, in order
    assert (
        b"GET /p0/ HTTP/1.1\r\nHost: www.vallartadaily.com\r\n"
        b"User-Agent: pvdn-archive (+https://example.org/bot)\r\n"
        b"Accept: text/html,application/xhtml+xml\r\nAccept-Language: en\r\n\r\n"
    ) in text
    assert (
        b"HTTP/1.1 200 OK\r\nDate: Fri, 14 Mar 2025 15:09:26 GMT\r\n"
        b'Content-Type: text/html; charset=UTF-8\r\nETag: "5e1f-abc"\r\n'
        b"Set-Cookie: pll_language=en; path=/\r\n\r\n" + PAGE
    ) in text
    assert b"description: unit test crawl\r\n" in text
    assert b"WARC/1.1\r\nWARC-Type: warcinfo\r\n" in text


def test_headers_are_written_byte_for_byte_and_framing_is_made_honest(tmp_path: Path) -> None:
    headers: list[tuple[str | bytes, str | bytes]] = [
        (b"Content-Type", b"text/html; charset=ISO-8859-1"),
        (b"X-Author", b"Jos\xe9 P\xe9rez"),  # latin-1 bytes as a server sent them
        ("X-Title", "Año nuevo"),  # text given as str is written as UTF-8
        (b"Transfer-Encoding", b"chunked"),  # the client de-chunked the body
        (b"Content-Length", b"999"),  # stale: the client decompressed the body
    ]
    with RunWarcWriter(tmp_path, "framing") as writer:
        stale = writer.write_capture(_capture(headers=headers))
        exact = writer.write_capture(
            _capture(headers=[(b"Content-Length", str(len(PAGE)).encode())])
        )
    block = _member_text(tmp_path, stale)
    assert b"X-Author: Jos\xe9 P\xe9rez\r\n" in block
    assert "X-Title: Año nuevo\r\n".encode() in block
    assert b"X-Archive-Orig-Transfer-Encoding: chunked\r\n" in block
    assert b"X-Archive-Orig-Content-Length: 999\r\n" in block
    assert b"\r\nTransfer-Encoding" not in block
    assert b"\r\nContent-Length: 999" not in block
    assert read_capture(tmp_path, exact).header("Content-Length") == str(len(PAGE))
    warcio_accepts(_files(tmp_path))


def test_credentials_never_reach_the_request_record(tmp_path: Path) -> None:
    login = "https://www.vallartadaily.com/wp-login.php"
    form = SentRequest(
        "POST",
        login,
        [
            (b"Content-Type", b"application/x-www-form-urlencoded"),
            (b"Authorization", b"Basic dXNlcjpodW50ZXIy"),
            (b"Cookie", b"wordpress_logged_in=abc"),
        ],
        b"log=editor&pwd=hunter2%21&rememberme=forever&secret_code=7",
    )
    json_body = SentRequest(
        "POST", login, [(b"Content-Type", b"application/json")], b'{"password": "hunter2"}'
    )
    redaction = Redaction(form_fields={"pwd", "password", "secret_code"})
    with RunWarcWriter(tmp_path, "login", redaction=redaction) as writer:
        writer.write_capture(_capture(login, request=form))
        writer.write_capture(_capture(login, request=json_body))
    text = gzip.decompress(_files(tmp_path)[0].read_bytes())
    assert b"hunter2" not in text
    assert b"dXNlcjpodW50ZXIy" not in text
    assert b"wordpress_logged_in" not in text
    assert b"secret_code=7" not in text
    # Everything else in the form is kept byte for byte, and the record says what went.
    assert b"log=editor&pwd=REDACTED&rememberme=forever&secret_code=REDACTED" in text
    assert b"Authorization: REDACTED\r\n" in text
    assert b"WARC-Pvdn-Redacted: header Authorization; header Cookie; form field pwd; " in text
    assert b"body left out (it names a password field)" in text
    warcio_accepts(_files(tmp_path))


# ---- files ---------------------------------------------------------------------------------


def test_files_rotate_by_size_and_each_opens_with_warcinfo(tmp_path: Path) -> None:
    limit = 20_000
    bodies = [PAGE * (1 + i % 7) + bytes(range(i % 256)) * 40 for i in range(40)]
    with RunWarcWriter(tmp_path, "rot", max_file_bytes=limit) as writer:
        locations = []
        for i, body in enumerate(bodies):
            locations.append(writer.write_capture(_capture(f"http://127.0.0.1/{i}/", body)))
            current = writer.current_file
            if current is not None:  # being filled under its `.open` name
                assert (tmp_path / f"{current}.open").is_file()
                assert not (tmp_path / current).exists()
    files = _files(tmp_path)
    assert len(files) >= 3
    assert not list(tmp_path.glob("*.open"))
    names = [path.name for path in files]
    assert names == writer.files
    assert [name.rsplit("-", 1)[1] for name in names] == [
        f"{n:05d}.warc.gz" for n in range(len(names))
    ]
    assert all(name.startswith("pvdn-rot-") for name in names)
    biggest_pair = max(location.length * 3 for location in locations)  # response + request + slack
    for path in files[:-1]:
        assert limit <= path.stat().st_size < limit + biggest_pair
    index = warcio_accepts(files)
    for name in names:
        rows = [row for row in index if row["filename"] == name]
        assert rows[0]["warc-type"] == "warcinfo"
        assert [row["warc-type"] for row in rows].count("warcinfo") == 1
    for location, body in zip(locations, bodies, strict=True):
        assert read_capture(tmp_path, location).payload == body


def test_revisit_for_a_304_refers_to_the_earlier_capture(tmp_path: Path) -> None:
    url = "https://www.vallartadaily.com/news/whale-season/"
    later = FETCHED + timedelta(days=1)
    with RunWarcWriter(tmp_path, "rv") as writer:
        first = writer.write_capture(_capture(url))
        earlier = read_capture(tmp_path, first)
        not_modified = _capture(
            url, b"", status=304, headers=[(b"ETag", b'"5e1f-abc"')], fetched_at=later
        )
        revisit = writer.write_revisit(not_modified, earlier.refers_to())
        unknown = writer.write_revisit(not_modified)
        with pytest.raises(WarcError, match="304"):
            writer.write_revisit(_capture(url))
    record = read_capture(tmp_path, revisit)
    assert record.record_type == "revisit"
    assert record.status == 304
    assert record.payload == b""
    assert record.header("ETag") == '"5e1f-abc"'
    assert record.date == later
    assert record.warc_header("WARC-Profile") == SERVER_NOT_MODIFIED_PROFILE
    assert record.warc_header("WARC-Refers-To-Target-URI") == url
    assert record.warc_header("WARC-Refers-To-Date") == "2025-03-14T15:09:26.535897Z"
    assert record.warc_header("WARC-Refers-To") == earlier.record_id
    assert record.payload_digest == _sha1_b32(PAGE)
    bare = read_capture(tmp_path, unknown)
    assert bare.warc_header("WARC-Refers-To-Target-URI") is None
    assert bare.payload_digest is None
    index = warcio_accepts(_files(tmp_path))
    assert [row["warc-type"] for row in index] == ["warcinfo"] + ["response", "request"] + [
        "revisit",
        "request",
    ] * 2
    assert [row.get("http:status") for row in index if row["warc-type"] == "revisit"] == [
        "304",
        "304",
    ]


def test_resource_record_for_html_kept_without_headers(tmp_path: Path) -> None:
    url = "https://www.vallartadaily.com/news/old-story/"
    stored_at = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-6)))
    with RunWarcWriter(tmp_path, "migration") as writer:
        location = writer.write_resource(url, PAGE, captured_at=stored_at)
    record = read_capture(tmp_path, location)
    assert record.record_type == "resource"
    assert record.payload == PAGE
    assert record.status is None
    assert record.headers == ()
    assert record.target_uri == url
    assert record.date == stored_at  # the same moment, written in UTC
    assert record.warc_header("WARC-Date") == "2024-05-01T15:30:00Z"  # whole seconds: no fraction
    assert record.warc_header("Content-Type") == "text/html"
    assert record.warc_header("WARC-Pvdn-Note") == DEFAULT_RESOURCE_NOTE
    assert record.payload_digest == _sha1_b32(PAGE)
    index = warcio_accepts(_files(tmp_path))
    assert [row["warc-type"] for row in index] == ["warcinfo", "resource"]


# ---- crash safety --------------------------------------------------------------------------


def _kill_child(folder: Path, run: str, lines_before_kill: int) -> list[dict[str, Any]]:
    """Start tests/warc_child.py, SIGKILL it once it has reported `lines_before_kill`
    locations, and return every location it reported (including any printed after)."""
    command = [sys.executable, "-m", "tests.warc_child", str(folder), run, "3000000"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        reported = []
        ready = json.loads(process.stdout.readline())
        assert ready == {"ready": True}
        while len(reported) < lines_before_kill:
            line = process.stdout.readline()
            assert line, "the writer ended before it was killed"
            reported.append(json.loads(line))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        reported += [json.loads(line) for line in process.stdout.read().splitlines()]
    return reported


def _kill_mid_write(folder: Path, run: str, body_bytes: int) -> tuple[list[dict[str, Any]], bool]:
    """Start a child writing `body_bytes` random bodies; once it has reported one location,
    SIGKILL it while its `.open` file is growing, early in the next write. Returns what it
    reported and whether the kill came while a write was under way."""
    size_limit = str(10**9)  # one file
    command = [sys.executable, "-m", "tests.warc_child", str(folder), run, size_limit]
    command.append(str(body_bytes))
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        assert json.loads(process.stdout.readline()) == {"ready": True}
        first = json.loads(process.stdout.readline())
        (opened,) = folder.glob(f"{first['filename']}.open")
        start = first["offset"] + first["length"] + 10_000  # past the first pair
        midway = False
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            size = opened.stat().st_size
            if start < size < start + body_bytes // 2:
                midway = True
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        reported = [first] + [json.loads(line) for line in process.stdout.read().splitlines()]
    return reported, midway


def test_sigkill_at_several_moments_then_recovery(tmp_path: Path) -> None:
    reported: list[dict[str, Any]] = []
    recovered = []
    for moment, lines in enumerate((0, 1, 4, 11)):
        reported += _kill_child(tmp_path, f"kill{moment}", lines)
        # The next run recovers what the killed one left and carries on.
        with RunWarcWriter(tmp_path, f"next{moment}") as writer:
            recovered += writer.recovered
            assert not list(tmp_path.glob("*.open"))
            after = writer.write_capture(_capture(f"http://127.0.0.1/after-{moment}/"))
        assert read_capture(tmp_path, after).payload == PAGE
    # And killed in the middle of writing a 16 MiB record (tried until a kill lands inside a
    # write): the torn member is cut off, the record before it stays.
    torn = []
    for attempt in range(3):
        lines, midway = _kill_mid_write(tmp_path, f"torn{attempt}", 16 << 20)
        reported += lines
        torn += [r for r in recover_folder(tmp_path) if r.dropped_bytes > 0] if midway else []
        if torn:
            break
    assert torn, "no kill landed inside a write"
    assert torn[0].records >= 3  # warcinfo + the first pair survived
    assert len(reported) >= 1 + 4 + 11 + 1
    assert any(result.records > 1 for result in recovered)
    # Every location a caller was given reads back whole, with the body it was given for.
    for line in reported:
        location = WarcLocation(line["filename"], line["offset"], line["length"])
        capture = read_capture(tmp_path, location)
        assert hashlib.sha1(capture.payload).hexdigest() == line["sha1"]
        assert capture.target_uri == line["url"]
    index = warcio_accepts(_files(tmp_path))
    indexed = {(row["filename"], row["offset"]) for row in index}
    assert {(line["filename"], str(line["offset"])) for line in reported} <= indexed


def _cut_copies(source: Path, folder: Path, cuts: dict[str, int]) -> None:
    data = source.read_bytes()
    for name, cut in cuts.items():
        (folder / f"{name}.warc.gz.open").write_bytes(data[:cut])


def test_torn_tails_are_cut_back_to_the_last_whole_record(tmp_path: Path) -> None:
    source = tmp_path / "source"
    with RunWarcWriter(source, "torn") as writer:
        locations = [writer.write_capture(_capture(f"http://127.0.0.1/{i}/")) for i in range(3)]
    (path,) = _files(source)
    data = path.read_bytes()
    last = locations[-1]
    folder = tmp_path / "cut"
    folder.mkdir()
    ends = {
        "in-warcinfo": 10,  # nothing whole: the file goes
        "in-last-request": len(data) - 7,  # the last response stays, its request goes
        "in-last-response": last.offset + last.length // 2,
        "at-a-boundary": last.offset,  # nothing torn: kept as it is
        "whole": len(data),
    }
    _cut_copies(path, folder, ends)
    (folder / "garbage.warc.gz.open").write_bytes(data + b"\x1f\x8b\x08\x00garbage")
    results = {result.filename: result for result in recover_folder(folder)}
    assert not list(folder.glob("*.open"))
    assert results["in-warcinfo.warc.gz"].removed
    assert not (folder / "in-warcinfo.warc.gz").exists()
    assert results["in-last-request.warc.gz"].kept_bytes == last.offset + last.length
    assert results["in-last-response.warc.gz"].kept_bytes == last.offset
    assert results["in-last-response.warc.gz"].records == 5  # warcinfo + 2 pairs
    assert results["at-a-boundary.warc.gz"].dropped_bytes == 0
    assert results["whole.warc.gz"].kept_bytes == len(data)
    assert results["garbage.warc.gz"].kept_bytes == len(data)
    assert results["garbage.warc.gz"].dropped_bytes == 11
    files = _files(folder)
    assert len(files) == 5
    warcio_accepts(files)
    kept = WarcLocation("in-last-request.warc.gz", last.offset, last.length)
    assert read_capture(folder, kept).target_uri == "http://127.0.0.1/2/"


def test_a_failed_write_is_cut_off_so_the_next_record_follows_a_whole_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = os.write

    def disk_full(fd: int, data: bytes | memoryview) -> int:
        real_write(fd, bytes(data[:100]))  # part of the record reaches the file
        raise OSError(errno.ENOSPC, "No space left on device")

    with RunWarcWriter(tmp_path, "full") as writer:
        before = writer.write_capture(_capture("http://127.0.0.1/before/"))
        path = tmp_path / f"{before.filename}.open"
        size = path.stat().st_size
        monkeypatch.setattr(os, "write", disk_full)
        with pytest.raises(WarcError, match="No space left"):
            writer.write_capture(_capture("http://127.0.0.1/lost/"))
        monkeypatch.setattr(os, "write", real_write)
        assert path.stat().st_size == size
        after = writer.write_capture(_capture("http://127.0.0.1/after/"))
    assert after.offset == size
    assert read_capture(tmp_path, after).target_uri == "http://127.0.0.1/after/"
    index = warcio_accepts(_files(tmp_path))
    assert [row.get("warc-target-uri") for row in index if row["warc-type"] == "response"] == [
        "http://127.0.0.1/before/",
        "http://127.0.0.1/after/",
    ]


def test_locations_that_do_not_hold_a_record_are_refused(tmp_path: Path) -> None:
    with RunWarcWriter(tmp_path, "bad") as writer:
        location = writer.write_capture(_capture())
    name = location.filename
    for wrong in (
        WarcLocation(name, location.offset, location.length + 10**6),  # past the end
        WarcLocation(name, location.offset + 1, location.length),  # not a member start
        WarcLocation(name, location.offset, location.length - 1),  # not the whole member
        WarcLocation(name, 0, 10),  # part of the warcinfo
        WarcLocation("../" + name, location.offset, location.length),  # leaves the folder
        WarcLocation("missing.warc.gz", 0, 10),
        WarcLocation(name, -1, 10),
    ):
        with pytest.raises(WarcReadError):
            read_capture(tmp_path, wrong)
    # The request record is a whole record, but not a capture.
    request_at = WarcLocation(name, location.offset + location.length, 100)
    with pytest.raises(WarcReadError):
        read_capture(tmp_path, request_at)


def test_a_payload_that_no_longer_matches_its_digest_is_refused(tmp_path: Path) -> None:
    with RunWarcWriter(tmp_path, "digest") as writer:
        location = writer.write_capture(_capture())
    path = tmp_path / location.filename
    data = path.read_bytes()
    record = _member_text(tmp_path, location).replace(b"Humpback", b"Grey    ")
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    member = compressor.compress(record) + compressor.flush()
    start, end = location.offset, location.offset + location.length
    path.write_bytes(data[:start] + member + data[end:])
    with pytest.raises(WarcDigestError, match="digest"):
        read_capture(tmp_path, WarcLocation(location.filename, start, len(member)))
    with pytest.raises(WarcDigestError):
        list(iter_captures(tmp_path))


# ---- reading and exporting -----------------------------------------------------------------


def test_iter_captures_reads_every_capture_of_the_folder(tmp_path: Path) -> None:
    with RunWarcWriter(tmp_path, "a", max_file_bytes=3000) as writer:
        first = [writer.write_capture(_capture(f"http://127.0.0.1/a{i}/")) for i in range(4)]
        first.append(writer.write_resource("http://127.0.0.1/old/", b"<p>old</p>",
                                           captured_at=FETCHED))  # fmt: skip
    writer = RunWarcWriter(tmp_path, "b")
    still_open = writer.write_capture(_capture("http://127.0.0.1/b0/"))
    # Recovery (another writer starting) leaves a file a live writer holds alone.
    assert recover_folder(tmp_path) == []
    assert (tmp_path / f"{still_open.filename}.open").is_file()
    assert [c.location for c in iter_captures(tmp_path)] == first
    with_open = list(iter_captures(tmp_path, include_open=True))
    assert [c.location for c in with_open] == [*first, still_open]
    assert [c.record_type for c in with_open] == ["response"] * 4 + ["resource", "response"]
    writer.close()
    with pytest.raises(WarcError, match="closed"):
        writer.write_capture(_capture())


def test_export_copies_the_selected_pairs_byte_for_byte(tmp_path: Path) -> None:
    archive = tmp_path / "warcs"
    with RunWarcWriter(archive, "exp", max_file_bytes=4000) as writer:
        locations = [
            writer.write_capture(_capture(f"http://127.0.0.1/{i}/", PAGE + bytes([65 + i])))
            for i in range(8)
        ]
        migrated = writer.write_resource("http://127.0.0.1/old/", PAGE, captured_at=FETCHED)
    chosen = [locations[6], locations[1], migrated, locations[1], locations[3]]
    out = tmp_path / "export.warc.gz"
    summary = export_captures(archive, chosen, out, description="three stories and a page")
    assert (summary.captures, summary.requests) == (4, 3)
    assert summary.bytes == out.stat().st_size
    assert not (tmp_path / "export.warc.gz.part").exists()
    index = warcio_accepts([out])
    captures = [row for row in index if row["warc-type"] in {"response", "resource"}]
    assert [row["warc-target-uri"] for row in captures] == [
        "http://127.0.0.1/6/",
        "http://127.0.0.1/1/",
        "http://127.0.0.1/old/",
        "http://127.0.0.1/3/",
    ]
    assert index[0]["warc-type"] == "warcinfo"
    assert sum(row["warc-type"] == "warcinfo" for row in index) == summary.warcinfos
    assert summary.warcinfos == 1 + len({location.filename for location in chosen})
    # Each copied member is the archive's member, byte for byte, request right after.
    exported = out.read_bytes()
    for location in dict.fromkeys(chosen):
        with (archive / location.filename).open("rb") as fh:
            fh.seek(location.offset)
            member = fh.read(location.length)
        assert member in exported
    rows = {row["warc-record-id"]: row for row in index}
    for row in index:
        if row["warc-type"] == "request":
            assert rows[row["warc-concurrent-to"]]["warc-type"] == "response"
    export_folder = tmp_path
    for row in captures:
        where = WarcLocation(out.name, int(row["offset"]), int(row["length"]))
        assert read_capture(export_folder, where).payload.startswith(PAGE)


def test_export_of_a_bad_location_leaves_no_file(tmp_path: Path) -> None:
    with RunWarcWriter(tmp_path / "w", "x") as writer:
        good = writer.write_capture(_capture())
    out = tmp_path / "out.warc.gz"
    with pytest.raises(WarcReadError):
        export_captures(tmp_path / "w", [good, WarcLocation(good.filename, 1, 5)], out)
    assert not out.exists()
    assert not list(tmp_path.glob("*.part"))


# ---- hostile input -------------------------------------------------------------------------


def test_hostile_input_is_recorded_or_refused_clearly(tmp_path: Path) -> None:
    big_value = b"x" * (1 << 20)
    big_body = bytes(range(256)) * (8 * 4096)  # 8 MiB
    with RunWarcWriter(tmp_path, "hostile") as writer:
        huge_header = writer.write_capture(
            _capture(headers=[(b"X-Huge", big_value), (b"X-After", b"kept")])
        )
        injected = writer.write_capture(
            _capture(headers=[(b"X-Evil", b"a\r\nSet-Cookie: injected=1\r\n\r\nbody")])
        )
        non_ascii = writer.write_capture(
            _capture("https://www.vallartadaily.com/noticias/año nuevo/?q=ñandú&x=1")
        )
        idn = writer.write_capture(_capture("http://bücher.example/página"))
        empty = writer.write_capture(_capture(body=b""))
        eight_mib = writer.write_capture(_capture(body=big_body))
        for bad in (
            _capture(fetched_at=datetime(2025, 1, 1)),  # naive: whose clock?
            _capture(status=42),
            _capture("ftp://127.0.0.1/file"),
            _capture("   "),
            _capture(request=SentRequest("GE T", "http://127.0.0.1/")),
            _capture("http://127.0.0.1/" + "a" * 10_000),
            Capture("http://127.0.0.1/", 200, [], b"", FETCHED, ip_address="localhost"),
        ):
            with pytest.raises(WarcError):
                writer.write_capture(bad)
    # A header line over 16 KiB (more than Scrapy accepts) is cut, and the record says so.
    cut = read_capture(tmp_path, huge_header)
    assert cut.header("X-Huge") == "x" * (16_384 - len("X-Huge: "))
    assert cut.header("X-After") == "kept"
    assert cut.warc_header("WARC-Pvdn-Note") == "header X-Huge cut from 1048576 to 16376 bytes"
    evil = read_capture(tmp_path, injected)
    assert evil.header("Set-Cookie") is None  # the CR LF did not start a header of its own
    assert evil.headers == (("X-Evil", "a  Set-Cookie: injected=1    body"),)
    assert evil.payload == PAGE
    assert read_capture(tmp_path, non_ascii).target_uri == (
        "https://www.vallartadaily.com/noticias/a%C3%B1o%20nuevo/?q=%C3%B1and%C3%BA&x=1"
    )
    assert read_capture(tmp_path, idn).target_uri == "http://xn--bcher-kva.example/p%C3%A1gina"
    assert read_capture(tmp_path, empty).payload == b""
    assert read_capture(tmp_path, eight_mib).payload == big_body
    warcio_accepts(_files(tmp_path))
