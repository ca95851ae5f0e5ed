"""Community funds (社区经费): a double-entry ledger (复式记账) in CNY to the fen.

This module is pure: money parsing, the chart of accounts, postings, transactions, budgets,
disbursements and the invariants of the books as check functions that return
:class:`Violation` values. It does no I/O and never reads the clock.

Money is :class:`decimal.Decimal` CNY quantised to the fen (分). :func:`to_money` accepts
``str``, ``int`` and ``Decimal`` and refuses ``float`` (binary floating point cannot hold most
amounts in fen exactly) and amounts finer than a fen. The database keeps integer fen.

Sign convention of a posting: a positive amount is a debit (借), a negative one a credit (贷).
A transaction balances when its postings sum to zero.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from community_governance.domain.pii_text import check_public_text
from community_governance.domain.posts import PostKind
from community_governance.errors import ValidationError

__all__ = [
    "FEN",
    "WIDENED_CHANNELS",
    "Account",
    "AccountType",
    "Approval",
    "Budget",
    "Channel",
    "Disbursement",
    "DisbursementState",
    "InKindItem",
    "Posting",
    "Transaction",
    "TransactionKind",
    "Violation",
    "check_approver",
    "check_budget",
    "check_chart",
    "check_no_personal_numbers",
    "check_postings",
    "check_transition",
    "check_trial_balance",
    "credit",
    "debit",
    "format_cny",
    "from_fen",
    "parse_quarter",
    "positive_money",
    "quarter_bounds",
    "to_fen",
    "to_money",
]

#: One fen (分), the smallest unit of the books.
FEN = Decimal("0.01")
_MAX_FEN = 10**15  # a quadrillion fen: far above any community's books, far below BigInteger


# ------------------------------------------------------------------------------------ money


def to_money(value: object, *, path: str = "amount") -> Decimal:
    """Parse an amount of CNY exactly, to the fen.

    Args:
        value: a ``Decimal``, an ``int`` (whole yuan) or a ``str`` such as ``"74000"``,
            ``"1,250.50"`` or ``"¥ 12.30"``.
        path: where the value sits in the caller's input (for the error).

    Returns:
        The amount as a ``Decimal`` with exactly two decimal places.

    Raises:
        ValidationError: the value is a ``float`` or ``bool``, not a number, not finite, or
            finer than a fen.
    """
    if isinstance(value, float):
        raise ValidationError(
            f"amount {value!r} is a float; money is exact: pass a str or Decimal such as "
            f"'{value:.2f}' (binary floats cannot hold most fen amounts)",
            path=path,
        )
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise ValidationError(
            f"amount {value!r} ({type(value).__name__}) is not money: pass a str, int or "
            "Decimal such as '74000.00'",
            path=path,
        )
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("¥", "").replace("￥", "").strip()
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(
                f"amount {value!r} is not a number of yuan such as '1250.50'", path=path
            ) from None
    else:
        amount = Decimal(value)
    if not amount.is_finite():
        raise ValidationError(f"amount {value!r} is not a finite number", path=path)
    quantised = amount.quantize(FEN)
    if quantised != amount:
        raise ValidationError(
            f"amount {value!r} is finer than a fen (0.01 CNY); round it on the voucher first",
            path=path,
        )
    if abs(quantised) * 100 >= _MAX_FEN:
        raise ValidationError(f"amount {value!r} is implausibly large for community books",
                              path=path)
    return quantised


def positive_money(value: object, *, path: str = "amount") -> Decimal:
    """Parse an amount with :func:`to_money` and require it to be above zero.

    Raises:
        ValidationError: as :func:`to_money`, or the amount is zero or negative.
    """
    amount = to_money(value, path=path)
    if amount <= 0:
        raise ValidationError(
            f"amount {amount} must be above zero; a correction is a reversing transaction, "
            "and a credit is written with credit(), not a negative debit",
            path=path,
        )
    return amount


def to_fen(amount: Decimal) -> int:
    """An exact amount of CNY as integer fen (the storage form)."""
    return int(to_money(amount) * 100)


def from_fen(fen: int) -> Decimal:
    """Integer fen back to CNY with two decimal places."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, got {type(fen).__name__}")
    return (Decimal(fen) / 100).quantize(FEN)


