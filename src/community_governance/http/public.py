"""Public routes (公开): no token, no personal data."""
from __future__ import annotations

ROUTES: list[object] = []
