"""Storage: the :class:`~community_governance.storage.base.Store` protocol and its SQLAlchemy Core
implementation serving ``memory://``, ``sqlite:///path`` and ``postgresql://...``."""
