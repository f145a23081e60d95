"""``esrgan-run weights list|fetch NAME...|verify [NAME...]``: the pretrained files, on this machine or not.

- ``list``: every registered file, where it is found (or ``missing``), its size, licence and URL.
- ``fetch NAME...``: make the files present (download into the torch hub cache when allowed).
  A file already present and correct is not downloaded again; a present but wrong file is replaced
  by a good download.
- ``verify [NAME...]``: check size + sha256 of every present copy; exit 2 if any is wrong.
"""

from __future__ import annotations

import argparse
import json
from typing import Sequence

from esrgan_core import weights as W
from esrgan_core.errors import EsrganError


def _where(entry: W.WeightsFile) -> tuple[str, str]:
    for where, path in W.local_candidates(entry):
        if path.is_file():
            return where, str(path)
    return "missing", ""


def _list(as_json: bool) -> int:
    rows = []
    for e in W.REGISTRY.values():
        where, path = _where(e)
        rows.append({"name": e.name, "file": e.filename, "found": where, "path": path, "size": e.size,
                     "sha256": e.sha256, "licence": e.licence, "url": e.url, "purpose": e.purpose,
                     "hash_source": e.hash_source})
    if as_json:
        print(json.dumps(rows, indent=1))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        size = "size ?" if not r["size"] else f"{r['size'] / 1e6:.1f} MB" if r["size"] >= 1e5 else f"{r['size'] / 1e3:.1f} kB"
        print(f"{r['name'].ljust(width)}  {r['found']:<28} {size:>10}  {r['file']}  ({r['purpose']})")
        print(f"{''.ljust(width)}  {r['url']}  [{r['licence']}]")
    print(f"offline mode: {'on' if W.offline() else 'off'}; download folder: {W.hub_checkpoints_dir()}")
    return 0


def _fetch(names: Sequence[str]) -> int:
    for name in names:
        entry = W.get_entry(name)
        try:
            path = W.resolve(name)
        except W.CorruptWeightsError as exc:
            if W.offline():
                raise
            print(f"{name}: {exc}; downloading a good copy")
            from esrgan_core.weights_download import download_entry

            path = download_entry(entry, W.hub_checkpoints_dir())
        print(f"{name}: {path}")
    return 0


def _verify(names: Sequence[str]) -> int:
    bad = 0
    for name in names or list(W.REGISTRY):
        entry = W.get_entry(name)
        found = [(w, p) for w, p in W.local_candidates(entry) if p.is_file()]
        if not found:
            print(f"{name}: missing")
        for where, path in found:
            try:
                print(f"{name}: {W.check_file(entry, path)}  {path}  ({where})")
            except W.CorruptWeightsError as exc:
                bad += 1
                print(f"{name}: BAD  {exc}")
    return 2 if bad else 0


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    lst = sub.add_parser("list", help="registered files and where they are")
    lst.add_argument("--json", action="store_true")
    fetch = sub.add_parser("fetch", help="download missing files (hash-checked) into the torch hub cache")
    fetch.add_argument("names", nargs="+", metavar="NAME")
    ver = sub.add_parser("verify", help="check size and sha256 of present files (exit 2 if any is wrong)")
    ver.add_argument("names", nargs="*", metavar="NAME")


def handler(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args.json)
    if args.action == "fetch":
        return _fetch(args.names)
    if args.action == "verify":
        return _verify(args.names)
    raise EsrganError(f"unknown action {args.action}")
