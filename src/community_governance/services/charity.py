"""The charity supermarket (爱心超市): in-kind donations received, sorted into lots in store,
and given free to eligible residents (eligibility from the ``cgov_charity_eligible`` hook).

A give-out is one transaction: the guarded UPDATE of the lot's quantity (``quantity >= n``)
and the append-only give-out row with its UNIQUE idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.funds import to_fen, to_money
from community_governance.domain.pii_text import mask_personal_numbers
from community_governance.domain.points import (
    CharityGiveOut,
    CharityLot,
    Donation,
    month_of,
    request_fingerprint,
)
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    InvalidTransition,
    NotFound,
    OutOfStock,
    PermissionDenied,
    ValidationError,
)
from community_governance.plugins import expect_bool
from community_governance.services.base import Operation, Service
from community_governance.services.points import check_key, idempotent, resolve_resident
from community_governance.services.supermarket import resident_refs
from community_governance.storage.repos.bulk import (
    chunks,
    insert_returning_ids,
    insert_rows,
)
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

__all__ = ["CHARITY_MANAGE", "CONDITIONS", "CharityService", "DonationSpec", "GiveOutSpec",
           "LotSpec"]

#: Receive, sort and give out donations: the community office and higher offices.
CHARITY_MANAGE = Action("charity.manage", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE,
                        personal=True)
#: The conditions a donated piece may be in.
CONDITIONS = ("new", "good", "fair", "poor")

_dn = tp.charity_donations
_lt = tp.charity_lots
_go = tp.charity_give_outs
_b = sa.bindparam
_DONATION_Q = sa.select(_dn).where(_dn.c.id == _b("p_id"))
_SORTED = _dn.update().where(_dn.c.id == _b("p_id"), _dn.c.status == "received").values(
    status=_b("p_status"))
_LOT_Q = sa.select(_lt).where(_lt.c.id == _b("p_lot"))
_GIVE = _go.insert()
_GIVEN_Q = sa.select(_go).where(_go.c.idempotency_key.in_(_b("keys", expanding=True)))
_TAKE = (_lt.update().where(_lt.c.id == _b("p_lot"), _lt.c.quantity >= _b("p_q"))
         .values(quantity=_lt.c.quantity - _b("p_q")).returning(_lt.c.quantity))


class _Read:
    """The lots (with the pieces left, counted down by the batch) and residents of a
    give-out batch, read once; on PostgreSQL the lots are locked (``lock``) in lot order
    until the commit (one by one, a give-out's guarded update locks its lot at its turn)."""

    def __init__(self, op: Operation, batch: Sequence[GiveOutSpec], *, lock: bool) -> None:
        conn = op.uow.conn
        q = sa.select(_lt).where(_lt.c.id.in_(_b("ids", expanding=True))).order_by(_lt.c.id)
        if lock and conn.dialect.name == "postgresql":
            q = q.with_for_update()
        self.lots: dict[str, Any] = {
            r.id: r for part in chunks(sorted({g.lot_id for g in batch
                                               if isinstance(g.lot_id, str)}))
            for r in conn.execute(q, {"ids": list(part)})}
        self.left = {i: int(r.quantity) for i, r in self.lots.items()}
        self.refs = resident_refs(conn, [g.resident_id for g in batch])


@attrs.frozen
class LotSpec:
    """Part of a donation after sorting (分拣): what it is and how many pieces.

    Attributes:
        description: e.g. 冬季棉衣 L码.
        quantity: pieces.
        condition: condition after sorting (defaults to the donation's).
        category: category (defaults to the donation's).
    """

    description: str
    quantity: int
    condition: str | None = None
    category: str | None = None


@attrs.frozen
class DonationSpec:
    """One donation of a batch (:meth:`CharityService.receive_many`); the fields are the
    arguments of :meth:`CharityService.receive`.

    Attributes:
        donor: who gave it ("匿名" for anonymous).
        category: e.g. ``clothes``, ``appliance``.
        condition: one of ``new``, ``good``, ``fair``, ``poor``.
        quantity: pieces.
        estimated_value: the estimated value of all pieces, CNY (Decimal).
        id: the donation's key; generated when not given.
    """

    donor: str
    category: str
    condition: str
    quantity: int
    estimated_value: Decimal | int | str
    id: str | None = None


@attrs.frozen
class GiveOutSpec:
    """One give-out of a batch (:meth:`CharityService.give_out_many`).

    Attributes:
        lot_id: the lot to take from.
        resident_id: who receives the goods.
        quantity: pieces.
        key: the caller's idempotency key (reused when the batch is retried).
    """

    lot_id: str
    resident_id: str
    quantity: int = 1
    key: str = attrs.field(kw_only=True)


def _fen(value: Decimal | int | str) -> int:
    """An estimated value (CNY >= 0, to the fen; parsed by :func:`to_money`) as integer fen."""
    d = to_money(value, path="estimated_value")
    if d < 0:
        raise ValidationError(f"an estimated value is CNY >= 0 to the fen, got {value!r}",
                              path="estimated_value")
    return to_fen(d)


def _donation(r: Any) -> Donation:
    return Donation(r.id, r.community_code, mask_personal_numbers(r.donor), r.category,
                    r.condition, r.quantity,
                    int(r.estimated_value_fen), r.received_on, r.status)


def _lot(r: Any) -> CharityLot:
    return CharityLot(r.id, r.donation_id, r.community_code, r.category,
                      mask_personal_numbers(r.description),
                      r.condition, r.quantity, int(r.unit_value_fen))


def _give_out(r: Any) -> CharityGiveOut:
    return CharityGiveOut(r.id, r.lot_id, r.resident_id, r.quantity, r.at, r.idempotency_key)


def _replayed(r: Any, request: str) -> CharityGiveOut:
    """The give-out stored under a key, for a request with the fingerprint ``request``."""
    if r.request != request:
        raise IdempotencyConflict(
            f"idempotency key {r.idempotency_key!r} was used for another give-out "
            f"({r.quantity} of {r.lot_id} to {r.resident_id}); use a new key")
    return _give_out(r)


def _checked_donation(spec: DonationSpec, where: str) -> tuple[DonationSpec, int, str]:
    """``spec`` checked, with its value in fen and its key (generated when not given)."""
    if not isinstance(spec, DonationSpec):
        raise ValidationError(f"expected a DonationSpec, got {type(spec).__name__}",
                              path=where.rstrip(".") or None)
    if spec.condition not in CONDITIONS:
        raise ValidationError(f"condition {spec.condition!r} is not one of {CONDITIONS}",
                              path=f"{where}condition")
    _check_quantity(spec.quantity, f"{where}quantity")
    if not spec.donor.strip() or not spec.category.strip():
        raise ValidationError("a donation needs a donor and a category", path=f"{where}donor")
    try:
        fen = _fen(spec.estimated_value)
    except ValidationError as exc:
        if not where:
            raise
        raise ValidationError(exc.reason, path=f"{where}estimated_value") from None
    return spec, fen, spec.id or f"D{uuid.uuid4().hex[:12]}"


def _check_quantity(quantity: object, path: str) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError(f"quantity must be a positive whole number, got {quantity!r}",
                              path=path)


def _give_out_print(lot_id: str, resident_id: str, quantity: int) -> str:
    return request_fingerprint(op="charity.give_out", lot=lot_id, resident=resident_id,
                               quantity=quantity)


class CharityService(Service):
    """The charity supermarket (爱心超市). Reached as ``gov.charity``."""

    def receive(self, actor: Actor, community: str, *, donor: str, category: str,
                condition: str, quantity: int, estimated_value: Decimal | int | str,
                id: str | None = None) -> Donation:
        """Receive an in-kind donation (接收捐赠).

        Args:
            actor: the community office.
            community: the receiving community.
            donor, category, condition, quantity, estimated_value, id: the donation, as the
                fields of :class:`DonationSpec` describe them (``id`` generated when not
                given).
        """
        spec = DonationSpec(donor, category, condition, quantity, estimated_value, id)
        checked = _checked_donation(spec, "")
        with self._write(actor, "charity.receive") as op:
            return self._receive(op, community, [checked])[0]

    def receive_many(self, actor: Actor, community: str,
                     donations: Iterable[DonationSpec]) -> list[Donation]:
        """Receive several in-kind donations of one community in one transaction, audited
        once; each checked as :meth:`receive` checks it (the path names the item:
        ``donations[i].field``). All or nothing.

        Raises:
            ValidationError: a bad condition, quantity, donor, category or value.
            NotFound: ``community`` is not a community.
            PermissionDenied: the actor may not manage its charity supermarket.
        """
        checked = [_checked_donation(d, f"donations[{i}].")
                   for i, d in enumerate(donations)]
        with self._write(actor, "charity.receive_many") as op:
            return self._receive(op, community, checked)

    def _receive(self, op: Operation, community: str,
                 donations: list[tuple[DonationSpec, int, str]]) -> list[Donation]:
        kind = op.uow.conn.execute(sa.select(t.units.c.kind).where(
            t.units.c.code == community)).scalar()
        if kind != "community":
            raise NotFound("community", community)
        out: list[Donation] = []
        for spec, fen, don_id in donations:
            op.require(CHARITY_MANAGE, Target("donation", don_id, unit_code=community))
            out.append(Donation(don_id, community, spec.donor.strip(), spec.category.strip(),
                                spec.condition, spec.quantity, fen, op.today))
        if out:
            op.uow.conn.execute(_dn.insert(), [{
                "id": d.id, "community_code": community, "donor": d.donor,
                "category": d.category, "condition": d.condition, "quantity": d.quantity,
                "estimated_value_fen": d.estimated_value_fen, "received_on": op.today,
                "status": "received"} for d in out])
        op.touched.extend(f"donation:{d.id}" for d in out)
        return [attrs.evolve(d, donor=mask_personal_numbers(d.donor)) for d in out]

    def sort(self, actor: Actor, donation_id: str, lots: Sequence[LotSpec], *,
             discarded: int = 0) -> list[CharityLot]:
        """Sort a received donation into lots in store (分拣入库); the rest is discarded.

        The lots' pieces plus ``discarded`` must equal the donation's pieces. Each piece keeps
        an equal share of the donation's estimated value.

        Raises:
            InvalidTransition: the donation was sorted already.
            ValidationError: the pieces do not add up.
        """
        with self._write(actor, "charity.sort") as op:
            return self._sort(op, donation_id, lots, discarded, "")

    def sort_many(self, actor: Actor,
                  sortings: Iterable[tuple[str, Sequence[LotSpec], int]]) -> list[list[CharityLot]]:
        """Sort several received donations in one transaction, audited once: each
        ``(donation key, lots, discarded)`` as :meth:`sort` sorts it (the path names the
        item: ``sortings[i].lots...``). All or nothing.

        Returns:
            The lots of each donation, in the order given.

        Raises:
            NotFound: a donation does not exist.
            InvalidTransition: a donation was sorted already (or appears twice).
            ValidationError: the pieces of a donation do not add up.
            PermissionDenied: the actor may not manage a donation's charity supermarket.
        """
        batch = list(sortings)
        with self._write(actor, "charity.sort_many") as op:
            conn = op.uow.conn
            ids = sorted({d for d, _l, _n in batch if isinstance(d, str)})
            # the donations read once; each sorting's lots and move are written with the
            # batch's others once every sorting passed its checks (as one by one, in order)
            read = {r.id: r for part in chunks(ids) for r in conn.execute(
                sa.select(_dn).where(_dn.c.id.in_(part)))}
            rows: list[dict[str, Any]] = []
            moves: list[dict[str, Any]] = []
            out = [self._sort(op, donation_id, lots, discarded, f"sortings[{i}].",
                              read=read, rows=rows, moves=moves)
                   for i, (donation_id, lots, discarded) in enumerate(batch)]
            insert_rows(conn, _lt, rows)
            if moves and conn.execute(_SORTED, moves).rowcount != len(moves):
                raise InvalidTransition(
                    f"donation {moves[0]['p_id']} was sorted concurrently" if len(moves) == 1
                    else f"one of donations {[m['p_id'] for m in moves][:10]} was sorted "
                    "concurrently")
            return out

    def _sort(self, op: Operation, donation_id: str, lots: Sequence[LotSpec], discarded: int,
              where: str, *, read: dict[str, Any] | None = None,
              rows: list[dict[str, Any]] | None = None,
              moves: list[dict[str, Any]] | None = None) -> list[CharityLot]:
        """Sort one donation in ``op``. ``read``, ``rows``, ``moves``: a batch's donations,
        read once (a donation sorted by the batch is marked there), and where its lots and
        its move are gathered, to be written with the batch's others (``sort_many``)."""
        conn = op.uow.conn
        row = (conn.execute(_DONATION_Q, {"p_id": donation_id}).first() if read is None
               else read.get(donation_id))
        if row is None:
            raise NotFound("donation", donation_id)
        op.require(CHARITY_MANAGE, Target("donation", donation_id,
                                          unit_code=row.community_code))
        if row.status != "received":
            raise InvalidTransition(
                f"donation {donation_id} is {row.status}; only a received donation is "
                "sorted")
        total = sum(s.quantity for s in lots) + discarded
        if discarded < 0 or any(s.quantity <= 0 for s in lots) or total != row.quantity:
            raise ValidationError(
                f"donation {donation_id} has {row.quantity} pieces; the lots hold "
                f"{total - discarded} and {discarded} are discarded", path=f"{where}lots")
        unit_value = int(row.estimated_value_fen) // row.quantity
        out = []
        for i, s in enumerate(lots):
            cond = s.condition or row.condition
            if cond not in CONDITIONS:
                raise ValidationError(f"condition {cond!r} is not one of {CONDITIONS}",
                                      path=f"{where}lots[{i}].condition")
            out.append(CharityLot(f"{donation_id}-L{i + 1}", donation_id, row.community_code,
                                  s.category or row.category, s.description.strip(), cond,
                                  s.quantity, unit_value))
        new_rows = [
            {"id": x.id, "donation_id": x.donation_id, "community_code": x.community_code,
             "category": x.category, "description": x.description,
             "condition": x.condition, "quantity_sorted": x.quantity,
             "quantity": x.quantity, "unit_value_fen": x.unit_value_fen} for x in out]
        move = {"p_id": donation_id, "p_status": "stored" if out else "discarded"}
        if read is not None and rows is not None and moves is not None:
            rows.extend(new_rows)
            moves.append(move)
            # sorted now: a second sorting of it in the batch finds it so, as one by one
            read[donation_id] = SimpleNamespace(**{**row._asdict(), "status": move["p_status"]})
        else:
            if new_rows:
                insert_rows(conn, _lt, new_rows)
            if conn.execute(_SORTED, move).rowcount != 1:
                raise InvalidTransition(f"donation {donation_id} was sorted concurrently")
        op.touch("donation", donation_id)
        return [attrs.evolve(x, description=mask_personal_numbers(x.description))
                for x in out]

    def give_out(self, actor: Actor, lot_id: str, resident_id: str, quantity: int = 1, *,
                 key: str) -> CharityGiveOut:
        """Give donated goods free to an eligible resident (爱心发放).

        Raises:
            PermissionDenied: the resident is not eligible (the ``cgov_charity_eligible``
                hook), or the actor may not manage the charity supermarket.
            OutOfStock: the lot has fewer pieces than asked.
            IdempotencyConflict: the key was used for another give-out.
        """
        check_key(key)
        _check_quantity(quantity, "quantity")
        fp = _give_out_print(lot_id, resident_id, quantity)

        def write() -> CharityGiveOut:
            with self._hooks_first(actor, "charity.give_out",
                                   lambda op: self._eligible(op, lot_id, resident_id)), \
                    self._write(actor, "charity.give_out") as op:
                return self._give(op, lot_id, resident_id, quantity, key, fp)

        def replay(conn: sa.Connection, k: str, request: str) -> CharityGiveOut | None:
            r = conn.execute(sa.select(_go).where(_go.c.idempotency_key == k)).first()
            return None if r is None else _replayed(r, request)

        return idempotent(self._gov, key, fp, write, replay)

    def give_out_many(self, actor: Actor, items: Iterable[GiveOutSpec]) -> list[CharityGiveOut]:
        """Give out many lots' goods in one transaction, audited once (e.g. a month's
        give-outs of a community).

        Each item gets exactly the checks of :meth:`give_out`, in the order given: the
        actor's right at the lot's community, the ``cgov_charity_eligible`` hook for its
        resident (asked before the write), the lot's stock (taken item by item), its
        idempotency key (an item whose key was used for the same give-out returns that
        give-out and writes nothing). All or nothing.

        Returns:
            The give-outs, in the order given.

        Raises:
            ValidationError: a bad key or quantity, or a key twice in the batch (the path
                names the item: ``items[i]...``).
            PermissionDenied: a resident is not eligible, or the actor may not manage the
                charity supermarket of a lot's community.
            NotFound: a lot or resident does not exist.
            OutOfStock: a lot has fewer pieces than its items ask for.
            IdempotencyConflict: a key was used for another give-out.
        """
        batch = list(items)
        prints: list[str] = []
        seen: set[str] = set()
        for i, g in enumerate(batch):
            if not isinstance(g, GiveOutSpec):
                raise ValidationError(f"expected a GiveOutSpec, got {type(g).__name__}",
                                      path=f"items[{i}]")
            check_key(g.key, path=f"items[{i}].key")
            if g.key in seen:
                raise ValidationError(f"idempotency key {g.key!r} appears twice in the batch; "
                                      "give each give-out its own key", path=f"items[{i}].key")
            seen.add(g.key)
            _check_quantity(g.quantity, f"items[{i}].quantity")
            prints.append(_give_out_print(g.lot_id, g.resident_id, g.quantity))
        name = "charity.give_out_many"

        def ask(op: Operation) -> None:
            read = _Read(op, batch, lock=False)
            for g in batch:
                self._eligible(op, g.lot_id, g.resident_id, read)

        for attempt in (1, 2):
            try:
                with self._hooks_first(actor, name, ask), self._write(actor, name) as op:
                    conn = op.uow.conn
                    stored = {r.idempotency_key: r for part in chunks(sorted(seen))
                              for r in conn.execute(_GIVEN_Q, {"keys": part})}
                    out = self._give_batch(op, batch, prints, stored)
                    op.detail["give_outs"] = len(out)
                    return out
            except IntegrityError as exc:  # a concurrent writer used a key: the retry replays
                if attempt == 2:
                    raise ConflictError(f"the give-outs could not be written: {exc.orig}; "
                                        "read them again") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _give_batch(self, op: Operation, batch: list[GiveOutSpec], prints: list[str],
                    stored: dict[str, Any]) -> list[CharityGiveOut]:
        """:meth:`give_out_many`'s give-outs in ``op``, each as :meth:`_give` gives it, in
        order: the lots (locked, in lot order) and residents read once for the batch, each
        lot's pieces counted down here, the lots' quantities and the give-outs written
        together once every check passed. A give-out the batch's reads cannot vouch for (an
        unknown lot or resident, an erased or ineligible resident, too few pieces) goes
        through :meth:`_give` (the staged ones written first), which raises as one by one
        does, and so do the rest of the batch."""
        read = _Read(op, [g for g in batch if g.key not in stored], lock=True)
        out: list[CharityGiveOut | None] = []
        staged: list[tuple[int, GiveOutSpec, str]] = []
        one_by_one = False
        for g, fp in zip(batch, prints, strict=True):
            row = stored.get(g.key)
            if row is not None:
                out.append(_replayed(row, fp))
                continue
            ref = read.refs.get(g.resident_id)
            if not one_by_one and g.lot_id in read.lots and ref is not None and not ref.erased:
                _lot, ok = self._eligible(op, g.lot_id, g.resident_id, read)
                if ok and read.left[g.lot_id] >= g.quantity:
                    read.left[g.lot_id] -= g.quantity
                    staged.append((len(out), g, fp))
                    out.append(None)
                    continue
            self._write_give_outs(op, read, staged, out)
            one_by_one = True  # the batch's reads are stale from here on
            out.append(self._give(op, g.lot_id, g.resident_id, g.quantity, g.key, fp))
        self._write_give_outs(op, read, staged, out)
        return [g for g in out if g is not None]

    @staticmethod
    def _write_give_outs(op: Operation, read: _Read, staged: list[tuple[int, GiveOutSpec, str]],
                         out: list[CharityGiveOut | None]) -> None:
        """Write the staged give-outs (and empty ``staged``): each lot's quantity once, the
        give-outs in order (the ids one by one gives); the audit's objects in that order."""
        if not staged:
            return
        conn = op.uow.conn
        lots = dict.fromkeys(g.lot_id for _, g, _ in staged)
        conn.execute(_lt.update().where(_lt.c.id == _b("p_lot"))
                     .values(quantity=_b("p_left")),
                     [{"p_lot": lot, "p_left": read.left[lot]} for lot in lots])
        month = month_of(op.today)
        rows = [{"idempotency_key": g.key, "request": fp, "lot_id": g.lot_id,
                 "resident_id": g.resident_id, "quantity": g.quantity, "at": op.now,
                 "month": month} for _, g, fp in staged]
        ids = insert_returning_ids(conn, _go, rows)
        for (place, g, _fp), new_id in zip(staged, ids, strict=True):
            op.touch("give_out", new_id)
            out[place] = CharityGiveOut(int(new_id), g.lot_id, g.resident_id, g.quantity,
                                        op.now, g.key)
        staged.clear()

    def _eligible(self, op: Operation, lot_id: str, resident_id: str,
                  read: _Read | None = None) -> tuple[Any, bool]:
        """The lot, and whether the resident may receive from it (the actor's right checked,
        ``cgov_charity_eligible`` asked). ``read``: the lots and residents of a batch, read
        once (a lot or resident not among them is looked up as one by one)."""
        conn = op.uow.conn
        lot = read.lots.get(lot_id) if read is not None else None
        if lot is None:
            lot = conn.execute(_LOT_Q, {"p_lot": lot_id}).first()
        if lot is None:
            raise NotFound("charity lot", lot_id)
        op.require(CHARITY_MANAGE, Target("lot", lot_id, unit_code=lot.community_code))
        ref = read.refs.get(resident_id) if read is not None else None
        if ref is None or ref.erased:
            ref = resolve_resident(op, resident_id)
        ok = self._hooks.first(
            "cgov_charity_eligible", expect_bool, place=ref.community_code or
            lot.community_code, resident_id=resident_id, community_code=ref.community_code,
            vulnerabilities=frozenset(v for v in ref.vulnerabilities.split(",") if v),
            registered=ref.community_code is not None and not ref.erased,
            category=lot.category)
        return lot, ok

    def _give(self, op: Operation, lot_id: str, resident_id: str, quantity: int, key: str,
              fp: str) -> CharityGiveOut:
        """Check and write one give-out in ``op``."""
        conn = op.uow.conn
        lot, ok = self._eligible(op, lot_id, resident_id)
        if not ok:
            raise PermissionDenied(
                str(op.actor), "charity.give_out", f"resident {resident_id}",
                "the resident is not eligible for the charity supermarket (by default: "
                "registered residents in difficulty, 困难群众); record their care "
                "category in the registry first")
        left = conn.execute(_TAKE, {"p_lot": lot_id, "p_q": quantity}).scalar()
        if left is None:
            raise OutOfStock(
                f"lot {lot_id} ({lot.description}) has {lot.quantity} pieces and "
                f"{quantity} were asked for")
        new_id = conn.execute(_GIVE, {
            "idempotency_key": key, "request": fp, "lot_id": lot_id,
            "resident_id": resident_id, "quantity": quantity, "at": op.now,
            "month": month_of(op.today)}).inserted_primary_key[0]  # type: ignore[index]
        op.touch("give_out", new_id)
        return CharityGiveOut(int(new_id), lot_id, resident_id, quantity, op.now, key)

    def donations(self, actor: Actor, *, community: str | None = None) -> list[Donation]:
        """Donations received, oldest first."""
        with self._read(actor, "charity.donations") as op:
            q = (sa.select(_dn).where(scope_clause(op.scope(CHARITY_MANAGE),
                                                   unit=_dn.c.community_code))
                 .order_by(_dn.c.received_on, _dn.c.id))
            if community is not None:
                q = q.where(_dn.c.community_code == community)
            return [_donation(r) for r in op.uow.conn.execute(q)]

    def in_store(self, actor: Actor, *, community: str | None = None) -> list[CharityLot]:
        """What is still in store (lots with pieces left)."""
        with self._read(actor, "charity.in_store") as op:
            q = (sa.select(_lt).where(_lt.c.quantity > 0, scope_clause(
                op.scope(CHARITY_MANAGE), unit=_lt.c.community_code)).order_by(_lt.c.id))
            if community is not None:
                q = q.where(_lt.c.community_code == community)
            return [_lot(r) for r in op.uow.conn.execute(q)]

    def given(self, actor: Actor, *, community: str | None = None,
              resident_id: str | None = None) -> list[CharityGiveOut]:
        """Who received what, oldest first."""
        with self._read(actor, "charity.given") as op:
            q = (sa.select(_go).join(_lt, _lt.c.id == _go.c.lot_id)
                 .where(scope_clause(op.scope(CHARITY_MANAGE), unit=_lt.c.community_code))
                 .order_by(_go.c.id))
            if community is not None:
                q = q.where(_lt.c.community_code == community)
            if resident_id is not None:
                q = q.where(_go.c.resident_id == resident_id)
            return [_give_out(r) for r in op.uow.conn.execute(q)]
