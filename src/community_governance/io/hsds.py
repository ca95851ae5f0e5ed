"""The service guide (办事指南) in Open Referral HSDS 3.0 shapes (Human Services Data
Specification, https://docs.openreferral.org/en/latest/hsds/schema_reference.html).

A guide matter becomes an HSDS ``service``: ``id`` the matter's code, ``name`` its title,
``eligibility_description`` its conditions (办理条件), ``application_process`` its steps
(办理流程), ``fees_description`` its fee (收费标准), ``required_documents`` the materials
(所需材料), ``phones`` the office's public number, ``service_at_locations`` the office
(办理地点), ``attributes`` its domain (领域) as a taxonomy term; the legal time limit and the
legal basis go into ``description``. Every ``id`` is derived from the matter's code, so the
document is the same for the same guide. The shapes are plain JSON; nothing personal is in a
guide.
"""

from __future__ import annotations

from typing import Any

from community_governance.domain.guide import GuideMatter

__all__ = ["HSDS_VERSION", "matter_to_service", "services_page"]

#: The HSDS version whose shapes are written.
HSDS_VERSION = "3.0"


def matter_to_service(matter: GuideMatter) -> dict[str, Any]:
    """One guide matter as an HSDS 3.0 ``service`` (with its nested objects)."""
    code = matter.code
    extra = []
    if matter.time_limit_days is not None:
        extra.append(f"办理时限：{matter.time_limit_days}个工作日")
    if matter.basis:
        extra.append(f"设定依据：{matter.basis}")
    if matter.proxy_available:
        extra.append("可代办")
    if matter.home_visit_available:
        extra.append("可上门办理")
    return {
        "id": code,
        "name": matter.title,
        "alternate_name": None,
        "description": "；".join([f"{matter.domain.chinese}：{matter.title}", *extra]),
        "url": None,
        "email": None,
        "status": "active",
        "interpretation_services": None,
        "application_process": "；".join(f"{i}. {s}" for i, s in
                                        enumerate(matter.procedure, 1)),
        "fees_description": matter.fee,
        "eligibility_description": "；".join(matter.conditions),
        "minimum_age": None,
        "maximum_age": None,
        "alert": None,
        "languages": [{"id": f"{code}-lang-zh", "service_id": code, "name": "Chinese",
                       "code": "zh"}],
        "required_documents": [{"id": f"{code}-doc-{i}", "service_id": code, "uri": None,
                                "document": m} for i, m in enumerate(matter.materials, 1)],
        "phones": [{"id": f"{code}-phone", "service_id": code, "number": matter.phone,
                    "extension": None, "type": "voice", "description": "咨询电话"}]
        if matter.phone else [],
        "service_at_locations": [{
            "id": f"{code}-at-office", "service_id": code, "description": None,
            "location": {"id": f"{code}-office", "location_type": "physical",
                         "name": matter.office, "description": None,
                         "external_identifier": matter.unit_code,
                         "external_identifier_type": "unit_code" if matter.unit_code
                         else None}}],
        "attributes": [{"id": f"{code}-domain", "link_id": code, "link_type": "service",
                        "link_entity": "service", "value": matter.domain.chinese,
                        "taxonomy_term": {"id": f"cgov-domain-{matter.domain.value}",
                                          "code": matter.domain.value,
                                          "name": matter.domain.chinese,
                                          "description": matter.domain.chinese}}],
    }


def services_page(matters: list[GuideMatter], *, page: int = 1,
                  per_page: int = 50) -> dict[str, Any]:
    """A page of services as the HSDS API returns lists (``total_items``, ``contents``...)."""
    total = len(matters)
    start = (page - 1) * per_page
    return {
        "total_items": total, "total_pages": max(1, -(-total // per_page)),
        "page_number": page, "size": per_page, "first_page": page == 1,
        "last_page": start + per_page >= total, "empty": total == 0,
        "contents": [matter_to_service(m) for m in matters[start:start + per_page]],
    }
