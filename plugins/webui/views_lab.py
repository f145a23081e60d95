"""Degradation playground view (filled in below)."""

ROUTES: list = []
