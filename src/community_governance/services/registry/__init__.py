"""The registry (居民电子档案 and the service hierarchy): units, buildings, households,
residents, posts, party organizations and partner units.

The service is split by subject: :mod:`.units` (units, buildings, households),
:mod:`.residents`, :mod:`.posts` (staff, posts, party organizations, partner units),
:mod:`.exports` (exports and the keys an import checks) and :mod:`.summary`; :mod:`.common`
holds what they share.
"""

from __future__ import annotations

from community_governance.services.registry.exports import ExistingKeys, PostHolder, _Exports
from community_governance.services.registry.posts import _Posts
from community_governance.services.registry.residents import NewResident, _Residents
from community_governance.services.registry.summary import Summary, _Summary
from community_governance.services.registry.units import _Units
from community_governance.storage.repos.bulk import bulk_insert

__all__ = ["ExistingKeys", "NewResident", "PostHolder", "RegistryService", "Summary"]

#: The former private name of :func:`~community_governance.storage.repos.bulk.bulk_insert`,
#: kept for code that imports it from here.
_bulk_insert = bulk_insert


class RegistryService(_Units, _Residents, _Posts, _Exports, _Summary):
    """Units, buildings, households, residents, posts, party organizations and partners.

    Reached as ``gov.registry``.
    """
