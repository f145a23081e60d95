"""Built-in plugins of esrgan (importable as ``esrgan_plugins``).

Each sub-package is one plugin, listed in ``pyproject.toml`` under the ``esrgan`` entry-point
group, exactly like a third-party plugin.
"""
