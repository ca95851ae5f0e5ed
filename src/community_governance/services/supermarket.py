"""The points supermarket (积分超市): items, restocking, redemption of goods for points.

A redemption is one transaction: a guarded UPDATE of the item's stock (``stock >= quantity``),
a guarded debit of the resident's balance, the journal entry, the stock move and the
redemption row (UNIQUE idempotency key). Stock rows are always locked before balance rows, so
concurrent redemptions on PostgreSQL never deadlock.

Lock order of the batches: ``redeem_many`` locks all its items first (``FOR UPDATE``, in item
order), then all its residents' balance rows (in resident order), and only then writes;
``restock_many`` locks its items in item order. A single redemption takes its item, then its
balance: whichever writer takes a shared item first makes the other wait before it holds any
balance, so no two of them ever wait for each other.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain import actions as A
from community_governance.domain.access import Action, Actor, Target
from community_governance.domain.pii_text import check_public_text, mask_personal_numbers
from community_governance.domain.points import (
    EntryKind,
    Item,
    Redemption,
    RedemptionLimit,
    month_of,
    request_fingerprint,
)
from community_governance.domain.units import UnitKind
from community_governance.errors import (
    ConflictError,
    IdempotencyConflict,
    NotFound,
    OutOfStock,
    ValidationError,
)
from community_governance.plugins import expect_type
from community_governance.services.base import Operation, Service, batch_of
from community_governance.services.points import (
    POINTS_REDEEM,
    ResidentRef,
    check_key,
    check_points,
    entry_from_row,
    fast_write,
    idempotent,
    post_entries,
    post_entry,
    replay_entry,
    resolve_resident,
)
from community_governance.storage.repos.bulk import bulk_insert, insert_returning_ids
from community_governance.storage.repos.bulk import chunks as _chunks
from community_governance.storage.repos.scoping import scope_clause
from community_governance.storage.tables import core as t
from community_governance.storage.tables import points as tp

__all__ = ["SUPERMARKET_MANAGE", "SUPERMARKET_READ", "NewItem", "SupermarketService",
           "move_stock"]

#: Add items, set prices, restock: the community office and higher offices.
SUPERMARKET_MANAGE = Action("supermarket.manage", roles=A.COMMUNITY_OFFICE | A.HIGHER_OFFICE)
#: The goods, prices and stock are public (a notice board at the supermarket).
SUPERMARKET_READ = Action("supermarket.read", public=True)

_si = tp.supermarket_items
_sm = tp.stock_moves
_rd = tp.redemptions
_b = sa.bindparam
_ITEM_Q = sa.select(_si).where(_si.c.id == _b("p_item"))
_TAKE = (_si.update().where(_si.c.id == _b("p_item"), _si.c.stock >= _b("p_q"))
         .values(stock=_si.c.stock - _b("p_q")).returning(_si.c.stock))
_PUT = (_si.update().where(_si.c.id == _b("p_item"))
        .values(stock=_si.c.stock + _b("p_q")).returning(_si.c.stock, _si.c.community_code))
_MOVE_INSERT = _sm.insert()
_REDEMPTION_INSERT = _rd.insert()


def _item(r: Any) -> Item:
    # the listing is public: a number stored before names were checked is masked on the way out
    return Item(r.id, r.community_code, mask_personal_numbers(r.name), r.price_points, r.stock,
                bool(r.active))


@attrs.frozen
class NewItem:
    """An item to offer with :meth:`SupermarketService.add_items`.

    The fields are the arguments of :meth:`SupermarketService.add_item`, with the same meaning.

    Attributes:
        community: the community whose supermarket offers it.
        name: the item's name (public: no ID or mobile number).
        price_points: its price in points (a positive whole number).
        stock: how many are put on the shelf at once (a whole number >= 0).
        id: the item's key (default: a new random one).
    """

    community: str
    name: str
    price_points: int
    stock: int = 0
    id: str | None = None


def _check_quantity(q: object, path: str = "quantity") -> int:
    if isinstance(q, bool) or not isinstance(q, int) or q <= 0:
        raise ValidationError(f"a quantity is a positive whole number, got {q!r}", path=path)
    return q


def move_stock(op: Operation, item_id: str, delta: int, kind: str, *, key: str | None,
               community_code: str | None = None) -> int:
    """Change an item's stock with a guarded UPDATE and record the stock move.

    Returns:
        The stock after the move.

    Raises:
        OutOfStock: taking more than is on the shelf.
        NotFound: no such item.
    """
    conn = op.uow.conn
    if delta < 0:
        after = conn.execute(_TAKE, {"p_item": item_id, "p_q": -delta}).scalar()
        if after is None:
            row = conn.execute(_ITEM_Q, {"p_item": item_id}).first()
            if row is None:
                raise NotFound("supermarket item", item_id)
            raise OutOfStock(
                f"item {item_id} ({row.name}) has {row.stock} in stock and {-delta} were asked "
                "for: stock never goes negative; restock it or redeem fewer")
        code = community_code
    else:
        got = conn.execute(_PUT, {"p_item": item_id, "p_q": delta}).first()
        if got is None:
            raise NotFound("supermarket item", item_id)
        after, code = got
    if code is None:
        code = conn.execute(sa.select(_si.c.community_code).where(
            _si.c.id == item_id)).scalar_one()
    conn.execute(_MOVE_INSERT, {
        "item_id": item_id, "kind": kind, "delta": delta, "stock_after": after,
        "community_code": code, "month": month_of(op.today), "at": op.now,
        "idempotency_key": key})
    op.touched.append(f"item:{item_id}")
    return int(after)


def _replay_redemption(conn: sa.Connection, k: str, request: str) -> Redemption | None:
    """The redemption written under key ``k`` (see :func:`idempotent`), or ``None``.

    Raises:
        IdempotencyConflict: the key was used for another request.
    """
    r = conn.execute(sa.select(_rd).where(_rd.c.idempotency_key == k)).first()
    if r is None:
        e = replay_entry(conn, k, request)  # a key used by another kind of entry
        if e is not None:
            raise IdempotencyConflict(
                f"idempotency key {k!r} was used for a {e.kind.value} entry, not a "
                "redemption; use a new key")
        return None
    erow = conn.execute(sa.select(tp.points_entries).where(
        tp.points_entries.c.id == r.entry_id)).one()
    if erow.request != request:
        raise IdempotencyConflict(
            f"idempotency key {k!r} was used for a different redemption "
            f"({r.quantity} × {r.item_id} for {r.resident_id}); use a new key")
    return Redemption(r.id, r.resident_id, r.item_id, r.quantity, r.points,
                      entry_from_row(erow), k)


_RESIDENTS_Q = (
    sa.select(t.residents.c.id, t.residents.c.erased, t.residents.c.vulnerabilities,
              t.households.c.building_code, t.buildings.c.grid_code)
    .select_from(
        t.residents.outerjoin(t.households, t.households.c.id == t.residents.c.household_id)
        .outerjoin(t.buildings, t.buildings.c.code == t.households.c.building_code))
    .where(t.residents.c.id.in_(sa.bindparam("ids", expanding=True))))


def resident_refs(conn: sa.Connection, ids: list[str]) -> dict[str, ResidentRef]:
    """The residents of ``ids`` that exist, as :func:`resolve_resident` finds each."""
    return {r.id: ResidentRef(r.id, r.building_code, r.grid_code, bool(r.erased),
                              r.vulnerabilities or "")
            for part in _chunks(sorted({i for i in ids if isinstance(i, str) and i}))
            for r in conn.execute(_RESIDENTS_Q, {"ids": list(part)})}


def _lock_balances(op: Operation, ids: list[str]) -> dict[str, int]:
    """The balances of the residents of ``ids`` that have a balance row, locked until the
    commit in resident order (PostgreSQL: ``FOR UPDATE``; SQLite's writer holds the write
    lock), noted as the operation's chain heads (as :func:`post_entry` notes them)."""
    pb = tp.points_balances
    q = (sa.select(pb.c.resident_id, pb.c.balance, pb.c.chain_head)
         .where(pb.c.resident_id.in_(sa.bindparam("ids", expanding=True)))
         .order_by(pb.c.resident_id))
    if op.uow.conn.dialect.name == "postgresql":
        q = q.with_for_update()
    out: dict[str, int] = {}
    for part in _chunks(ids):
        for rid, bal, head in op.uow.conn.execute(q, {"ids": list(part)}):
            slot = f"points:{rid}"
            if slot not in op.chain_heads:
                op.chain_heads[slot] = (int(bal), head)
            out[rid] = int(op.chain_heads[slot][0])
    return out


