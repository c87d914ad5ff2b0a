"""A WARC writer in a process of its own, for tests/test_warc.py to kill with SIGKILL.

    python -m tests.warc_child FOLDER RUN MAX_FILE_BYTES [BIG_BODY_BYTES]

Writes captures until it is killed (or has written 2,000): every third body is 1 MiB of
random bytes (slow to compress), the others small pages. With BIG_BODY_BYTES every body is
that many random bytes, so one write takes long enough for the parent to kill the process in
the middle of it. After each write it prints one JSON line, flushed: the location it was
given and the SHA-1 of the body, so the parent knows every location a caller could have
stored. It syncs every five captures, as the crawl would before a commit.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from storage.warc import Capture, RunWarcWriter, SentRequest


def body_for(index: int) -> bytes:
    if index % 3 == 2:
        return os.urandom(1 << 20)
    return f"<html><body><p>Story {index}</p>{'<p>text</p>' * index}</body></html>".encode()


def main() -> None:
    folder, run, max_file_bytes = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    big = os.urandom(int(sys.argv[4])) if len(sys.argv) > 4 else b""
    writer = RunWarcWriter(folder, run, max_file_bytes=max_file_bytes)
    print(json.dumps({"ready": True}), flush=True)
    for index in range(2000):
        body = big or body_for(index)
        url = f"http://127.0.0.1:8000/story-{index}/"
        location = writer.write_capture(
            Capture(
                url=url,
                status=200,
                headers=[(b"Content-Type", b"text/html; charset=UTF-8")],
                body=body,
                fetched_at=datetime.now(UTC),
                request=SentRequest("GET", url, [(b"User-Agent", b"pvdn-test")]),
            )
        )
        if index % 5 == 4:
            writer.sync()
        line = {
            "filename": location.filename,
            "offset": location.offset,
            "length": location.length,
            "sha1": hashlib.sha1(body).hexdigest(),
            "url": url,
        }
        print(json.dumps(line), flush=True)
    writer.close()


if __name__ == "__main__":
    main()
