"""The hook implementations of the Yima county plugin."""

from __future__ import annotations