_SET_STOCK = _si.update().where(_si.c.id == sa.bindparam("p_item")).values(
    stock=sa.bindparam("p_stock"))


def _set_stocks(conn: sa.Connection, stocks: dict[str, int]) -> None:
    """Set each item's stock (a batch's items, each once, after its moves were counted)."""
    conn.execute(_SET_STOCK, [{"p_item": i, "p_stock": s} for i, s in stocks.items()])


def _check_limit(value: Any) -> RedemptionLimit:
    lim = expect_type(RedemptionLimit)(value)
    if isinstance(lim.quantity, bool) or not isinstance(lim.quantity, int) or lim.quantity < 0:
        raise ValueError(f"a limit's quantity must be a whole number >= 0, got {lim.quantity!r}")
    lim.window(dt.date(2000, 1, 1))  # ValueError for an unknown period
    return lim


class SupermarketService(Service):
    """The points supermarket (积分超市). Reached as ``gov.supermarket``."""

    def add_item(self, actor: Actor, community: str, name: str, price_points: int, *,
                 stock: int = 0, id: str | None = None) -> Item:
        """Offer a new item at a community's supermarket (上架).

        Raises:
            NotFound: the community does not exist.
            ValidationError: a bad price or stock, or a name holding an ID or mobile number
                (the listing is public).
            ConflictError: the item key exists.
        """
        item_id = self._checked_item(name, price_points, stock, id, "")
        with self._write(actor, "supermarket.add_item") as op:
            return self._add_item(op, community, name, price_points, stock, item_id, {}, None,
                                  "")

    def add_items(self, actor: Actor, items: Iterable[NewItem]) -> list[Item]:
        """Offer several items in one transaction (批量上架), e.g. a new supermarket's shelf.

        Each item gets exactly the checks of :meth:`add_item`, in the order given, and the
        same rows (the item, its first stock move); the batch is audited once, with every
        item it wrote (the objects :meth:`add_item` one by one would record, in that order).
        All or nothing: the first error one by one would meet is raised, with the item's
        place in the batch (``$[3].price_points``, ``at $[3]``), and nothing is written.

        Returns:
            The items, in the order given.

        Raises:
            NotFound: a community does not exist.
            ValidationError: a bad price or stock, a name holding an ID or mobile number, or
                something other than a :class:`NewItem`.
            ConflictError: an item key exists, or appears twice in the batch.
            PermissionDenied: the actor may not manage a community's supermarket.
        """
        batch = batch_of(items, NewItem)
        with self._write(actor, "supermarket.add_items") as op:
            conn = op.uow.conn
            wanted = sorted({x.id for x in batch if x.id})
            # the keys taken already, read at once (add_item reads its own before writing)
            taken = {k for part in _chunks(wanted) for k in conn.execute(
                sa.select(_si.c.id).where(_si.c.id.in_(part))).scalars()}
            kinds: dict[str, str | None] = {}
            out: list[Item] = []
            for i, x in enumerate(batch):
                item_id = self._checked_item(x.name, x.price_points, x.stock, x.id, f"$[{i}].")
                out.append(self._add_item(op, x.community, x.name, x.price_points, x.stock,
                                          item_id, kinds, taken, f" at $[{i}]"))
                taken.add(item_id)
            op.detail["items"] = len(out)
            return out

    @staticmethod
    def _checked_item(name: str, price_points: int, stock: int, id: str | None,
                      where: str) -> str:
        """:meth:`add_item`'s checks of its arguments (``where``: the item's place in a batch,
        ``"$[3]."``); the item's key."""
        check_points(price_points, f"{where}price_points")
        if isinstance(stock, bool) or not isinstance(stock, int) or stock < 0:
            raise ValidationError(f"stock must be a whole number >= 0, got {stock!r}",
                                  path=f"{where}stock")
        if not name.strip():
            raise ValidationError("an item needs a name", path=f"{where}name")
        check_public_text(name, f"{where}name")
        return id or f"I{uuid.uuid4().hex[:12]}"

    def _add_item(self, op: Operation, community: str, name: str, price_points: int,
                  stock: int, item_id: str, kinds: dict[str, str | None],
                  taken: set[str] | None, where: str) -> Item:
        """Write one item in ``op`` (:meth:`add_item`'s work). ``kinds``: the unit kinds read
        so far in the operation; ``taken``: every item key that exists (a batch read them at
        once), or ``None`` to look this one up."""
        conn = op.uow.conn
        if community not in kinds:
            kinds[community] = conn.execute(sa.select(t.units.c.kind).where(
                t.units.c.code == community)).scalar()
        if kinds[community] != UnitKind.COMMUNITY.value:
            raise NotFound("community", community,
                           f"items belong to a community's supermarket{where}")
        op.require(SUPERMARKET_MANAGE, Target("unit", community, unit_code=community))
        exists = (item_id in taken if taken is not None else conn.execute(
            sa.select(_si.c.id).where(_si.c.id == item_id)).first() is not None)
        if exists:
            raise ConflictError(f"supermarket item {item_id} exists already{where}")
        conn.execute(_si.insert().values(
            id=item_id, community_code=community, name=name.strip(),
            price_points=price_points, stock=0, active=True))
        if stock:
            move_stock(op, item_id, stock, "restock", key=None, community_code=community)
        op.touch("item", item_id)
        return Item(item_id, community, name.strip(), price_points, stock, True)

    def restock(self, actor: Actor, item_id: str, quantity: int, *,
                key: str | None = None) -> int:
        """Put goods on the shelf (补货); returns the new stock.

        With ``key``, a retried restock is applied once (the stock is returned as it is now).
        """
        _check_quantity(quantity)
        if key is not None:
            check_key(key)

        def write() -> int:
            with self._write(actor, "supermarket.restock") as op:
                row = op.uow.conn.execute(_ITEM_Q, {"p_item": item_id}).first()
                if row is None:
                    raise NotFound("supermarket item", item_id)
                op.require(SUPERMARKET_MANAGE,
                           Target("item", item_id, unit_code=row.community_code))
                return move_stock(op, item_id, quantity, "restock", key=key,
                                  community_code=row.community_code)

        if key is None:
            return write()

        def replay(conn: sa.Connection, k: str, _fp: str) -> int | None:
            mv = conn.execute(sa.select(_sm).where(_sm.c.idempotency_key == k)).first()
            if mv is None:
                return None
            if mv.item_id != item_id or mv.delta != quantity or mv.kind != "restock":
                raise IdempotencyConflict(
                    f"idempotency key {k!r} was used for a different stock move "
                    f"({mv.kind} {mv.delta} of {mv.item_id})")
            return int(conn.execute(sa.select(_si.c.stock).where(
                _si.c.id == item_id)).scalar_one())

        return idempotent(self._gov, key, "", write, replay)

    def restock_many(self, actor: Actor,
                     items: Sequence[tuple[str, int, str | None]]) -> list[int]:
        """Restock several items in one transaction (批量补货): ``(item_id, quantity, key)``.

        The same checks and stock moves as :meth:`restock`, one audit row for the batch. A
        move whose key was applied before is not applied again (its item's current stock is
        returned, as a retried :meth:`restock` does); a key used for another move, or twice
        in the batch, is refused and nothing is written. All or nothing.

        Returns:
            The stock after each move, in the order given.

        Raises:
            ValidationError: a quantity is not a positive whole number, or a key is malformed.
            IdempotencyConflict: a key was used for a different stock move or twice here.
            NotFound: an item does not exist.
            PermissionDenied: the actor may not manage an item's supermarket.
        """
        batch = list(items)
        keys: dict[str, int] = {}
        for i, (_item_id, quantity, key) in enumerate(batch):
            _check_quantity(quantity, f"items[{i}].quantity")
            if key is not None:
                check_key(key)
                if key in keys:
                    raise IdempotencyConflict(
                        f"idempotency key {key!r} appears twice in the batch (items[{keys[key]}] "
                        f"and items[{i}]); give each move its own key")
                keys[key] = i
        with self._write(actor, "supermarket.restock_many") as op:
            conn = op.uow.conn
            done: dict[str, Any] = {}
            for part in _chunks(sorted(keys)):
                done.update({m.idempotency_key: m for m in conn.execute(
                    sa.select(_sm).where(_sm.c.idempotency_key.in_(part)))})
            ids = sorted({item_id for item_id, _q, _k in batch})
            # the items, locked in item order (as redeem_many locks them) until the commit:
            # their stock is then the batch's to count
            rows = self._lock_items(conn, ids)
            stock = {i: int(r.stock) for i, r in rows.items()}
            moves: list[dict[str, Any]] = []
            month = month_of(op.today)
            out: list[int] = []
            for i, (item_id, quantity, key) in enumerate(batch):
                row = rows.get(item_id)
                if row is None:
                    raise NotFound("supermarket item", item_id, f"at items[{i}]")
                op.require(SUPERMARKET_MANAGE,
                           Target("item", item_id, unit_code=row.community_code))
                mv = done.get(key) if key is not None else None
                if mv is not None:
                    if mv.item_id != item_id or mv.delta != quantity or mv.kind != "restock":
                        raise IdempotencyConflict(
                            f"idempotency key {key!r} (items[{i}]) was used for a different "
                            f"stock move ({mv.kind} {mv.delta} of {mv.item_id})")
                    out.append(-1)  # filled in below with the stock as it is now
                    continue
                # move_stock's work, written below for the batch: the same rows
                stock[item_id] += quantity
                moves.append({"item_id": item_id, "kind": "restock", "delta": quantity,
                              "stock_after": stock[item_id],
                              "community_code": row.community_code, "month": month,
                              "at": op.now, "idempotency_key": key})
                op.touched.append(f"item:{item_id}")
                out.append(stock[item_id])
            if moves:
                _set_stocks(conn, {i: stock[i] for i in dict.fromkeys(
                    m["item_id"] for m in moves)})
                bulk_insert(conn, _sm, moves)
            replayed = [i for i, s in enumerate(out) if s < 0]
            if replayed:
                now = {r.id: int(r.stock) for part in _chunks(ids) for r in conn.execute(
                    sa.select(_si.c.id, _si.c.stock).where(_si.c.id.in_(part)))}
                for i in replayed:
                    out[i] = now[batch[i][0]]
            op.detail.update({"moves": len(batch) - len(replayed), "replayed": len(replayed)})
            return out

    def redeem(self, actor: Actor, resident_id: str, item_id: str, quantity: int = 1, *,
               key: str) -> Redemption:
        """Exchange points for goods (兑换): stock and points move in one transaction.

        Args:
            actor: the resident themselves, or the community office.
            resident_id: who redeems.
            item_id: the item.
            quantity: how many.
            key: the idempotency key; a retry returns the first redemption.

        Raises:
            OutOfStock: not enough on the shelf.
            InsufficientBalance: not enough points.
            ValidationError: an inactive item, a limit of the ``cgov_redemption_limit`` hook.
            NotFound: no such resident or item.
            IdempotencyConflict: the key was used for another request.
        """
        check_key(key)
        _check_quantity(quantity)
        fp = request_fingerprint(op="supermarket.redeem", resident=resident_id, item=item_id,
                                 quantity=quantity)

        def rules(op: Operation) -> Item | None:
            """Read the item and ask the hooks the redemption needs (limits, permission)."""
            ref = resolve_resident(op, resident_id)
            op.require(POINTS_REDEEM, ref.target())
            row = op.uow.conn.execute(_ITEM_Q, {"p_item": item_id}).first()
            if row is None or not row.active:
                return None
            item = _item(row)
            self._hooks.all("cgov_redemption_limit", _check_limit, place=item.community_code,
                            item=item, resident_id=resident_id,
                            community_code=item.community_code)
            return item

        def write() -> Redemption:
            if not (self._hooks.implementations("cgov_redemption_limit")
                    or self._hooks.implementations("cgov_narrow_permission")):
                return write_locked()
            with self._hooks_first(actor, "supermarket.redeem", rules):
                return write_locked()

        def write_locked() -> Redemption:
            with fast_write(self, actor, "supermarket.redeem") as op:
                return self._redeem_in(op, resident_id, item_id, quantity, key, fp)

        return idempotent(self._gov, key, fp, write, _replay_redemption)

    def _redeem_in(self, op: Operation, resident_id: str, item_id: str, quantity: int,
                   key: str, fp: str, *, path: str = "") -> Redemption:
        """One redemption in ``op`` (:meth:`redeem`'s write): its item's stock row is taken
        before its resident's balance row. ``path``: where a batch names it (its errors'
        paths start with it)."""
        ref = resolve_resident(op, resident_id, path=f"{path}resident_id")
        op.require(POINTS_REDEEM, ref.target())
        conn = op.uow.conn
        row = conn.execute(_ITEM_Q, {"p_item": item_id}).first()
        if row is None:
            raise NotFound("supermarket item", item_id)
        if not row.active:
            raise ValidationError(f"item {item_id} ({row.name}) is no longer offered",
                                  path=f"{path}item_id")
        item = _item(row)
        for plugin, lim in self._hooks.all("cgov_redemption_limit", _check_limit,
                                           place=item.community_code, item=item,
                                           resident_id=resident_id,
                                           community_code=item.community_code):
            self._enforce(op, item, resident_id, quantity, lim, plugin)
        points = item.price_points * quantity
        move_stock(op, item_id, -quantity, "redeem", key=key,
                   community_code=item.community_code)
        entry = post_entry(op, ref, EntryKind.REDEEM, -points, key, fp,
                           reason=f"{quantity} × {item.name} ({item_id})")
        rid = conn.execute(_REDEMPTION_INSERT, {
            "idempotency_key": key, "resident_id": resident_id, "item_id": item_id,
            "quantity": quantity, "points": points, "entry_id": entry.id,
            "day": op.today, "at": op.now}).inserted_primary_key[0]  # type: ignore[index]
        return Redemption(int(rid), resident_id, item_id, quantity, points, entry, key)

    def redeem_many(self, actor: Actor,
                    redemptions: Sequence[tuple[str, str, int, str]]) -> list[Redemption]:
        """Many redemptions (兑换) in one transaction, audited once: ``(resident_id, item_id,
        quantity, key)`` each, e.g. a community's month-end redemptions.

        Each gets exactly the checks of :meth:`redeem`, in the order given, the stock and the
        balances counting the redemptions before it in the batch; a key redeemed before
        returns that redemption (as a retried :meth:`redeem` does), a key used for another
        request is refused. All or nothing: a refusal anywhere writes nothing.

        Locks: every item of the batch is locked first (in item order), then the residents'
        balance rows (in resident order), as :meth:`redeem` takes an item before a balance;
        so batches and single redemptions never deadlock.

        Returns:
            The redemptions, in the order given.

        Raises:
            OutOfStock, InsufficientBalance, ValidationError, NotFound: as :meth:`redeem`
                (the path names the redemption: ``redemptions[i]...``).
            IdempotencyConflict: a key was used for another request, or twice in the batch.
        """
        batch = list(redemptions)
        keys: dict[str, int] = {}
        prints: list[str] = []
        for i, (resident_id, item_id, quantity, key) in enumerate(batch):
            check_key(key, f"redemptions[{i}].key")
            _check_quantity(quantity, f"redemptions[{i}].quantity")
            if key in keys:
                raise IdempotencyConflict(
                    f"idempotency key {key!r} appears twice in the batch (redemptions"
                    f"[{keys[key]}] and redemptions[{i}]); give each redemption its own key")
            keys[key] = i
            prints.append(request_fingerprint(op="supermarket.redeem", resident=resident_id,
                                              item=item_id, quantity=quantity))
        if not batch:
            return []
        for attempt in (1, 2):
            try:
                with fast_write(self, actor, "supermarket.redeem_many") as op:
                    out = self._redeem_batch(op, batch, prints)
                    op.detail["redemptions"] = len(out)
                    return out
            except sa.exc.IntegrityError as exc:  # a concurrent redemption took a key
                if attempt == 2:
                    raise ConflictError(f"the redemptions could not be written: {exc.orig}; "
                                        "nothing was written") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _redeem_batch(self, op: Operation, batch: list[tuple[str, str, int, str]],
                      prints: list[str]) -> list[Redemption]:
        """:meth:`redeem_many`'s work in ``op``.

        The keys, residents, items (locked) and balances (locked) are read once for the
        batch; a redemption that passes every check against them (the stock and balance
        counting the redemptions staged before it) is staged, and the staged ones are written
        together (:meth:`_write_redemptions`). Anything else (a key used before, an unknown
        or erased resident, an unknown or withdrawn item, too little stock or too few points,
        a county's redemption limits or narrowed rights) goes one by one from there:
        the staged ones are written first, then :meth:`_redeem_in` checks it (and raises) as
        :meth:`redeem` does, and the rest of the batch follows one by one."""
        conn = op.uow.conn
        out: list[Redemption | None] = []
        used = self._used_keys(conn, [b[3] for b in batch])
        one_by_one = bool(self._hooks.implementations("cgov_redemption_limit")
                          or self._hooks.implementations("cgov_narrow_permission"))
        refs: dict[str, ResidentRef] = {}
        items: dict[str, Any] = {}
        stock: dict[str, int] = {}
        balance: dict[str, int] = {}
        if not one_by_one:
            refs = resident_refs(conn, [b[0] for b in batch])
            items = self._lock_items(conn, [b[1] for b in batch])
            stock = {i: int(r.stock) for i, r in items.items()}
            balance = _lock_balances(op, sorted({b[0] for b in batch if b[0] in refs}))
        staged: list[tuple[int, ResidentRef, Any, int, int, str, str]] = []
        for i, ((resident_id, item_id, quantity, key), fp) in enumerate(
                zip(batch, prints, strict=True)):
            path = f"redemptions[{i}]."
            if key in used:  # a retry: the first redemption, or a conflict
                self._write_redemptions(op, staged, out)
                got = _replay_redemption(conn, key, fp)
                if got is None:  # pragma: no cover - the key was found above
                    raise ConflictError(f"idempotency key {key!r} vanished; retry")
                out.append(got)
                continue
            ref = refs.get(resident_id)
            row = items.get(item_id)
            points = row.price_points * quantity if row is not None else 0
            if (one_by_one or ref is None or ref.erased or row is None or not row.active
                    or stock[item_id] < quantity or balance.get(resident_id, 0) < points):
                self._write_redemptions(op, staged, out)
                out.append(self._redeem_in(op, resident_id, item_id, quantity, key, fp,
                                           path=path))
                one_by_one = True  # what the batch read is stale from here on
                continue
            op.require(POINTS_REDEEM, ref.target())
            stock[item_id] -= quantity
            balance[resident_id] -= points
            staged.append((len(out), ref, row, quantity, stock[item_id], key, fp))
            out.append(None)
        self._write_redemptions(op, staged, out)
        return [r for r in out if r is not None]

    @staticmethod
    def _used_keys(conn: sa.Connection, keys: list[str]) -> set[str]:
        """Which of ``keys`` the journal holds already (a redemption's entry, or another)."""
        pe = tp.points_entries
        return {k for part in _chunks(sorted(set(keys))) for k in conn.execute(
            sa.select(pe.c.idempotency_key).where(pe.c.idempotency_key.in_(part))).scalars()}

    @staticmethod
    def _lock_items(conn: sa.Connection, ids: list[str]) -> dict[str, Any]:
        """The items of ``ids`` that exist, their rows locked until the commit (in item
        order; SQLite's writer holds the database's write lock)."""
        q = sa.select(_si).where(_si.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(
            _si.c.id)
        if conn.dialect.name == "postgresql":
            q = q.with_for_update()
        return {r.id: r for part in _chunks(sorted(set(ids)))
                for r in conn.execute(q, {"ids": list(part)})}

    def _write_redemptions(self, op: Operation,
                           staged: list[tuple[int, ResidentRef, Any, int, int, str, str]],
                           out: list[Redemption | None]) -> None:
        """Write the staged redemptions (and empty ``staged``): what :meth:`_redeem_in` one
        by one writes, table by table in the same order (so the same ids): each item's stock
        once, the stock moves, the journal entries (:func:`post_entries`), the redemption
        rows; the audit's objects as one by one (the item, then the entry, per redemption).
        Fills in ``out``."""
        if not staged:
            return
        conn = op.uow.conn
        _set_stocks(conn, {row.id: after for _place, _ref, row, _q, after, _k, _fp in staged})
        month = month_of(op.today)
        bulk_insert(conn, _sm, [
            {"item_id": row.id, "kind": "redeem", "delta": -q, "stock_after": after,
             "community_code": row.community_code, "month": month, "at": op.now,
             "idempotency_key": key}
            for _place, _ref, row, q, after, key, _fp in staged])
        start = len(op.touched)
        entries = post_entries(op, [
            (ref, EntryKind.REDEEM, -(row.price_points * q), key, fp,
             f"{q} × {_item(row).name} ({row.id})", None)
            for _place, ref, row, q, _after, key, fp in staged])
        del op.touched[start:]
        rows = [{"idempotency_key": key, "resident_id": ref.id, "item_id": row.id,
                 "quantity": q, "points": row.price_points * q, "entry_id": e.id,
                 "day": op.today, "at": op.now}
                for (_place, ref, row, q, _after, key, _fp), e in zip(staged, entries,
                                                                      strict=True)]
        ids = insert_returning_ids(conn, _rd, rows)
        for (place, ref, row, q, _after, key, _fp), e, rid in zip(staged, entries, ids,
                                                                  strict=True):
            op.touched.append(f"item:{row.id}")
            op.touched.append(f"points_entry:{e.id}")
            out[place] = Redemption(int(rid), ref.id, row.id, q, row.price_points * q, e, key)
        staged.clear()

    def _enforce(self, op: Operation, item: Item, resident_id: str, quantity: int,
                 lim: RedemptionLimit, plugin: str) -> None:
        start, end = lim.window(op.today)
        taken = int(op.uow.conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
            _rd.c.quantity), 0)).where(_rd.c.resident_id == resident_id,
                                       _rd.c.item_id == item.id, _rd.c.day >= start,
                                       _rd.c.day <= end)).scalar_one())
        if taken + quantity > lim.quantity:
            raise ValidationError(
                f"resident {resident_id} may redeem at most {lim.quantity} × {item.name} per "
                f"{lim.period} (rule of {plugin}); {taken} redeemed since {start}, {quantity} "
                "asked", path="quantity")

    def set_active(self, actor: Actor, item_id: str, active: bool) -> Item:
        """Withdraw an item from sale (下架) or offer it again."""
        with self._write(actor, "supermarket.set_active") as op:
            row = op.uow.conn.execute(_ITEM_Q, {"p_item": item_id}).first()
            if row is None:
                raise NotFound("supermarket item", item_id)
            op.require(SUPERMARKET_MANAGE, Target("item", item_id, unit_code=row.community_code))
            op.uow.conn.execute(_si.update().where(_si.c.id == item_id).values(active=active))
            op.touch("item", item_id)
            return attrs.evolve(_item(row), active=active)

    def stock(self, community: str | None = None) -> list[Item]:
        """Items with price and stock, by community and name (public)."""
        q = sa.select(_si).order_by(_si.c.community_code, _si.c.name, _si.c.id)
        if community is not None:
            q = q.where(_si.c.community_code == community)
        with self._gov.store.unit_of_work(write=False) as uow:
            return [_item(r) for r in uow.conn.execute(q)]

    def get_item(self, item_id: str) -> Item:
        """One item (public)."""
        with self._gov.store.unit_of_work(write=False) as uow:
            row = uow.conn.execute(_ITEM_Q, {"p_item": item_id}).first()
        if row is None:
            raise NotFound("supermarket item", item_id)
        return _item(row)

    def redemptions(self, actor: Actor, *, resident_id: str | None = None,
                    community: str | None = None) -> list[Redemption]:
        """Redemptions the actor may see (a resident: their own), oldest first."""
        from community_governance.services.points import POINTS_READ

        pe = tp.points_entries
        with self._read(actor, "supermarket.redemptions") as op:
            q = (sa.select(_rd, pe).join(pe, pe.c.id == _rd.c.entry_id)
                 .join(_si, _si.c.id == _rd.c.item_id)
                 .where(scope_clause(op.scope(POINTS_READ), unit=_si.c.community_code,
                                     resident=_rd.c.resident_id))
                 .order_by(_rd.c.id))
            if resident_id is not None:
                q = q.where(_rd.c.resident_id == resident_id)
            if community is not None:
                q = q.where(_si.c.community_code == community)
            out = []
            for r in op.uow.conn.execute(q.set_label_style(sa.LABEL_STYLE_TABLENAME_PLUS_COL)):
                m = r._mapping
                e = entry_from_row(_Prefixed(m, "points_entries_"))
                out.append(Redemption(m["redemptions_id"], m["redemptions_resident_id"],
                                      m["redemptions_item_id"], m["redemptions_quantity"],
                                      m["redemptions_points"], e,
                                      m["redemptions_idempotency_key"]))
            return out

    def turnover(self, actor: Actor, *, community: str | None = None) -> list[dict[str, Any]]:
        """Per community and month: goods redeemed, points taken in, restocked, stock-outs."""
        with self._read(actor, "supermarket.turnover") as op:
            return monthly_turnover(op, community)


