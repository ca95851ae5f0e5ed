"""Named random streams (命名随机数流): one independent stream per mechanism and per step.

A run's randomness comes from one :class:`numpy.random.SeedSequence` of the run's seed. Every
mechanism that draws (the starting culture members, the starting volunteers, the starting
identification, activities, attendance, culture-group switching, volunteering, service,
redemption visits and queue order, cases opened, their categories, a household's own late
case) draws from its own child of that sequence, and each step from its own grandchild::

    SeedSequence(seed).spawn  ->  child  "participation"   (spawn key (k,), k from the name)
                                    -> grandchild  step t  (spawn key (k, t))

These are the sequences :meth:`numpy.random.SeedSequence.spawn` makes (a child of index ``k``
has ``spawn_key = parent.spawn_key + (k,)``), but the index ``k`` is derived from the
stream's *name* (the first 4 bytes of its BLAKE2b hash), not from its position in a list, so
adding, removing or reordering a mechanism never shifts the draws of the others.

Consequences for paired comparisons (common random numbers): two arms of a policy experiment
run with the same seed see the same draws in every mechanism and every step whose inputs did
not change, whatever happened elsewhere. Mechanisms draw one uniform per *resident* (or
household) of the whole city and index it, rather than one per eligible agent, so that a
different number of eligible agents in the other arm does not shift anyone's draw. A policy
with no causal path to a metric then leaves that metric exactly unchanged, seed by seed
(tested in ``tests/simulation/test_compare.py``).
"""

from __future__ import annotations

import hashlib

try:
    import numpy as np
except ImportError as exc:  # the base install has no numpy
    from community_governance.errors import MissingExtra

    raise MissingExtra("numpy", "sim", "the simulation") from exc

__all__ = ["STREAMS", "Streams", "stream_key"]

#: The named streams the default engine draws from.
STREAMS = (
    "init.culture", "init.volunteer", "init.identification", "activities", "participation",
    "culture", "volunteering", "service", "redemption.visit", "redemption.queue",
    "cases.opened", "cases.opened.community", "cases.category", "cases.own_late",
    # the mechanisms (simulation.mechanisms): workforce, councils, property, orgs, party
    "init.staff", "workforce", "init.councils", "councils", "init.property", "property",
    "init.orgs", "orgs", "init.party",
)


def stream_key(name: str) -> int:
    """The spawn index of a stream: the first 4 bytes of BLAKE2b of its name (stable)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=4).digest(), "big")


class Streams:
    """The random streams of one run (随机数流).

    Args:
        seed: the run's seed.

    Example::

        s = Streams(5)
        u = s.generator("participation", step=3).random(10)
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self.root = np.random.SeedSequence(self.seed)
        self._keys: dict[str, int] = {}

    def sequence(self, name: str, step: int | None = None) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (of ``step`` when given)."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = stream_key(name)
        spawn = (key,) if step is None else (key, int(step))
        return np.random.SeedSequence(self.root.entropy, spawn_key=spawn)

    def generator(self, name: str, step: int | None = None) -> np.random.Generator:
        """A PCG64 generator of stream ``name`` (of ``step`` when given)."""
        return np.random.Generator(np.random.PCG64(self.sequence(name, step)))
