"""Shared pieces of the funds service (社区经费): the actions, the prepared statements,
the hook-answer checks, small validators and the input records of the batch methods."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import sqlalchemy as sa

from community_governance.domain.access import Action
from community_governance.domain.funds import (
    Account,
    AccountType,
    Channel,
    DisbursementState,
    InKindItem,
    Posting,
    TransactionKind,
    Violation,
    check_no_personal_numbers,
    check_transition,
    positive_money,
)
from community_governance.domain.posts import PostKind
from community_governance.errors import InvalidTransition, UnbalancedTransaction, ValidationError
from community_governance.storage.tables import core as t
from community_governance.storage.tables import funds as f

P = PostKind
_BOOKKEEPERS = frozenset({P.SECRETARY, P.DIRECTOR, P.STAFF, P.SUBDISTRICT_STAFF, P.COUNTY_ADMIN})
_LEADERS = frozenset({P.SECRETARY, P.DIRECTOR, P.SUBDISTRICT_STAFF, P.COUNTY_ADMIN})

FUNDS_POST = Action("funds.post", roles=_BOOKKEEPERS)
FUNDS_BUDGET = Action("funds.budget", roles=_LEADERS)
FUNDS_REQUEST = Action("funds.request", roles=_BOOKKEEPERS)
FUNDS_PAY = Action("funds.pay", roles=_BOOKKEEPERS)
FUNDS_CLOSE = Action("funds.close", roles=_LEADERS)
FUNDS_READ = Action("funds.read", roles=_BOOKKEEPERS)
#: Anyone, signed in or not, reads a community's financial disclosure (财务公开).
FUNDS_DISCLOSE = Action("funds.disclose", public=True)

_ZERO = Decimal("0.00")
# hot-path statements, built once (bound parameters are filled in per call)
_Q_UNIT_KIND = sa.select(t.units.c.kind).where(t.units.c.code == sa.bindparam("code"))
_Q_CLOSED = sa.select(f.funds_closings.c.year).where(
    f.funds_closings.c.community_code == sa.bindparam("community"),
    f.funds_closings.c.year == sa.bindparam("year"))
_Q_LOCK = (sa.select(f.funds_locks.c.community_code, f.funds_locks.c.chain_head)
           .where(f.funds_locks.c.community_code == sa.bindparam("community"))
           .with_for_update())
_Q_KEY = sa.select(f.funds_transactions.c.id, f.funds_transactions.c.fingerprint).where(
    f.funds_transactions.c.idempotency_key == sa.bindparam("key"))
_OPEN_STATES = (DisbursementState.REQUESTED.value, DisbursementState.APPROVED.value)
_FD, _FA = f.funds_disbursements, f.funds_approvals
#: a disbursement and its approvals in one statement (one row per approval, or one row with
#: no approval), the approvals in the order they were given (the role breaks ties in time)
_Q_DISBURSEMENT_APPROVALS = (
    sa.select(_FD, _FA.c.role.label("a_role"), _FA.c.approver.label("a_approver"),
              _FA.c.at.label("a_at"))
    .select_from(_FD.outerjoin(_FA, _FA.c.disbursement_id == _FD.c.id))
    .where(_FD.c.id == sa.bindparam("did"))
    .order_by(_FA.c.at, _FA.c.role))
#: the lock row of a disbursement's community, taken until the commit (see ``_lock``)
_Q_LOCK_OF_DISBURSEMENT = (
    sa.select(f.funds_locks.c.community_code, f.funds_locks.c.chain_head)
    .join(_FD, _FD.c.community_code == f.funds_locks.c.community_code)
    .where(_FD.c.id == sa.bindparam("did"))
    .with_for_update(of=f.funds_locks))
_Q_SPENT = (sa.select(sa.func.coalesce(sa.func.sum(f.funds_postings.c.amount_fen), 0))
            .select_from(f.funds_postings.join(
                f.funds_transactions,
                f.funds_transactions.c.id == f.funds_postings.c.transaction_id))
            .where(f.funds_postings.c.community_code == sa.bindparam("community"),
                   f.funds_postings.c.account == sa.bindparam("account"),
                   f.funds_postings.c.date >= sa.bindparam("first", type_=sa.Date),
                   f.funds_postings.c.date <= sa.bindparam("last", type_=sa.Date),
                   f.funds_transactions.c.kind != TransactionKind.CLOSING.value))
_Q_BALANCE = sa.select(sa.func.coalesce(sa.func.sum(f.funds_postings.c.amount_fen), 0)).where(
    f.funds_postings.c.community_code == sa.bindparam("community"),
    f.funds_postings.c.account == sa.bindparam("account"))
_Q_BUDGET = sa.select(f.funds_budgets.c.amount_fen).where(
    f.funds_budgets.c.community_code == sa.bindparam("community"),
    f.funds_budgets.c.account == sa.bindparam("account"),
    f.funds_budgets.c.year == sa.bindparam("year"))


#: The columns of ``funds_transactions`` that a transaction's hash covers (with its postings).
FUNDS_CHAIN_COLUMNS = ("community_code", "date", "channel", "kind", "voucher", "memo",
                       "counterparty", "counterparty_public", "reverses", "idempotency_key",
                       "fingerprint", "posted_at", "posted_by")


def funds_chain_fields(tx: dict[str, Any], postings: Iterable[tuple[int, str, int]]
                       ) -> dict[str, Any]:
    """What a funds transaction's hash covers: its columns and its postings
    ``(line, account, amount_fen)`` in line order."""
    return {**{c: tx[c] for c in FUNDS_CHAIN_COLUMNS},
            "postings": [list(p) for p in sorted(postings)]}


def _fingerprint(*parts: Any) -> str:
    text = json.dumps(parts, ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every dialect we serve returns it
        raise RuntimeError("the database did not return the new row's key")
    return int(key[0])


def _raise(violations: Sequence[Violation]) -> None:
    if not violations:
        return
    msg = "; ".join(v.message for v in violations)
    path = violations[0].path
    if any(v.rule == "unbalanced" for v in violations):
        raise UnbalancedTransaction(msg, path=path)
    raise ValidationError(msg, path=path)


def _check_over_budget(value: Any) -> list[PostKind] | None:
    if value is False:
        return None
    if value is True or not isinstance(value, list | tuple) or not value:
        raise TypeError("expected False or a non-empty list of post kinds")
    return [PostKind(v) for v in value]


def allocation_check(chart: dict[str, Account]) -> Callable[[Any], dict[str, Decimal]]:
    """The check applied to ``cgov_funds_annual_allocation`` answers, over a community's chart:
    a dict of the chart's income accounts to positive money."""

    def check(value: Any) -> dict[str, Decimal]:
        if not isinstance(value, dict):
            raise TypeError(f"expected a dict of account code to amount, got {value!r}")
        out: dict[str, Decimal] = {}
        for code, amount in value.items():
            acc = chart.get(code)
            if acc is None or acc.type is not AccountType.INCOME:
                raise ValueError(f"{code!r} is not an income account of the chart")
            out[code] = positive_money(amount, path=f"allocation[{code}]")
        return out

    return check


