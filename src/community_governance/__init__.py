"""community-governance: a library and plugin SDK for grassroots community governance
(基层社区治理) in Chinese cities.

Open a store and use its services::

    import community_governance as cg

    with cg.open("sqlite:///county.db") as gov:
        gov.registry.add_unit(cg.Actor.system(), cg.Unit("411281", "county", "义马市"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from community_governance.masking import install as _install_log_masking

if TYPE_CHECKING:
    from community_governance.domain.access import Action, Actor, Target
    from community_governance.domain.idnumber import IdNumber, parse_id_number
    from community_governance.domain.people import Household, Relation, Resident, Vulnerability
    from community_governance.domain.posts import (
        HolderKind,
        PartnerKind,
        PartnerUnit,
        PartyOrg,
        PartyOrgKind,
        Post,
        PostKind,
        StaffMember,
    )
    from community_governance.domain.units import Building, Unit, UnitKind
    from community_governance.errors import (
        CgovError,
        ConflictError,
        DatabaseMissing,
        DataKeyError,
        FileImportError,
        IdNumberError,
        NotFound,
        PermissionDenied,
        PluginError,
        SchemaVersionError,
        StorageError,
        ValidationError,
    )
    from community_governance.facade import Governance, open
    from community_governance.markers import hookimpl

_install_log_masking()

#: The module of each name of the package, imported on first use (PEP 562): ``cgov --help``
#: and a plugin importing ``hookimpl`` load no domain class, and the storage layer
#: (SQLAlchemy, Alembic) stays unloaded for programs that never open a store.
_LAZY = {
    **dict.fromkeys(("Action", "Actor", "Target"), "domain.access"),
    **dict.fromkeys(("IdNumber", "parse_id_number"), "domain.idnumber"),
    **dict.fromkeys(("Household", "Relation", "Resident", "Vulnerability"), "domain.people"),
    **dict.fromkeys(("HolderKind", "PartnerKind", "PartnerUnit", "PartyOrg", "PartyOrgKind",
                     "Post", "PostKind", "StaffMember"), "domain.posts"),
    **dict.fromkeys(("Building", "Unit", "UnitKind"), "domain.units"),
    **dict.fromkeys(("CgovError", "ConflictError", "DatabaseMissing", "DataKeyError",
                     "FileImportError", "IdNumberError", "NotFound", "PermissionDenied",
                     "PluginError", "SchemaVersionError", "StorageError", "ValidationError"),
                    "errors"),
    **dict.fromkeys(("Governance", "open"), "facade"),
    "hookimpl": "markers",
}


def __getattr__(name: str) -> Any:
    """The names of :data:`__all__`, imported from their modules on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Actor",
    "Building",
    "CgovError",
    "ConflictError",
    "DataKeyError",
    "DatabaseMissing",
    "FileImportError",
    "Governance",
    "HolderKind",
    "Household",
    "IdNumber",
    "IdNumberError",
    "NotFound",
    "PartnerKind",
    "PartnerUnit",
    "PartyOrg",
    "PartyOrgKind",
    "PermissionDenied",
    "PluginError",
    "Post",
    "PostKind",
    "Relation",
    "Resident",
    "SchemaVersionError",
    "StaffMember",
    "StorageError",
    "Target",
    "Unit",
    "UnitKind",
    "ValidationError",
    "Vulnerability",
    "__version__",
    "hookimpl",
    "open",
    "parse_id_number",
]
