"""Consultative councils and disclosure acting on identification (协商议事会, 社区事务公开, 认同感).

The study names weak identification and participation (认同感不强, 参与度不高) as its first
problem and recommends "完善协商议事会，收集、研究和讨论社区民情" and institutional
participation through "社区事务公开" (residents' right to know, decide and supervise).

Per community and step (``years`` long), with ``M`` council meetings and ``D`` disclosures
drawn as Poisson counts of ``meetings_per_year * years`` and ``disclosures_per_year * years``:

    informed' = informed * exp(-d_inf * years) + (1 - informed * exp(-d_inf * years))
                * (1 - (1 - reach) ** D)
    voice'    = voice * exp(-d_v * years) + (1 - voice * exp(-d_v * years))
                * (1 - (1 - g) ** M)

and every resident's identification target (认同感) rises by

    shift = w_inf * informed' + w_voice * voice' + w_seat * [holds a council seat]

Council seats (``seats`` per community) go to adults, party members weighted
``council_preference``; seat holders take part in every meeting (counted as participation).
Identification raises attendance (the participation model's ``identification`` weight), so
councils and disclosure reach participation only through identification.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs
import numpy as np
import numpy.typing as npt

from community_governance.simulation.scenario import CouncilPolicy

__all__ = ["CivicModel", "DefaultCivicModel"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@runtime_checkable
class CivicModel(Protocol):
    """Councils and disclosure (协商议事, 公开)."""

    def events(self, n_communities: int, years: float, rng: np.random.Generator
               ) -> tuple[IntArray, IntArray]:
        """Council meetings and disclosures of each community in a step."""
        ...

    def update(self, informed: FloatArray, voice: FloatArray, meetings: IntArray,
               disclosures: IntArray, years: float) -> tuple[FloatArray, FloatArray]:
        """The communities' informed share and voice after a step."""
        ...

    def identification_shift(self, informed: FloatArray, voice: FloatArray,
                             seat: BoolArray, community: IntArray) -> FloatArray:
        """Per resident, the rise of the identification target (``informed`` and ``voice``
        per community, ``seat`` and ``community`` per resident)."""
        ...


@attrs.frozen
class DefaultCivicModel:
    """See the module docstring."""

    params: CouncilPolicy

    def events(self, n_communities: int, years: float, rng: np.random.Generator
               ) -> tuple[IntArray, IntArray]:
        """See the module docstring."""
        p = self.params
        lam = np.array([[p.meetings_per_year * years], [p.disclosures_per_year * years]])
        drawn = rng.poisson(np.broadcast_to(lam, (2, n_communities)))
        return drawn[0].astype(np.int64), drawn[1].astype(np.int64)

    def update(self, informed: FloatArray, voice: FloatArray, meetings: IntArray,
               disclosures: IntArray, years: float) -> tuple[FloatArray, FloatArray]:
        """See the module docstring."""
        p = self.params
        i0 = informed * np.exp(-p.informed_decay_per_year * years)
        v0 = voice * np.exp(-p.voice_decay_per_year * years)
        i1 = i0 + (1.0 - i0) * -np.expm1(disclosures * np.log1p(-min(p.disclosure_reach,
                                                                        1 - 1e-12)))
        v1 = v0 + (1.0 - v0) * -np.expm1(meetings * np.log1p(-min(p.voice_per_meeting,
                                                                    1 - 1e-12)))
        return i1, v1

    def identification_shift(self, informed: FloatArray, voice: FloatArray,
                             seat: BoolArray, community: IntArray) -> FloatArray:
        """See the module docstring."""
        p = self.params
        per_c = p.identification_informed * informed + p.identification_voice * voice
        out: FloatArray = per_c[community]
        if p.identification_seat:
            out = out + p.identification_seat * seat
        return out
