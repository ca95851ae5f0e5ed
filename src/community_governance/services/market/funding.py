"""Free and paid community services (免费服务与有偿服务相结合) and wider funding channels
(拓宽经费渠道): the catalogue with fees, paid-service income posted to the funds ledger in the
channel ``paid_service``, and sponsorship / donation agreements whose receipts are posted in
the channel of the party (enterprise, individual, NGO)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from community_governance.domain.access import Actor, Target
from community_governance.domain.funds import (
    Channel,
    Transaction,
    TransactionKind,
    credit,
    debit,
    format_cny,
    from_fen,
    positive_money,
    to_fen,
)
from community_governance.domain.market import (
    CommunityService,
    FundingAgreement,
    PartyKind,
)
from community_governance.errors import ConflictError, NotFound, ValidationError
from community_governance.plugins import expect_type
from community_governance.services.base import Operation, Service
from community_governance.services.funds.common import FUNDS_POST
from community_governance.services.market.common import (
    MARKET_WRITE,
    agreement_from_row,
    community_exists,
    target,
)
from community_governance.storage.tables import market as mt

if TYPE_CHECKING:
    from community_governance.services.funds import FundsService

__all__ = ["AGREEMENT_ACCOUNT", "BANK_ACCOUNT", "SERVICE_INCOME_ACCOUNT", "FundingMixin",
           "ServiceSale"]

#: The accounts income is posted to: bank deposits (银行存款) against service income
#: (有偿服务收入) or donations (捐赠收入) of the standard chart.
BANK_ACCOUNT = "1002"
SERVICE_INCOME_ACCOUNT = "4301"
AGREEMENT_ACCOUNT = "4201"

_CHANNEL = {PartyKind.ENTERPRISE: Channel.ENTERPRISE, PartyKind.INDIVIDUAL: Channel.INDIVIDUAL,
            PartyKind.NGO: Channel.NGO}


@attrs.frozen
class ServiceSale:
    """Paid services delivered (有偿服务收入), to post as income.

    Attributes:
        service_id: the catalogue entry.
        quantity: how many units (次, 小时...) were paid for.
        on: the accounting day.
        voucher: the voucher reference (凭证号).
    """

    service_id: str
    quantity: int
    on: dt.date
    voucher: str


def _service(r: Any) -> CommunityService:
    return CommunityService(r.id, r.community_code, r.name, from_fen(int(r.fee_fen)), r.unit,
                            r.kind, r.provider_id)


class FundingMixin(Service):
    """The catalogue, paid-service income and funding agreements (``gov.market``)."""

    _funds_svc: FundsService | None = None

    def _funds(self) -> FundsService:
        from community_governance.services.funds import FundsService

        if self._funds_svc is None:  # kept: it caches the charts of accounts it loads
            self._funds_svc = FundsService(self._gov)
        return self._funds_svc

    # ------------------------------------------------------------------ catalogue

    def add_services(self, actor: Actor, services: Iterable[CommunityService]) -> int:
        """Add services to communities' catalogues (社区服务项目), all or nothing.

        Raises:
            NotFound: a community or provider does not exist.
            ConflictError: a key is used already.
            PermissionDenied: the actor may not act for the community.
        """
        items = list(services)
        with self._write(actor, "market.add_services") as op:
            conn = op.uow.conn
            for i, s in enumerate(items):
                community_exists(op, s.community_code, f"$[{i}].community_code")
                op.require(MARKET_WRITE, target("service", s.id, s.community_code))
                if s.provider_id is not None and conn.execute(sa.select(
                        mt.market_actors.c.id).where(
                        mt.market_actors.c.id == s.provider_id)).first() is None:
                    raise NotFound("market actor", s.provider_id, f"at $[{i}].provider_id")
            try:
                if items:
                    conn.execute(mt.market_services.insert(), [
                        {"id": s.id, "community_code": s.community_code, "name": s.name,
                         "kind": s.kind.value if s.kind else None, "fee_fen": to_fen(s.fee),
                         "unit": s.unit, "provider_id": s.provider_id} for s in items])
            except IntegrityError:
                raise ConflictError("a service with one of these keys exists already") \
                    from None
            op.touched.extend(f"service:{s.id}" for s in items)
            return len(items)

    def default_catalogue(self, community: str) -> list[CommunityService]:
        """The catalogue the place's rule gives ``community`` (``cgov_market_service_catalogue``).

        Raises:
            PluginError: a plugin answered something other than services of that community.
        """
        def check(value: Any) -> list[CommunityService]:
            if not isinstance(value, list):
                raise TypeError(f"expected a list of CommunityService, got "
                                f"{type(value).__name__}")
            for s in value:
                expect_type(CommunityService)(s)
                if s.community_code != community:
                    raise ValueError(f"service {s.id} is of {s.community_code}, not of "
                                     f"{community}")
            if len({s.id for s in value}) != len(value):
                raise ValueError("a service key is given twice")
            return value

        return self._hooks.first("cgov_market_service_catalogue", check, place=community,
                                 community_code=community)

    def seed_catalogue(self, actor: Actor, communities: Iterable[str]) -> int:
        """Give each community the catalogue of its place's rule; services it has already
        (by key) are kept as they are. One transaction.

        Returns:
            How many services were added.
        """
        codes = list(dict.fromkeys(communities))
        wanted = [s for c in codes for s in self.default_catalogue(c)]
        with self._gov.store.unit_of_work(write=False) as uow:
            have = set(uow.conn.execute(sa.select(mt.market_services.c.id).where(
                mt.market_services.c.community_code.in_(codes))).scalars()) if codes else set()
        return self.add_services(actor, [s for s in wanted if s.id not in have])

    def catalogue(self, community: str) -> list[CommunityService]:
        """A community's services with their fees (free ones at 0), by key (public)."""
        s = mt.market_services.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_services).where(
                s.community_code == community).order_by(s.id)).all()
        return [_service(r) for r in rows]

    # ------------------------------------------------------------------ income

    def record_income(self, actor: Actor, sales: Iterable[ServiceSale]) -> list[Transaction]:
        """Post paid-service income (有偿服务收入) to the funds ledger: per sale, the fee times
        the quantity on bank deposits (1002) against service income (4301), channel
        ``paid_service``. One transaction for the whole batch.

        Raises:
            NotFound: no such service.
            ValidationError: a free service, or a quantity that is not a whole number of 1 or
                more.
            ConflictError: the year's books are closed.
            PermissionDenied: the actor may not post to the community's books.
        """
        items = list(sales)
        funds = self._funds()
        with self._gov.store.unit_of_work(write=False) as uow:
            communities = sorted(set(uow.conn.execute(
                sa.select(mt.market_services.c.community_code).where(
                    mt.market_services.c.id.in_([s.service_id for s in items]))).scalars()))
        for c in communities:  # the charts, before the write (no plugin under the lock)
            funds.chart(c)
        with self._write(actor, "market.record_income") as op:
            conn = op.uow.conn
            services: dict[str, CommunityService] = {}
            out: list[Transaction] = []
            rows = []
            for i, sale in enumerate(items):
                if sale.service_id not in services:
                    r = conn.execute(sa.select(mt.market_services).where(
                        mt.market_services.c.id == sale.service_id)).first()
                    if r is None:
                        raise NotFound("service", sale.service_id, f"at $[{i}].service_id")
                    services[sale.service_id] = _service(r)
                s = services[sale.service_id]
                op.require(MARKET_WRITE, target("service", s.id, s.community_code))
                if s.free:
                    raise ValidationError(
                        f"service {s.id} ({s.name}) is free (免费服务): it brings no income; "
                        "set a fee in the catalogue if it is to be paid", path=f"$[{i}]")
                if isinstance(sale.quantity, bool) or not isinstance(sale.quantity, int) \
                        or sale.quantity < 1:
                    raise ValidationError(f"$[{i}].quantity is a whole number of 1 or more, "
                                          f"got {sale.quantity!r}", path=f"$[{i}].quantity")
                amount = s.fee * sale.quantity
                tx = self._post(op, s.community_code, amount, Channel.PAID_SERVICE,
                                SERVICE_INCOME_ACCOUNT, sale.voucher, sale.on,
                                f"{s.name} × {sale.quantity}{s.unit}", None, False)
                out.append(tx)
                rows.append({"transaction_id": tx.id, "service_id": s.id,
                             "quantity": sale.quantity, "amount_fen": to_fen(amount),
                             "date": tx.date})
            if rows:
                conn.execute(mt.market_service_income.insert(), rows)
            op.detail["sales"] = len(rows)
            return out

    def _post(self, op: Operation, community: str, amount: Decimal, channel: Channel,
              account: str, voucher: str, on: dt.date, memo: str, party: str | None,
              public: bool) -> Transaction:
        funds = self._funds()
        lines = [debit(BANK_ACCOUNT, amount), credit(account, amount)]
        return funds._post(op, community, lines, channel=channel, voucher=voucher, on=on,
                           memo=memo, counterparty=party, public=public, key=None,
                           fingerprint=f"market:{voucher}:{to_fen(amount)}",
                           kind=TransactionKind.ORDINARY,
                           community_checked=f"funds:{community}" in op.chain_heads)

    def service_income(self, community_prefix: str = "", *,
                       year: int | None = None) -> list[dict[str, Any]]:
        """Paid-service income per community and service (counts and CNY)."""
        si, s = mt.market_service_income.c, mt.market_services.c
        q = (sa.select(s.community_code, s.id, s.name, sa.func.sum(si.quantity),
                       sa.func.sum(si.amount_fen), sa.func.count())
             .join(mt.market_services, s.id == si.service_id)
             .where(s.community_code.startswith(community_prefix, autoescape=True))
             .group_by(s.community_code, s.id, s.name).order_by(s.community_code, s.id))
        if year is not None:
            q = q.where(si.date >= dt.date(year, 1, 1), si.date <= dt.date(year, 12, 31))
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(q).all()
        return [{"community": r[0], "service": r[1], "name": r[2], "quantity": int(r[3]),
                 "income": str(from_fen(int(r[4]))), "postings": int(r[5])} for r in rows]

    # ------------------------------------------------------------------ agreements

    def add_agreements(self, actor: Actor, agreements: Iterable[FundingAgreement]) -> int:
        """Record sponsorship and donation agreements (赞助/捐赠协议), all or nothing.

        Raises:
            NotFound: a community does not exist.
            ValidationError: an organization's name holds a personal number.
            ConflictError: a key is used already.
            PermissionDenied: the actor may not act for the community.
        """
        from community_governance.domain.pii_text import check_public_text

        items = list(agreements)
        with self._write(actor, "market.add_agreements") as op:
            for i, a in enumerate(items):
                community_exists(op, a.community_code, f"$[{i}].community_code")
                op.require(MARKET_WRITE, target("agreement", a.id, a.community_code))
                if a.party_kind is not PartyKind.INDIVIDUAL or a.consent:
                    check_public_text(a.party_name, f"$[{i}].party_name")
            try:
                if items:
                    op.uow.conn.execute(mt.market_agreements.insert(), [
                        {"id": a.id, "community_code": a.community_code, "kind": a.kind.value,
                         "party_kind": a.party_kind.value, "party_name": a.party_name,
                         "consent": a.consent, "amount_fen": to_fen(a.amount),
                         "signed_on": a.signed_on, "purpose": a.purpose} for a in items])
            except IntegrityError:
                raise ConflictError("an agreement with one of these keys exists already") \
                    from None
            op.touched.extend(f"agreement:{a.id}" for a in items)
            return len(items)

    def agreements(self, community_prefix: str = "") -> list[dict[str, Any]]:
        """Agreements with what was received under each (an individual who did not consent
        is shown as ``个人``)."""
        a, r = mt.market_agreements.c, mt.market_agreement_receipts.c
        with self._gov.store.unit_of_work(write=False) as uow:
            rows = uow.conn.execute(sa.select(mt.market_agreements).where(
                a.community_code.startswith(community_prefix, autoescape=True))
                .order_by(a.community_code, a.id)).all()
            got = dict(uow.conn.execute(sa.select(r.agreement_id, sa.func.sum(r.amount_fen))
                                        .group_by(r.agreement_id)).all())
        out = []
        for row in rows:
            x = agreement_from_row(row)
            shown = x.party_name if (x.party_kind is not PartyKind.INDIVIDUAL or x.consent) \
                else "个人"
            out.append({"id": x.id, "community": x.community_code, "kind": x.kind.value,
                        "party_kind": x.party_kind.value, "party": shown,
                        "channel": _CHANNEL[x.party_kind].value, "amount": str(x.amount),
                        "received": str(from_fen(int(got.get(x.id) or 0))),
                        "signed_on": x.signed_on.isoformat(), "purpose": x.purpose})
        return out

    def receive(self, actor: Actor, agreement_id: str, amount: Decimal | str | int, *,
                voucher: str, on: dt.date | None = None) -> Transaction:
        """Post money received under an agreement to the funds ledger: bank deposits (1002)
        against donations (4201), in the channel of the party (``enterprise``,
        ``individual``, ``ngo``), the party named in public as the agreement allows.

        Raises:
            NotFound: no such agreement.
            ValidationError: not a positive amount to the fen; a day before the agreement.
            ConflictError: the receipts would exceed the amount agreed.
            PermissionDenied: the actor may not post to the community's books.
        """
        value = positive_money(amount)
        with self._gov.store.unit_of_work(write=False) as uow:
            community = uow.conn.execute(sa.select(mt.market_agreements.c.community_code)
                                         .where(mt.market_agreements.c.id == agreement_id)
                                         ).scalar_one_or_none()
        if community is not None:
            self._funds().chart(community)
        with self._write(actor, "market.receive") as op:
            conn = op.uow.conn
            r = conn.execute(sa.select(mt.market_agreements).where(
                mt.market_agreements.c.id == agreement_id)).first()
            if r is None:
                raise NotFound("agreement", agreement_id, "record it first (add_agreements)")
            a = agreement_from_row(r)
            op.require(MARKET_WRITE, target("agreement", a.id, a.community_code))
            day = on or op.today
            if day < a.signed_on:
                raise ValidationError(f"agreement {a.id} was signed on {a.signed_on}: money "
                                      f"under it is received on or after that, not {day}",
                                      path="on")
            # the books' lock first: two receipts of one agreement are serialised by it
            op.require(FUNDS_POST, Target("funds", a.community_code, unit_code=a.community_code))
            self._funds()._lock(op, a.community_code)
            had = from_fen(int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(
                mt.market_agreement_receipts.c.amount_fen), 0)).where(
                mt.market_agreement_receipts.c.agreement_id == a.id)).scalar_one()))
            if had + value > a.amount:
                raise ConflictError(
                    f"agreement {a.id} is for {format_cny(a.amount)}; {format_cny(had)} is "
                    f"received already, so {format_cny(value)} more would exceed it: record "
                    "a new agreement (or an amended one) for the rest")
            tx = self._post(op, a.community_code, value, _CHANNEL[a.party_kind],
                            AGREEMENT_ACCOUNT, voucher, day,
                            f"{a.kind.value} agreement {a.id}", a.party_name,
                            a.party_kind is not PartyKind.INDIVIDUAL or a.consent)
            conn.execute(mt.market_agreement_receipts.insert().values(
                transaction_id=tx.id, agreement_id=a.id, amount_fen=to_fen(value), date=tx.date))
            return tx