def format_cny(amount: Decimal) -> str:
    """``Decimal("74000")`` → ``"74,000.00"`` (the way vouchers print amounts)."""
    return f"{to_money(amount):,.2f}"


# ------------------------------------------------------------------------------------ periods


def parse_quarter(text: str) -> tuple[int, int]:
    """``"2019Q2"`` → ``(2019, 2)``.

    Raises:
        ValidationError: the text is not a year followed by ``Q1``..``Q4``.
    """
    m = re.fullmatch(r"\s*(\d{4})\s*[Qq]([1-4])\s*", str(text))
    if m is None:
        raise ValidationError(f"quarter {text!r} must look like '2019Q2' (year, Q, 1-4)",
                              path="quarter")
    return int(m.group(1)), int(m.group(2))


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a quarter."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationError(f"quarter {quarter} must be 1..4", path="quarter")
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1))
    return start, end - dt.timedelta(days=1)


# ------------------------------------------------------------------------------------ accounts


class AccountType(enum.StrEnum):
    """The five classes of account (会计要素) of the community's books."""

    ASSET = "asset"  #: 资产
    LIABILITY = "liability"  #: 负债
    NET_ASSETS = "net_assets"  #: 净资产 (fund balances, 基金结余)
    INCOME = "income"  #: 收入
    EXPENSE = "expense"  #: 支出

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return _TYPE_ZH[self]

    @property
    def debit_normal(self) -> bool:
        """Whether the account's balance is normally a debit (assets and expenses)."""
        return self in (AccountType.ASSET, AccountType.EXPENSE)

    @property
    def temporary(self) -> bool:
        """Income and expense accounts are closed into net assets at year end (结转)."""
        return self in (AccountType.INCOME, AccountType.EXPENSE)


_TYPE_ZH = {
    AccountType.ASSET: "资产",
    AccountType.LIABILITY: "负债",
    AccountType.NET_ASSETS: "净资产",
    AccountType.INCOME: "收入",
    AccountType.EXPENSE: "支出",
}


@attrs.frozen
class Account:
    """An account (会计科目) of a community's chart of accounts.

    Attributes:
        code: the account's code, e.g. ``"4101"`` (digits, up to 16 characters).
        name: its Chinese name, e.g. ``办公经费``.
        name_en: its English name, e.g. ``Office funds``.
        type: asset, liability, net assets, income or expense.
        fund: the fund it belongs to (``office``, ``care``, ``culture`` or ``general``); at year
            end income and expense of a fund close into that fund's net-asset account.
    """

    code: str
    name: str
    name_en: str
    type: AccountType = attrs.field(converter=AccountType)
    fund: str = "general"

    def __attrs_post_init__(self) -> None:
        if not re.fullmatch(r"[0-9A-Za-z.\-]{1,16}", self.code):
            raise ValidationError(
                f"account code {self.code!r} must be 1-16 letters, digits, '.' or '-'",
                path="code")
        if not self.name.strip():
            raise ValidationError(f"account {self.code} needs a Chinese name", path="name")

    def label(self, lang: str = "zh") -> str:
        """The account's name in ``lang`` (``zh`` or ``en``)."""
        return self.name_en if lang == "en" else self.name


# ------------------------------------------------------------------------------------ channels


