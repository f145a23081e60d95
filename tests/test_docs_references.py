"""The docs name what exists: every dotted ``esrgan_core``/``esrgan_plugins`` name in README.md and
docs/*.md resolves (a module, or a name in one), every relative link and every repository path in
backticks exists. Modules move (issue 21 moved the services into the core); the pages follow."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
DOTTED = re.compile(r"\b(esrgan_(?:core|plugins)(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"`((?:esrgan_core|plugins|tests|configs|benchmarks|examples|docs)/[A-Za-z0-9_./-]+)`")


def resolves(dotted: str) -> bool:
    """True when the longest importable module prefix of ``dotted`` has the rest as attributes."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        try:
            found = importlib.util.find_spec(".".join(parts[:k])) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            obj = importlib.import_module(".".join(parts[:k]))
            for name in parts[k:]:
                if not hasattr(obj, name):
                    return False
                obj = getattr(obj, name)
            return True
    return False


def test_the_resolver_tells_a_missing_name_from_a_present_one() -> None:
    assert resolves("esrgan_core.degradation.pipeline.Pipeline") and resolves("esrgan_plugins.upscale.params")
    assert not resolves("esrgan_plugins.metrics.psnr_ssim_pt") and not resolves("esrgan_core.schema.no_such_name")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_module_and_name_a_page_cites_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert sorted(m for m in set(DOTTED.findall(text)) if not resolves(m)) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_and_repository_path_of_a_page_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    links = [u.split("#")[0] for u in LINK.findall(text) if not u.startswith(("http://", "https://", "mailto:", "#"))]
    assert [u for u in links if not (page.parent / u).exists()] == []
    assert sorted(p for p in set(REPO_PATH.findall(text)) if not (REPO / p.rstrip("/")).exists()) == []
