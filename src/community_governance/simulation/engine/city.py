"""The city as the engine sees it (仿真城市): column arrays, saved, loaded and cached."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

from community_governance.simulation.engine.arrays import FLAG_BITS, Arr

if TYPE_CHECKING:
    from community_governance.simulation.city import City

__all__ = ["SimCity", "city_cache_dir", "city_cache_file", "city_for", "city_from_file",
           "generator_version"]


@attrs.frozen(eq=False)
class SimCity:
    """The city as the engine sees it (仿真城市): column arrays, no personal data.

    Attributes:
        community_codes: 12-digit codes, one per community.
        community_names: names, like the codes.
        coal_group: communities formerly run by the coal group (义煤所办社区).
        ages: age per resident.
        resident_household: household index per resident.
        household_community: community index per household.
        household_compound: compound index per household.
        compound_codes: compound codes.
        household_elderly: households with a member aged 70 or more.
        household_vulnerable: households with a resident in difficulty (any flag).
        building_leaders: posts of building leaders (楼院长).
        scale: the share of the full city this city is.
        household_flags: per household, the vulnerability flags of its residents as bits
            (``FLAG_BITS``): the festival visits go to the households with a flag that puts a
            resident in a care category of the community (``cgov_care_categories``), as the
            care service's festival rounds do; ``None`` (a hand-built city) visits every
            vulnerable household.
    """

    community_codes: tuple[str, ...]
    community_names: tuple[str, ...]
    coal_group: Arr
    ages: Arr
    resident_household: Arr
    household_community: Arr
    household_compound: Arr
    compound_codes: tuple[str, ...]
    household_elderly: Arr
    household_vulnerable: Arr
    building_leaders: int = 0
    scale: float = 1.0
    household_flags: Arr | None = None

    @property
    def n_residents(self) -> int:
        """Residents."""
        return int(self.ages.shape[0])

    @property
    def n_households(self) -> int:
        """Households."""
        return int(self.household_community.shape[0])

    _ARRAYS = ("coal_group", "ages", "resident_household", "household_community",
               "household_compound", "household_elderly", "household_vulnerable")

    def save(self, path: str | Path) -> Path:
        """Write the city to an ``.npz`` file (arrays plus a JSON header), atomically."""
        import json
        import os

        p = Path(path)
        header = {"community_codes": list(self.community_codes),
                  "community_names": list(self.community_names),
                  "compound_codes": list(self.compound_codes),
                  "building_leaders": self.building_leaders, "scale": self.scale}
        tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp.npz")
        arrays: dict[str, Any] = {k: getattr(self, k) for k in self._ARRAYS}
        if self.household_flags is not None:
            arrays["household_flags"] = self.household_flags
        np.savez(tmp, header=np.array(json.dumps(header, ensure_ascii=False)),
                 **arrays)
        os.replace(tmp, p)
        return p

    @classmethod
    def load(cls, path: str | Path) -> SimCity:
        """Read a city written by :meth:`save`."""
        import json

        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            arrays = {k: data[k] for k in cls._ARRAYS}
            if "household_flags" in data.files:
                arrays["household_flags"] = data["household_flags"]
        return cls(community_codes=tuple(header["community_codes"]),
                   community_names=tuple(header["community_names"]),
                   compound_codes=tuple(header["compound_codes"]),
                   building_leaders=int(header["building_leaders"]),
                   scale=float(header["scale"]), **arrays)

    @classmethod
    def from_city(cls, city: City) -> SimCity:
        """Column arrays of a generated :class:`~community_governance.simulation.city.City`."""
        from community_governance.domain.posts import PostKind
        from community_governance.simulation.city import COMMUNITY_PLAN

        a = city.arrays
        plan = city.plan.communities if city.plan is not None else COMMUNITY_PLAN
        coal = {name: flag for _s, name, _g, flag in plan}
        hh = np.asarray(a.household_index, dtype=np.int64)
        n_h = len(city.households)
        h_comm = np.zeros(n_h, dtype=np.int64)
        h_comm[hh] = np.asarray(a.community_index, dtype=np.int64)
        q_index = {q.code: i for i, q in enumerate(city.compounds)}
        b_q = np.array([q_index.get(b.compound_code or "", -1) for b in city.buildings],
                       dtype=np.int64)
        h_b = np.zeros(n_h, dtype=np.int64)
        h_b[hh] = np.asarray(a.building_index, dtype=np.int64)
        elderly = np.zeros(n_h, dtype=bool)
        np.logical_or.at(elderly, hh, np.asarray(a.ages) >= 70)
        vulnerable = np.zeros(n_h, dtype=bool)
        np.logical_or.at(vulnerable, hh, np.asarray(a.vulnerable))
        flags = np.zeros(n_h, dtype=np.uint16)
        for i in np.flatnonzero(np.asarray(a.vulnerable)):
            for v in city.residents[i].vulnerabilities:
                flags[hh[i]] |= FLAG_BITS[v.value]
        return cls(
            community_codes=tuple(c.code for c in city.communities),
            community_names=tuple(c.name for c in city.communities),
            coal_group=np.array([coal.get(c.name, False) for c in city.communities]),
            ages=np.asarray(a.ages, dtype=np.int16),
            resident_household=hh,
            household_community=h_comm,
            household_compound=b_q[h_b],
            compound_codes=tuple(q.code for q in city.compounds),
            household_elderly=elderly,
            household_vulnerable=vulnerable,
            building_leaders=sum(1 for p in city.posts if p.kind is PostKind.BUILDING_LEADER),
            scale=city.scale,
            household_flags=flags,
        )


@functools.lru_cache(maxsize=4)
def city_from_file(path: str, mtime_ns: int) -> SimCity:
    """A city saved with :meth:`SimCity.save`, cached per process (keyed by its mtime)."""
    return SimCity.load(path)


def city_cache_dir() -> Path | None:
    """Where generated cities are cached between processes, or ``None`` when the cache is off.

    ``$CGOV_CACHE_DIR/cities`` when set, else ``$XDG_CACHE_HOME/community-governance/cities``,
    else ``~/.cache/community-governance/cities``. ``CGOV_CITY_CACHE=0`` turns it off.
    """
    import os

    if os.environ.get("CGOV_CITY_CACHE", "1") == "0":
        return None
    root = os.environ.get("CGOV_CACHE_DIR")
    if root:
        return Path(root) / "cities"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "community-governance" / "cities"


@functools.lru_cache(maxsize=1)
def generator_version() -> str:
    """The library's version and a digest of the generator's source: a cached city is reused
    only by the same library and the same generator."""
    import hashlib
    import importlib.metadata

    from community_governance.simulation import city as generator

    try:
        version = importlib.metadata.version("community-governance")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - a source checkout
        from community_governance import __version__ as version
    source = Path(generator.__file__ or "").read_bytes() if generator.__file__ else b""
    return f"{version}-{hashlib.sha256(source).hexdigest()[:12]}"


def city_cache_file(seed: int, scale: float, generator: str = "yima") -> Path | None:
    """The cache file of the city of ``generator``, ``seed`` and ``scale`` (``None``: cache
    off)."""
    root = city_cache_dir()
    if root is None:
        return None
    return root / (f"{generator}-seed{int(seed)}-scale{float(scale)!r}-"
                   f"v{generator_version()}.npz")


@functools.lru_cache(maxsize=4)
def city_for(seed: int, scale: float, generator: str = "yima") -> SimCity:
    """The engine's view of ``generate_yima(seed, scale=scale)`` (or, for ``generator=
    "prefecture"``, :func:`~community_governance.simulation.cities.prefecture_city`), cached
    per process and on disk (:func:`city_cache_file`; keyed by generator, seed, scale, library
    version and the generator's source), so that a second CLI call does not generate it
    again."""
    from community_governance.simulation.city import generate_yima

    path = city_cache_file(seed, scale, generator)
    if path is not None and path.is_file():
        try:
            cached = SimCity.load(path)
            if cached.household_flags is not None:  # written before the flags were kept
                return cached
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache file: generate again and overwrite it
    if generator == "prefecture":
        from community_governance.simulation.cities import prefecture_city

        city = prefecture_city(seed, scale)
    else:
        city = SimCity.from_city(generate_yima(seed, scale=scale))
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            city.save(path)
        except OSError:
            pass  # a read-only cache directory only costs the generation next time
    return city
