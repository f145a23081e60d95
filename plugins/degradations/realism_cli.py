"""``esrgan-run preview --real DIR``: the realism check's options and handler (see :mod:`esrgan_core.degradation.realism`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esrgan_core.errors import ConfigError


def add_realism_arguments(parser: Any) -> None:
    g = parser.add_argument_group("realism check (with --real)")
    g.add_argument("--real", default=None, metavar="DIR", help="folder of real LR images: report how close the recipe's LR is")
    g.add_argument("--hr", default=None, metavar="DIR", help="HR images to degrade (default: the built-in photos)")
    g.add_argument("--patch", type=int, default=48, help="LR patch side compared")
    g.add_argument("--synthetic", type=int, default=48, help="number of synthetic LR patches")
    g.add_argument("--per-image", type=int, default=4, help="patches taken from each real LR image")
    g.add_argument("--no-kid", action="store_true", help="skip KID (Inception features); statistics only")
    g.add_argument("--no-toggles", action="store_true", help="only the whole recipe, not each stage left out")


def setup_from_args(args: Any) -> Any:
    from esrgan_core.degradation.realism import RealismSetup

    for key in ("patch", "synthetic", "per_image"):
        if getattr(args, key) < 2:
            raise ConfigError(f"must be at least 2, got {getattr(args, key)}", path=key.replace("_", "-"))
    return RealismSetup(patch=args.patch, synthetic=args.synthetic, per_image=args.per_image, kid=not args.no_kid,
                        seed=args.seed or 0)


def handle_realism(args: Any) -> int:
    from esrgan_core.degradation.realism import run_realism
    from esrgan_core.plugins import load_plugins

    host = load_plugins()
    output = Path(args.output or "preview")  # preview's generated options default to None
    doc = run_realism(args.recipe or "realesrgan_x4plus", Path(args.real), Path(args.hr) if args.hr else None, output,
                      host.registries, setup_from_args(args), toggles=not args.no_toggles)
    print(f"realism: {doc['recipe']} vs {doc['real']} ({doc['real_patches']} real / {doc['synthetic_patches']} "
          f"synthetic patches of {doc['patch']} px; lower is closer)")
    print(doc["table"])
    print(f"wrote {output / 'realism.json'}")
    return 0
