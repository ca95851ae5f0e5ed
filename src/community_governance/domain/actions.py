"""The actions of the registry and the audit trail, with the posts that may perform them.

Each capability declares its own actions beside its service; this module holds the core ones
and the role groups they are built from.
"""

from __future__ import annotations

from community_governance.domain.access import Action
from community_governance.domain.posts import PostKind as P

__all__ = [
    "AUDIT_READ", "COMMUNITY_OFFICE", "HIGHER_OFFICE", "LOCAL_POSTS", "PARTNER_WRITE",
    "PARTY_WRITE", "POST_ASSIGN", "REPORT_READ", "RESIDENT_CORRECT", "RESIDENT_ERASE",
    "RESIDENT_EXPORT_OWN",
    "RESIDENT_READ", "RESIDENT_READ_ID", "RESIDENT_READ_VULNERABILITY", "RESIDENT_WRITE",
    "UNIT_WRITE",
]

#: 社区书记, 社区主任, 工作人员: the community office.
COMMUNITY_OFFICE = frozenset({P.SECRETARY, P.DIRECTOR, P.STAFF})
#: 办事处 and county staff.
HIGHER_OFFICE = frozenset({P.SUBDISTRICT_STAFF, P.COUNTY_ADMIN})
#: 网格长, 楼院长, 分包干部, 党员中心户: posts close to the households.
LOCAL_POSTS = frozenset({P.GRID_LEADER, P.BUILDING_LEADER, P.ASSIGNED_CADRE,
                         P.PARTY_HOUSEHOLD_CENTRE})
_LEADERS = frozenset({P.SECRETARY, P.DIRECTOR})

UNIT_WRITE = Action("unit.write", roles=_LEADERS | HIGHER_OFFICE)
RESIDENT_READ = Action(
    "resident.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS, self_service=True,
    personal=True,
)
RESIDENT_READ_ID = Action(
    "resident.read_id_number", roles=COMMUNITY_OFFICE | HIGHER_OFFICE, self_service=True,
    personal=True,
)
RESIDENT_READ_VULNERABILITY = Action(
    "resident.read_vulnerability", roles=COMMUNITY_OFFICE | frozenset({P.ASSIGNED_CADRE}),
    personal=True,
)
RESIDENT_WRITE = Action(
    "resident.write", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | frozenset({P.GRID_LEADER}),
    personal=True,
)
#: Correcting one's own phone number (a resident may; name and ID number need resident.write).
RESIDENT_CORRECT = Action(
    "resident.correct", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | frozenset({P.GRID_LEADER}),
    self_service=True, personal=True,
)
RESIDENT_ERASE = Action("resident.erase", roles=_LEADERS | HIGHER_OFFICE, self_service=True,
                        personal=True)
RESIDENT_EXPORT_OWN = Action("resident.export", roles=COMMUNITY_OFFICE, self_service=True,
                             personal=True)
POST_ASSIGN = Action("post.assign", roles=_LEADERS | HIGHER_OFFICE)
PARTY_WRITE = Action("party.write", roles=frozenset({P.SECRETARY}) | HIGHER_OFFICE)
PARTNER_WRITE = Action("partner.write", roles=_LEADERS | HIGHER_OFFICE)
REPORT_READ = Action("report.read", roles=COMMUNITY_OFFICE | HIGHER_OFFICE | LOCAL_POSTS)
AUDIT_READ = Action("audit.read", roles=_LEADERS | HIGHER_OFFICE)