class _Prefixed:
    """Attribute access to a mapping's keys under a prefix."""

    def __init__(self, mapping: Any, prefix: str) -> None:
        self._m = mapping
        self._p = prefix

    def __getattr__(self, name: str) -> Any:
        return self._m[self._p + name]


def monthly_turnover(op: Operation, community: str | None) -> list[dict[str, Any]]:
    """Per community and month: quantities redeemed and restocked, points, stock-outs."""
    scope = op.scope(A.REPORT_READ)
    q = (sa.select(_sm.c.community_code, _sm.c.month, _sm.c.kind, sa.func.sum(_sm.c.delta),
                   sa.func.count(),
                   sa.func.sum(sa.case((_sm.c.stock_after == 0, 1), else_=0)))
         .where(scope_clause(scope, unit=_sm.c.community_code))
         .group_by(_sm.c.community_code, _sm.c.month, _sm.c.kind))
    if community is not None:
        q = q.where(_sm.c.community_code == community)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for code, month, kind, delta, n, outs in op.uow.conn.execute(q):
        row = rows.setdefault((code, month), {
            "community": code, "month": month, "redemptions": 0, "goods_redeemed": 0,
            "goods_restocked": 0, "goods_returned": 0, "stock_outs": 0})
        if kind == "redeem":
            row["redemptions"] += int(n)
            row["goods_redeemed"] += -int(delta)
            row["stock_outs"] += int(outs or 0)
        elif kind == "restock":
            row["goods_restocked"] += int(delta)
        else:
            row["goods_returned"] += int(delta)
    pe = tp.points_entries
    pq = (sa.select(_si.c.community_code, pe.c.month, sa.func.sum(_rd.c.points))
          .select_from(_rd.join(pe, pe.c.id == _rd.c.entry_id)
                       .join(_si, _si.c.id == _rd.c.item_id))
          .where(scope_clause(scope, unit=_si.c.community_code))
          .group_by(_si.c.community_code, pe.c.month))
    if community is not None:
        pq = pq.where(_si.c.community_code == community)
    for code, month, pts in op.uow.conn.execute(pq):
        row = rows.setdefault((code, month), {
            "community": code, "month": month, "redemptions": 0, "goods_redeemed": 0,
            "goods_restocked": 0, "goods_returned": 0, "stock_outs": 0})
        row["points_taken"] = int(pts or 0)
    for row in rows.values():
        row.setdefault("points_taken", 0)
    return [rows[k] for k in sorted(rows)]
