"""`pvdn-archive browse`: the archive in Datasette, with search, facets and canned queries.

Datasette (an optional extra: `pip install -e '.[browse]'`) reads an SQLite file read-only
and serves it on 127.0.0.1. What it is told about the archive ships inside this package
(`datasette-metadata.json`): search on `articles` through the FTS5 index, facets on the
categories (a JSON array) and the publication date, and three canned queries (trending this
week, articles changed this week, gone articles). Datasette keys that metadata by database
name, which it takes from the file name, so the packaged metadata is re-keyed to the
archive's name before Datasette is started.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["BrowseError", "datasette_command", "metadata_for", "run_datasette"]

_METADATA = "datasette-metadata.json"
_TEMPLATE_NAME = "archive"


class BrowseError(RuntimeError):
    """Datasette cannot be run on this archive, said in one line."""


def metadata_for(database: Path) -> dict[str, Any]:
    """The packaged metadata, keyed by the name Datasette gives `database` (its file stem)."""
    text = resources.files("pvdn_crawler").joinpath(_METADATA).read_text(encoding="utf-8")
    metadata: dict[str, Any] = json.loads(text)
    databases = metadata["databases"]
    databases[database.stem] = databases.pop(_TEMPLATE_NAME)
    return metadata


def datasette_command(
    database: Path, metadata: Path, *, port: int = 8001, get: str | None = None
) -> list[str]:
    """The Datasette command line: serve on 127.0.0.1:`port`, or answer one GET and exit."""
    command = [sys.executable, "-m", "datasette", "serve", str(database), "--metadata",
               str(metadata), "--setting", "sql_time_limit_ms", "5000"]  # fmt: skip
    if get is not None:
        return [*command, "--get", get]
    return [*command, "--host", "127.0.0.1", "--port", str(port)]


def run_datasette(database: Path, *, port: int = 8001, get: str | None = None) -> int:
    """Run Datasette on `database` until it stops (or for one GET); its exit status."""
    if importlib.util.find_spec("datasette") is None:
        raise BrowseError("browse needs Datasette: pip install -e '.[browse]'")
    with tempfile.TemporaryDirectory(prefix="pvdn-browse-") as folder:
        metadata = Path(folder) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(database)), encoding="utf-8")
        command = datasette_command(database, metadata, port=port, get=get)
        if get is None:
            print(f"serving {database} at http://127.0.0.1:{port}/ (Ctrl-C stops)",
                  file=sys.stderr)  # fmt: skip
        try:
            return subprocess.run(command, check=False).returncode
        except KeyboardInterrupt:
            return 0