def _check_threshold(value: Any) -> Decimal:
    return positive_money(value, path="threshold")


def _text(value: Any, path: str, *, required: bool = True, limit: int = 200) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(f"{path} must be a non-empty text", path=path)
    text: str = value.strip()
    if len(text) > limit:
        raise ValidationError(f"{path} is longer than {limit} characters", path=path)
    _raise(check_no_personal_numbers(text, path))
    return text


def _date(value: Any, default: dt.date, path: str = "on") -> dt.date:
    if value is None:
        return default
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"{path} must be a date (datetime.date), got {value!r}", path=path)
    return value


def _lines(value: Iterable[Posting]) -> tuple[Posting, ...]:
    return tuple(value)


@attrs.frozen
class NewTransaction:
    """A transaction (记账凭证) to post with :meth:`FundsService.post_many`.

    The fields are the arguments of :meth:`FundsService.post`, with the same meaning.

    Attributes:
        postings: the lines (:func:`~community_governance.domain.funds.debit`,
            :func:`~community_governance.domain.funds.credit`).
        channel: where the money came from (``internal`` for spending and transfers).
        voucher: the voucher reference (凭证号).
        on: the accounting date (default: today in the county).
        memo: an internal note (not disclosed).
        counterparty: who paid or was paid.
        donor_consent: for an individual donor, whether they agreed to be named in public.
        key: an idempotency key: the same transaction with the same key posts once.
    """

    postings: tuple[Posting, ...] = attrs.field(converter=_lines)
    channel: Channel | str
    voucher: str
    on: dt.date | None = None
    memo: str = ""
    counterparty: str | None = None
    donor_consent: bool = False
    key: str | None = None

    def fingerprint(self, community_code: str) -> str:
        """What an idempotency key is bound to (the same as :meth:`FundsService.post`)."""
        return _fingerprint("post", community_code, str(self.on), str(self.channel),
                            self.voucher, self.memo, self.counterparty, self.donor_consent,
                            [(p.account, str(p.amount)) if isinstance(p, Posting) else repr(p)
                             for p in self.postings])


