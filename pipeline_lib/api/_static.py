"""Static files of the dashboard, resolved safely inside one folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional
from urllib.parse import unquote

from pipeline_lib.resources import resource_dir

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".ipynb": "application/x-ipynb+json",
    ".md": "text/markdown; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".map": "application/json",
}


def dashboard_dir() -> Path:
    """The dashboard's static files: the repository's ``dashboard/``."""
    return resource_dir("dashboard")


def content_type(path: Path) -> str:
    """The Content-Type of a static file (octet-stream when unknown)."""
    return CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")


class StaticFiles:
    """Map URL paths to files under ``root``; anything outside it, hidden or odd is refused."""

    def __init__(self, root: Path, index: str = "index.html") -> None:
        self.root = root.resolve()
        self.index = index

    def resolve(self, url_path: str) -> Optional[Path]:
        """The file a URL path names, or None (not found or not allowed).

        Refused: ``..`` and hidden (``.name``) segments, backslashes, NUL, encoded
        separators that would escape the root, and symlinks pointing outside it.
        """
        path = unquote(url_path.split("?", 1)[0].split("#", 1)[0])
        if "\x00" in path or "\\" in path:
            return None
        parts = [p for p in path.split("/") if p]
        if any(p.startswith(".") for p in parts):
            return None
        candidate = self.root.joinpath(*parts) if parts else self.root
        try:
            resolved = candidate.resolve()
        except (OSError, RuntimeError):
            return None
        if resolved != self.root and self.root not in resolved.parents:
            return None
        if resolved.is_dir():
            resolved = resolved / self.index
        return resolved if resolved.is_file() else None
