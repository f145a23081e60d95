"""The framework's plugin-author fixtures (esrgan_core.testing): esrgan_tiny_config, esrgan_run."""

pytest_plugins = ["esrgan_core.testing"]
