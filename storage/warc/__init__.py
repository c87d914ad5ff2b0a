"""Every capture kept as WARC/1.1 records (ISO 28500), written and read through warcio.

No Scrapy and no SQLAlchemy here: the crawl copies what it fetched into a `Capture`, the
writer returns a `WarcLocation` (file name, offset, length) and the caller stores those three
values in its own rows.

Layout
------
One folder holds the files of every run. A run's writer creates
`pvdn-<run>-<UTC time opened>-<sequence>.warc.gz` files, each a series of gzip members with
exactly one record in each (so any record can be read alone by seeking to its offset):

- `warcinfo` first in every file: software, format, the crawl's description, `isPartOf`;
- per page fetched, a `response` record (status line, headers byte for byte as received,
  payload) followed by its `request` record (method, target, headers as sent, body with
  credentials blanked), linked by WARC-Concurrent-To and sharing WARC-Date (microseconds)
  and WARC-Target-URI; both carry WARC-Block-Digest and WARC-Payload-Digest (SHA-1, base 32)
  and the response WARC-IP-Address when known;
- per 304 answer, a `revisit` record (profile server-not-modified) with the 304's headers
  and, when the caller knows it, WARC-Refers-To-Target-URI / -Date / -Record-ID and the
  earlier payload's digest, plus its request;
- for pages migrated from the old raw-HTML column, a `resource` record (`Content-Type:
  text/html`) whose `WARC-Pvdn-Note` header says the HTTP headers were not kept.

A file being filled is named `<name>.open` and renamed when complete; a file is closed once
it reaches `max_file_bytes` (1 GB by default) and the next record opens a new one.

Crash-safety contract
---------------------
1. A location is returned only after both members of its capture (response + request) are
   written in full with one `write` to the operating system. A process killed at any moment
   therefore never leaves a returned location pointing past the data in the file.
2. A kill can leave a torn last member in a `.open` file. `recover_folder` (run by
   `RunWarcWriter` when it starts) cuts every `.open` file back to its last whole gzip
   member holding a whole record and renames it; afterwards every file reads cleanly with
   warcio up to its end. A live writer holds an exclusive `flock` on its `.open` file (the
   kernel drops it when the process dies), and recovery leaves locked files alone.
3. For a power cut, `RunWarcWriter.sync()` fsyncs the file and folder: commit the database
   rows that point at locations only after `sync()` returned (once per batch costs little;
   `fsync_each_write=True` syncs every record).

The writer is not thread-safe: use it from one thread (the crawl's storage worker thread).
"""

from storage.warc.building import (
    DEFAULT_RESOURCE_NOTE,
    ORIGINAL_HEADER_PREFIX,
    SERVER_NOT_MODIFIED_PROFILE,
    Redaction,
    target_uri,
)
from storage.warc.model import (
    Capture,
    HeaderList,
    RefersTo,
    SentRequest,
    StoredCapture,
    WarcDigestError,
    WarcError,
    WarcLocation,
    WarcReadError,
)
from storage.warc.reader import (
    ExportSummary,
    export_captures,
    iter_captures,
    read_capture,
    resolve_file,
)
from storage.warc.recovery import RecoveredFile, recover_folder
from storage.warc.writer import DEFAULT_MAX_FILE_BYTES, RunWarcWriter, warc_file_name

__all__ = [
    "DEFAULT_MAX_FILE_BYTES",
    "DEFAULT_RESOURCE_NOTE",
    "ORIGINAL_HEADER_PREFIX",
    "SERVER_NOT_MODIFIED_PROFILE",
    "Capture",
    "ExportSummary",
    "HeaderList",
    "RecoveredFile",
    "Redaction",
    "RefersTo",
    "RunWarcWriter",
    "SentRequest",
    "StoredCapture",
    "WarcDigestError",
    "WarcError",
    "WarcLocation",
    "WarcReadError",
    "export_captures",
    "iter_captures",
    "read_capture",
    "recover_folder",
    "resolve_file",
    "target_uri",
    "warc_file_name",
]
