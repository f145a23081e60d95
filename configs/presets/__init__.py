"""Degradation presets shipped as YAML (``load_preset(name)``)."""