def _things(value: Iterable[InKindItem]) -> tuple[InKindItem, ...]:
    return tuple(value)


@attrs.frozen
class NewInKind:
    """Support in kind (实物捐赠) to record with :meth:`FundsService.post_many`, among the
    batch's transactions, in its place.

    The fields are the arguments of :meth:`FundsService.record_in_kind`, with the same
    meaning.

    Attributes:
        items: what was given (:class:`~community_governance.domain.funds.InKindItem`).
        donor: who gave it.
        voucher: the voucher reference (凭证号).
        channel: where it came from (default: a partner unit).
        on: the accounting date (default: today in the county).
        donor_consent: for an individual donor, whether they agreed to be named in public.
        key: an idempotency key: the same record with the same key is written once.
        asset_account: the account debited (实物资产).
        income_account: the account credited (实物捐赠收入).
    """

    items: tuple[InKindItem, ...] = attrs.field(converter=_things)
    donor: str
    voucher: str
    channel: Channel | str = Channel.PARTNER_UNIT
    on: dt.date | None = None
    donor_consent: bool = False
    key: str | None = None
    asset_account: str = "1501"
    income_account: str = "4501"

    def fingerprint(self, community_code: str) -> str:
        """What an idempotency key is bound to (the same as
        :meth:`FundsService.record_in_kind`)."""
        return _fingerprint("in_kind", community_code, str(self.on), str(self.channel),
                            self.voucher, self.donor, self.donor_consent,
                            [(i.description, i.quantity, str(i.unit_value))
                             for i in self.items], self.asset_account, self.income_account)


@attrs.frozen
class NewBudget:
    """A budget (预算) to set with :meth:`FundsService.set_budgets`.

    The fields are the arguments of :meth:`FundsService.set_budget`, with the same meaning.

    Attributes:
        community_code: the community.
        account: the expense account, e.g. ``5101``.
        year: the calendar year.
        amount: the budget, CNY (``str``, ``int`` or ``Decimal``, never ``float``).
    """

    community_code: str
    account: str
    year: int
    amount: object


@attrs.frozen
class NewDisbursement:
    """A disbursement request (支出申请) for :meth:`FundsService.request_many`.

    The fields are the arguments of :meth:`FundsService.request`, with the same meaning.

    Attributes:
        account: the expense account.
        amount: the amount (``str``, ``int`` or ``Decimal``; never ``float``).
        payee: who is to be paid.
        purpose: what the money is for.
        on: the day of the request (default: today in the county).
        key: an idempotency key: the same request with the same key is made once.
    """

    account: str
    amount: object
    payee: str
    purpose: str
    on: dt.date | None = None
    key: str | None = None


@attrs.frozen
class Payment:
    """The payment of an approved disbursement (支付), for :meth:`FundsService.pay_many`.

    Attributes:
        disbursement_id: the disbursement.
        voucher: the voucher reference (凭证号).
        on: the payment date (default: today in the county).
        from_account: the asset account paid from.
    """

    disbursement_id: int
    voucher: str
    on: dt.date | None = None
    from_account: str = "1002"


def _raise_transition(current: DisbursementState, to: DisbursementState) -> None:
    problems = check_transition(current, to)
    if problems:
        raise InvalidTransition(problems[0].message)
