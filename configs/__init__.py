"""Shipped configs (importable as ``esrgan_configs`` for ``importlib.resources``)."""
