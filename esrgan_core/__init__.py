"""esrgan core: hook specs, plugin manager, registries, config and CLI.

Importing this package imports nothing heavy (no torch); submodules do what their names say.
"""

__version__ = "0.1.0"
