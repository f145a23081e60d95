"""Package discovery for the renamed folders (``plugins/`` -> ``esrgan_plugins``,
``configs/`` -> ``esrgan_configs``); everything else is in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["esrgan_core", "esrgan_core.*"]),
        "esrgan_plugins",
        *(f"esrgan_plugins.{p}" for p in find_packages("plugins")),
        "esrgan_configs",
        *(f"esrgan_configs.{p}" for p in find_packages("configs")),
    ],
)
