"""Reading the saved cases under fixtures/: one helper, so every test reads them alike."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass(frozen=True)
class SavedCase:
    name: str
    folder: Path
    meta: dict[str, Any]
    expected: dict[str, Any]

    @property
    def url(self) -> str | None:
        return self.meta.get("url")

    @property
    def charset(self) -> str | None:
        """The charset of the HTTP `Content-Type` header the page was served with, when
        meta.json records one (the spider passes it to clean_html the same way)."""
        content_type = self.meta.get("http_headers", {}).get("Content-Type", "")
        _, found, charset = content_type.partition("charset=")
        return charset.strip().strip("\"'") or None if found else None

    def read_input(self) -> bytes:
        for name in ("page.html", "dump.txt"):
            path = self.folder / name
            if path.exists():
                return path.read_bytes()
        raise FileNotFoundError(f"no page.html or dump.txt in {self.folder}")


def saved_cases(kind: str) -> list[SavedCase]:
    """Every case folder under fixtures/<kind>/ (pages or dumps), sorted by name."""
    cases = []
    for folder in sorted((FIXTURES / kind).iterdir()):
        if not (folder / "expected.json").exists():
            continue
        cases.append(
            SavedCase(
                folder.name,
                folder,
                json.loads((folder / "meta.json").read_text(encoding="utf-8")),
                json.loads((folder / "expected.json").read_text(encoding="utf-8")),
            )
        )
    return cases