class Channel(enum.StrEnum):
    """Where money comes from (资金渠道); spending and internal entries use ``INTERNAL``."""

    CITY_ALLOCATION = "city_allocation"  #: 市级财政拨款
    SUBDISTRICT = "subdistrict"  #: 办事处拨款
    PARTNER_UNIT = "partner_unit"  #: 共建单位支持
    ENTERPRISE = "enterprise"  #: 企业捐赠
    NGO = "ngo"  #: 社会组织捐赠
    INDIVIDUAL = "individual"  #: 个人捐赠
    PAID_SERVICE = "paid_service"  #: 有偿服务 (use of community facilities)
    INVESTMENT = "investment"  #: 投资
    INTERNAL = "internal"  #: 内部 (spending, transfers, year-end close)

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return _CHANNEL_ZH[self]

    @property
    def english(self) -> str:
        """A short English label."""
        return _CHANNEL_EN[self]

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` (``zh`` or ``en``)."""
        return self.english if lang == "en" else self.chinese

    @property
    def may_be_person(self) -> bool:
        """Whether the counterparty may be a private person, named in public only with
        consent (individual donors, users of paid services)."""
        return self in (Channel.INDIVIDUAL, Channel.PAID_SERVICE)


#: The channels the study asks to open (拓宽经费渠道: investment, donations of enterprises, NGOs
#: and individuals, paid services); the others are the established, single-source funding of
#: 2019 (the city, the sub-district, partner units). The funding mix shows the largest channel's
#: share without them ("before") and with them ("after").
WIDENED_CHANNELS = frozenset({Channel.ENTERPRISE, Channel.NGO, Channel.INDIVIDUAL,
                              Channel.PAID_SERVICE, Channel.INVESTMENT})

_CHANNEL_ZH = {
    Channel.CITY_ALLOCATION: "市级财政拨款",
    Channel.SUBDISTRICT: "办事处拨款",
    Channel.PARTNER_UNIT: "共建单位支持",
    Channel.ENTERPRISE: "企业捐赠",
    Channel.NGO: "社会组织捐赠",
    Channel.INDIVIDUAL: "个人捐赠",
    Channel.PAID_SERVICE: "有偿服务收入",
    Channel.INVESTMENT: "投资收益",
    Channel.INTERNAL: "内部",
}
_CHANNEL_EN = {
    Channel.CITY_ALLOCATION: "City allocation",
    Channel.SUBDISTRICT: "Sub-district",
    Channel.PARTNER_UNIT: "Partner units",
    Channel.ENTERPRISE: "Enterprises",
    Channel.NGO: "NGOs",
    Channel.INDIVIDUAL: "Individuals",
    Channel.PAID_SERVICE: "Paid services",
    Channel.INVESTMENT: "Investment",
    Channel.INTERNAL: "Internal",
}


class TransactionKind(enum.StrEnum):
    """How a transaction came about (凭证类别)."""

    ORDINARY = "ordinary"  #: 普通凭证
    REVERSAL = "reversal"  #: 红字冲销 (reversing a posted transaction)
    DISBURSEMENT = "disbursement"  #: 支出审批后的付款
    IN_KIND = "in_kind"  #: 实物捐赠入账
    CLOSING = "closing"  #: 年终结转


# ------------------------------------------------------------------------------------ postings


def _money_converter(value: object) -> Decimal:
    return to_money(value)


@attrs.frozen
class Posting:
    """One line of a transaction (分录): an account and a signed amount.

    Build them with :func:`debit` and :func:`credit`, which take positive amounts.

    Attributes:
        account: the account's code.
        amount: positive for a debit (借), negative for a credit (贷); never zero.
    """

    account: str
    amount: Decimal = attrs.field(converter=_money_converter)

    @property
    def debit(self) -> Decimal:
        """The debit amount (0 for a credit line)."""
        return self.amount if self.amount > 0 else Decimal("0.00")

    @property
    def credit(self) -> Decimal:
        """The credit amount (0 for a debit line)."""
        return -self.amount if self.amount < 0 else Decimal("0.00")


def debit(account: str, amount: object) -> Posting:
    """A debit line (借方) of ``amount`` (a positive str, int or Decimal) on ``account``."""
    return Posting(account, positive_money(amount, path=f"debit {account}"))


def credit(account: str, amount: object) -> Posting:
    """A credit line (贷方) of ``amount`` (a positive str, int or Decimal) on ``account``."""
    return Posting(account, -positive_money(amount, path=f"credit {account}"))


@attrs.frozen
class Transaction:
    """A posted transaction (记账凭证): balanced postings with their voucher, never edited.

    Attributes:
        id: the transaction's number.
        community_code: the community whose books it is in.
        date: the accounting date (记账日期).
        channel: where the money came from (``INTERNAL`` for spending and transfers).
        voucher: the voucher reference (凭证号/原始单据号).
        memo: internal note (摘要); not shown in public disclosures.
        postings: the lines; they sum to zero.
        kind: ordinary, reversal, disbursement, in-kind or closing.
        counterparty: who paid or was paid (a unit, an enterprise, a donor...), if recorded.
        counterparty_public: whether the counterparty may be named in public (an individual
            donor only with consent).
        reverses: the transaction this one reverses, if it is a reversal.
        idempotency_key: the caller's key, if one was given.
        posted_at: when it was posted (UTC).
        posted_by: who posted it.
    """

    id: int
    community_code: str
    date: dt.date
    channel: Channel
    voucher: str
    memo: str
    postings: tuple[Posting, ...]
    kind: TransactionKind = TransactionKind.ORDINARY
    counterparty: str | None = None
    counterparty_public: bool = False
    reverses: int | None = None
    idempotency_key: str | None = None
    posted_at: dt.datetime | None = None
    posted_by: str = ""

    @property
    def total(self) -> Decimal:
        """The transaction's size: the sum of its debits."""
        return sum((p.debit for p in self.postings), Decimal("0.00"))


@attrs.frozen
class InKindItem:
    """Support in kind (实物捐赠), e.g. computers or desks from a partner unit.

    Attributes:
        description: what it is, e.g. ``台式电脑``.
        quantity: how many.
        unit_value: estimated value of one (估价), CNY.
    """

    description: str
    quantity: int
    unit_value: Decimal = attrs.field(converter=_money_converter)

    def __attrs_post_init__(self) -> None:
        if not self.description.strip():
            raise ValidationError("an in-kind item needs a description", path="description")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int) \
                or self.quantity < 1:
            raise ValidationError(f"quantity {self.quantity!r} must be a whole number >= 1",
                                  path="quantity")
        if self.unit_value <= 0:
            raise ValidationError("an in-kind item's estimated value must be above zero",
                                  path="unit_value")

    @property
    def value(self) -> Decimal:
        """The estimated value of all of them."""
        return (self.unit_value * self.quantity).quantize(FEN)


# ------------------------------------------------------------------------------------ budgets


@attrs.frozen
class Budget:
    """A budget (预算) for one account of one community in one year.

    Attributes:
        community_code: the community.
        account: the (expense) account's code.
        year: the calendar year.
        amount: the budgeted amount, CNY.
        spent: what the postings of the year spent on the account so far.
    """

    community_code: str
    account: str
    year: int
    amount: Decimal
    spent: Decimal = Decimal("0.00")

    @property
    def remaining(self) -> Decimal:
        """What is left (negative only if an over-budget approval allowed it)."""
        return self.amount - self.spent


# ------------------------------------------------------------------------------------ disbursements


class DisbursementState(enum.StrEnum):
    """The states of a disbursement (支出申请): requested → approved → paid, or rejected."""

    REQUESTED = "requested"  #: 已申请
    APPROVED = "approved"  #: 已批准
    PAID = "paid"  #: 已支付
    REJECTED = "rejected"  #: 已驳回

    @property
    def chinese(self) -> str:
        """The Chinese term."""
        return {"requested": "已申请", "approved": "已批准", "paid": "已支付",
                "rejected": "已驳回"}[self.value]


_TRANSITIONS: dict[DisbursementState, frozenset[DisbursementState]] = {
    DisbursementState.REQUESTED: frozenset({DisbursementState.APPROVED,
                                            DisbursementState.REJECTED}),
    DisbursementState.APPROVED: frozenset({DisbursementState.PAID, DisbursementState.REJECTED}),
    DisbursementState.PAID: frozenset(),
    DisbursementState.REJECTED: frozenset(),
}


@attrs.frozen
class Approval:
    """One approval (审批) of a disbursement, given in one role.

    Attributes:
        role: the post in which it was given (e.g. director, sub-district staff).
        approver: who approved (``staff:ID`` or ``system:job``).
        at: when (UTC).
    """

    role: PostKind
    approver: str
    at: dt.datetime | None = None


@attrs.frozen
class Disbursement:
    """A request to spend (支出申请) from an expense account.

    Attributes:
        id: its number.
        community_code: the community.
        account: the expense account to charge.
        amount: CNY.
        payee: who is to be paid (an organisation or a purpose; never an ID or phone number).
        purpose: what for.
        state: requested, approved, paid or rejected.
        required_roles: the roles that must each approve (from the approvals hook).
        approvals: the approvals given so far.
        requested_by: who asked (``staff:ID``...).
        requested_on: the day of the request.
        over_budget: whether the county's over-budget rule applied at request time.
        transaction_id: the payment's transaction once paid.
        reason: why it was rejected, if it was.
        idempotency_key: the caller's key, if one was given.
    """

    id: int
    community_code: str
    account: str
    amount: Decimal
    payee: str
    purpose: str
    state: DisbursementState
    required_roles: tuple[PostKind, ...]
    approvals: tuple[Approval, ...]
    requested_by: str
    requested_on: dt.date
    over_budget: bool = False
    transaction_id: int | None = None
    reason: str = ""
    idempotency_key: str | None = None

    @property
    def missing_roles(self) -> tuple[PostKind, ...]:
        """The required roles that have not approved yet."""
        done = {a.role for a in self.approvals}
        return tuple(r for r in self.required_roles if r not in done)


# ------------------------------------------------------------------------------------ invariants


@attrs.frozen
class Violation:
    """A broken rule of the books (违规): what, where, and how to fix it.

    Attributes:
        rule: a short identifier, e.g. ``unbalanced``.
        message: a sentence naming the thing, the rule and the fix.
        path: where in the input, if it applies to one part.
    """

    rule: str
    message: str
    path: str | None = None


def check_chart(accounts: Iterable[Account]) -> list[Violation]:
    """Check a chart of accounts: unique codes and the accounts double entry needs."""
    out: list[Violation] = []
    seen: dict[str, Account] = {}
    for a in accounts:
        if a.code in seen and seen[a.code] != a:
            out.append(Violation("duplicate_account",
                                 f"account code {a.code} is defined twice, differently "
                                 f"({seen[a.code].name} / {a.name}); give one of them another "
                                 "code", f"accounts[{a.code}]"))
        seen[a.code] = a
    for kind in (AccountType.ASSET, AccountType.INCOME, AccountType.EXPENSE,
                 AccountType.NET_ASSETS):
        if not any(a.type is kind for a in seen.values()):
            out.append(Violation("chart_incomplete",
                                 f"the chart has no {kind.value} ({kind.chinese}) account; "
                                 "double entry needs one"))
    return out


def check_postings(postings: Sequence[Posting], known_accounts: Mapping[str, Any] | None = None
                   ) -> list[Violation]:
    """Check the lines of a transaction before it is posted.

    Rules: at least two lines; no zero line; every account known (when ``known_accounts`` is
    given); debits equal credits.
    """
    out: list[Violation] = []
    if len(postings) < 2:
        out.append(Violation("too_few_lines",
                             f"a transaction needs at least two lines (a debit and a credit), "
                             f"got {len(postings)}", "postings"))
    for i, p in enumerate(postings):
        if not isinstance(p, Posting):
            out.append(Violation("not_a_posting",
                                 f"line {i} is a {type(p).__name__}; build lines with debit() "
                                 "and credit()", f"postings[{i}]"))
            continue
        if not isinstance(p.amount, Decimal):
            out.append(Violation("not_decimal", f"line {i} amount is not a Decimal",
                                 f"postings[{i}]"))
        elif p.amount == 0:
            out.append(Violation("zero_line", f"line {i} on {p.account} is zero; leave it out",
                                 f"postings[{i}]"))
        if known_accounts is not None and p.account not in known_accounts:
            out.append(Violation("unknown_account",
                                 f"account {p.account!r} is not in the community's chart of "
                                 f"accounts; use one of {sorted(known_accounts)} or add it "
                                 "with the cgov_funds_accounts hook", f"postings[{i}].account"))
    lines = [p for p in postings if isinstance(p, Posting) and isinstance(p.amount, Decimal)]
    total = sum((p.amount for p in lines), Decimal("0.00"))
    if total != 0:
        debits = sum((p.debit for p in lines), Decimal("0.00"))
        credits = sum((p.credit for p in lines), Decimal("0.00"))
        out.append(Violation("unbalanced",
                             f"debits {format_cny(debits)} and credits {format_cny(credits)} "
                             f"differ by {format_cny(abs(total))}; every transaction must "
                             "balance (借贷必相等)", "postings"))
    return out


def check_trial_balance(balances: Mapping[str, Decimal]) -> list[Violation]:
    """The balances of all accounts (signed, debit positive) must sum to zero."""
    total = sum(balances.values(), Decimal("0.00"))
    if total != 0:
        return [Violation("trial_balance",
                          f"the trial balance is off by {total}: the books are corrupt")]
    return []


def check_budget(budget: Decimal | None, spent: Decimal, amount: Decimal) -> list[Violation]:
    """Spending ``amount`` more on an account that spent ``spent`` must stay within ``budget``
    (no budget: no limit)."""
    if budget is None or amount <= 0 or spent + amount <= budget:
        return []
    return [Violation("over_budget",
                      f"spending {format_cny(amount)} would take the account to "
                      f"{format_cny(spent + amount)}, beyond its budget of "
                      f"{format_cny(budget)} (remaining {format_cny(budget - spent)})")]


def check_transition(current: DisbursementState, to: DisbursementState) -> list[Violation]:
    """A disbursement moves requested → approved → paid, or to rejected before it is paid."""
    if to in _TRANSITIONS[current]:
        return []
    allowed = sorted(s.value for s in _TRANSITIONS[current]) or ["nothing: it is final"]
    return [Violation("transition",
                      f"a disbursement that is {current.value} ({current.chinese}) cannot "
                      f"become {to.value}; from {current.value} it may become {allowed}")]


def check_approver(requested_by: str, approver: str,
                   approvals: Sequence[Approval]) -> list[Violation]:
    """Nobody approves their own request, and one person fills one role of a request."""
    if requested_by == approver:
        return [Violation("self_approval",
                          f"{approver} asked for this disbursement and cannot approve it "
                          "(不得审批本人的申请); another holder of the required post must")]
    if any(a.approver == approver for a in approvals):
        return [Violation("approved_twice",
                          f"{approver} has approved this disbursement already; each required "
                          "role needs a different person")]
    return []


def check_no_personal_numbers(text: str | None, path: str) -> list[Violation]:
    """Refuse ID numbers and mobile numbers in the books' free text (they are public records).

    Found by the library's one scanner (:func:`~community_governance.domain.pii_text.
    check_public_text`): full-width digits, separators and numbers run together included.
    """
    if not text:
        return []
    try:
        check_public_text(text, path)
    except ValidationError as exc:
        return [Violation("personal_number",
                          f"{exc.reason}; the books are disclosed in public: refer to residents "
                          "by case number instead", path)]
    return []
