"""The books' rules at their boundaries and their invariant checks on corrupted input
(issue #13 item 11)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from community_governance.domain.funds import (
    FEN,
    Account,
    AccountType,
    Posting,
    Violation,
    check_budget,
    check_chart,
    check_no_personal_numbers,
    check_postings,
    check_trial_balance,
    credit,
    debit,
    format_cny,
    from_fen,
    parse_quarter,
    positive_money,
    quarter_bounds,
    to_fen,
    to_money,
)
from community_governance.errors import ValidationError

D = dt.date


@pytest.mark.parametrize(("year", "q", "start", "end"), [
    (2019, 1, D(2019, 1, 1), D(2019, 3, 31)),
    (2019, 2, D(2019, 4, 1), D(2019, 6, 30)),
    (2019, 3, D(2019, 7, 1), D(2019, 9, 30)),
    (2019, 4, D(2019, 10, 1), D(2019, 12, 31)),
    (2024, 1, D(2024, 1, 1), D(2024, 3, 31)),  # a leap year changes nothing at the edges
])
def test_quarter_bounds_every_quarter(year: int, q: int, start: dt.date, end: dt.date) -> None:
    assert quarter_bounds(year, q) == (start, end)


@pytest.mark.parametrize("q", [0, 5, -1])
def test_quarter_bounds_refuses_other_quarters(q: int) -> None:
    with pytest.raises(ValidationError, match=f"quarter {q} must be 1..4"):
        quarter_bounds(2019, q)


@pytest.mark.parametrize(("text", "want"), [
    ("2019Q1", (2019, 1)), ("2019q4", (2019, 4)), (" 2020 Q2 ", (2020, 2)),
    ("2019Q0", None), ("2019Q5", None), ("19Q1", None), ("2019-Q1", None), ("", None),
])
def test_parse_quarter_table(text: str, want: tuple[int, int] | None) -> None:
    if want is None:
        with pytest.raises(ValidationError, match="must look like '2019Q2'"):
            parse_quarter(text)
    else:
        assert parse_quarter(text) == want


@pytest.mark.parametrize(("fen", "want"), [
    (0, "0.00"), (1, "0.01"), (99, "0.99"), (100, "1.00"), (500, "5.00"), (-250, "-2.50"),
    (7400000, "74000.00"),
])
def test_from_fen_exact(fen: int, want: str) -> None:
    got = from_fen(fen)
    assert got == Decimal(want) and str(got) == want
    assert to_fen(got) == fen


@pytest.mark.parametrize("bad", ["500", 5.0, True, None, Decimal("5")])
def test_from_fen_refuses_anything_but_an_int(bad: object) -> None:
    """from_fen("500") must not come back as 5.00 (nor 500.00): fen are ints."""
    with pytest.raises(TypeError, match="fen must be an int"):
        from_fen(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "want"), [
    ("74000", "74000.00"), ("1,250.50", "1250.50"), ("¥ 12.30", "12.30"), ("￥5", "5.00"),
    (3, "3.00"), (Decimal("0.01"), "0.01"), ("-0.01", "-0.01"), ("9999999999999.99",
                                                                 "9999999999999.99"),
])
def test_to_money_accepts(value: object, want: str) -> None:
    got = to_money(value)
    assert got == Decimal(want) and got.as_tuple().exponent == -2


@pytest.mark.parametrize(("value", "match"), [
    (1.5, "is a float"), (True, "is not money"), (None, "is not money"),
    ("abc", "not a number of yuan"), ("NaN", "not a finite number"),
    ("0.001", "finer than a fen"), ("10000000000000.00", "implausibly large"),
    ("-10000000000000", "implausibly large"),
])
def test_to_money_refuses(value: object, match: str) -> None:
    with pytest.raises(ValidationError, match=match) as e:
        to_money(value, path="x.amount")
    assert e.value.path == "x.amount"


def test_positive_money_boundary() -> None:
    assert positive_money("0.01") == FEN
    for bad in ("0", "-0.01"):
        with pytest.raises(ValidationError, match="must be above zero"):
            positive_money(bad)


def test_format_cny() -> None:
    assert format_cny(Decimal("74000")) == "74,000.00"
    assert format_cny(Decimal("0.5")) == "0.50"
    assert format_cny(Decimal("-1234567.8")) == "-1,234,567.80"


def _chart() -> list[Account]:
    return [Account("1001", "现金", "Cash", AccountType.ASSET),
            Account("3001", "基金结余", "Fund balance", AccountType.NET_ASSETS),
            Account("4101", "拨款收入", "Grants", AccountType.INCOME),
            Account("5101", "办公经费", "Office", AccountType.EXPENSE)]


def test_check_chart_passes_a_complete_chart_and_names_every_gap() -> None:
    assert check_chart(_chart()) == []
    assert check_chart([*_chart(), _chart()[0]]) == []  # the same account twice is harmless
    clash = Account("1001", "银行存款", "Bank", AccountType.ASSET)
    got = check_chart([*_chart(), clash])
    assert [(v.rule, v.path) for v in got] == [("duplicate_account", "accounts[1001]")]
    assert "现金 / 银行存款" in got[0].message
    for missing in range(4):
        chart = [a for i, a in enumerate(_chart()) if i != missing]
        got = check_chart(chart)
        kind = _chart()[missing].type
        assert [(v.rule, v.message) for v in got] == [(
            "chart_incomplete", f"the chart has no {kind.value} ({kind.chinese}) account; "
            "double entry needs one")]
    assert [v.rule for v in check_chart([])] == ["chart_incomplete"] * 4
    # a liability account is not required
    assert check_chart(_chart()) == []


def test_check_trial_balance_catches_a_corrupted_balance() -> None:
    ok = {"1001": Decimal("100.00"), "4101": Decimal("-100.00")}
    assert check_trial_balance(ok) == []
    assert check_trial_balance({}) == []
    got = check_trial_balance({**ok, "1001": Decimal("100.01")})
    assert got == [Violation("trial_balance",
                             "the trial balance is off by 0.01: the books are corrupt")]


def test_check_postings_rules() -> None:
    known = {a.code: a for a in _chart()}
    assert check_postings([debit("5101", "10"), credit("1001", "10")], known) == []
    assert [v.rule for v in check_postings([debit("5101", "10")], known)] == [
        "too_few_lines", "unbalanced"]
    got = check_postings([debit("5101", "10"), credit("1001", "9.99")], known)
    assert [(v.rule, v.message) for v in got] == [(
        "unbalanced", "debits 10.00 and credits 9.99 differ by 0.01; every transaction must "
        "balance (借贷必相等)")]
    got = check_postings([debit("9999", "10"), credit("1001", "10")], known)
    assert [(v.rule, v.path) for v in got] == [("unknown_account", "postings[0].account")]
    assert check_postings([debit("9999", "10"), credit("1001", "10")]) == []  # no chart given
    got = check_postings(["x", debit("5101", "1"), credit("1001", "1")], known)  # type: ignore[list-item]
    assert [(v.rule, v.path) for v in got] == [("not_a_posting", "postings[0]")]


@pytest.mark.parametrize(("budget", "spent", "amount", "over"), [
    (None, "0", "1000000", False),
    ("100", "60", "40", False),  # exactly at the budget
    ("100", "60", "40.01", True),
    ("100", "100", "0", False),  # nothing more spent
    ("100", "120", "0", False),  # nothing more spent, even on an account already over
    ("100", "100", "1", True),  # one yuan over
    ("100", "99.60", "0.50", True),  # a sub-yuan amount over
    ("100", "120", "-5", False),  # a refund is never over budget
])
def test_check_budget_boundaries(budget: str | None, spent: str, amount: str,
                                 over: bool) -> None:
    got = check_budget(None if budget is None else Decimal(budget), Decimal(spent),
                       Decimal(amount))
    assert [v.rule for v in got] == (["over_budget"] if over else [])
    if over:
        b, sp, am = Decimal(budget), Decimal(spent), Decimal(amount)  # type: ignore[arg-type]
        assert got[0].message == (
            f"spending {format_cny(am)} would take the account to {format_cny(sp + am)}, "
            f"beyond its budget of {format_cny(b)} (remaining {format_cny(b - sp)})")


def test_check_budget_exact_message() -> None:
    got = check_budget(Decimal("100"), Decimal("60"), Decimal("40.01"))
    assert got == [Violation("over_budget",
                             "spending 40.01 would take the account to 100.01, beyond its "
                             "budget of 100.00 (remaining 40.00)")]


@pytest.mark.parametrize(("text", "bad"), [
    (None, False), ("", False), ("购买办公用品", False),
    ("李先生 13800000007", True), ("身份证411281198001010011", True),
    ("编号 1380000000712", False),  # 13 digits: not a mobile number
    ("电话12800000007", False),  # 12x is not a mobile prefix
    ("411281198001010011X", False),  # 19 characters: not an ID number
])
def test_no_personal_numbers_in_public_text(text: str | None, bad: bool) -> None:
    got = check_no_personal_numbers(text, "counterparty")
    assert [(v.rule, v.path) for v in got] == ([("personal_number", "counterparty")]
                                               if bad else [])


def test_exact_paths_and_messages() -> None:
    """What the mutants of these messages changed: paths and wording, exactly."""
    with pytest.raises(ValidationError) as e:
        quarter_bounds(2019, 5)
    assert e.value.path == "quarter"
    with pytest.raises(ValidationError) as e:
        parse_quarter("2019Q5")
    assert e.value.path == "quarter"
    with pytest.raises(TypeError) as t:
        from_fen("500")  # type: ignore[arg-type]
    assert str(t.value) == "fen must be an int, got str"
    clash = Account("1001", "银行存款", "Bank", AccountType.ASSET)
    got = check_chart([*_chart(), clash])
    assert got[0].message == ("account code 1001 is defined twice, differently (现金 / 银行存款); "
                              "give one of them another code")


def test_to_money_default_path_and_exact_messages() -> None:
    """Without a path the error points at ``amount``; each refusal says what to pass."""
    with pytest.raises(ValidationError) as e:
        to_money("abc")
    assert e.value.path == "amount"
    assert e.value.reason == "amount 'abc' is not a number of yuan such as '1250.50'"
    with pytest.raises(ValidationError) as e:
        to_money([1])
    assert e.value.path == "amount"
    assert e.value.reason == ("amount [1] (list) is not money: pass a str, int or Decimal "
                              "such as '74000.00'")
    with pytest.raises(ValidationError) as e:
        to_money(1.5, path="p")
    assert e.value.reason == ("amount 1.5 is a float; money is exact: pass a str or Decimal "
                              "such as '1.50' (binary floats cannot hold most fen amounts)")
    with pytest.raises(ValidationError) as e:
        to_money("0.001", path="p")
    assert e.value.reason == ("amount '0.001' is finer than a fen (0.01 CNY); round it on the "
                              "voucher first")


def test_positive_money_default_path_passed_path_and_exact_message() -> None:
    msg = ("amount 0.00 must be above zero; a correction is a reversing transaction, and a "
           "credit is written with credit(), not a negative debit")
    with pytest.raises(ValidationError) as e:
        positive_money("0")
    assert (e.value.path, e.value.reason) == ("amount", msg)
    with pytest.raises(ValidationError) as e:
        positive_money("-2", path="lines[3]")
    assert e.value.path == "lines[3]"
    assert e.value.reason == msg.replace("0.00", "-2.00", 1)
    # a parse error inside positive_money points at the caller's path too
    with pytest.raises(ValidationError) as e:
        positive_money("abc", path="lines[3]")
    assert e.value.path == "lines[3]"
    with pytest.raises(ValidationError) as e:
        positive_money("abc")
    assert e.value.path == "amount"


@pytest.mark.parametrize(("build", "path"), [(debit, "debit 5101"), (credit, "credit 1001")])
def test_debit_and_credit_name_the_line_in_errors(build: object, path: str) -> None:
    account = path.split()[1]
    for bad in ("0", "-5", "x"):
        with pytest.raises(ValidationError) as e:
            build(account, bad)  # type: ignore[operator]
        assert e.value.path == path
    assert debit("5101", "10").amount == Decimal("10.00")
    assert credit("1001", "10").amount == Decimal("-10.00")


@pytest.mark.parametrize(("code", "ok"), [
    ("4101", True), ("A", True), ("z", True), ("Z9", True), ("4101.01", True),
    ("GEN-1", True), ("x" * 16, True), ("9" * 16, True),
    ("", False), ("x" * 17, False), ("41 01", False), ("41/01", False), ("科目", False),
    ("4101\n", False),
])
def test_account_code_table(code: str, ok: bool) -> None:
    if ok:
        assert Account(code, "现金", "Cash", AccountType.ASSET).code == code
    else:
        with pytest.raises(ValidationError) as e:
            Account(code, "现金", "Cash", AccountType.ASSET)
        assert e.value.path == "code"
        assert e.value.reason == (f"account code {code!r} must be 1-16 letters, digits, '.' "
                                  "or '-'")


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_an_account_needs_a_chinese_name(name: str) -> None:
    with pytest.raises(ValidationError) as e:
        Account("4101", name, "Grants", AccountType.INCOME)
    assert (e.value.path, e.value.reason) == ("name", "account 4101 needs a Chinese name")


def test_account_labels_and_type_conversion() -> None:
    a = Account("4101", "拨款收入", "Grants", "income")  # type: ignore[arg-type]
    assert a.type is AccountType.INCOME
    assert (a.label(), a.label("zh"), a.label("en"), a.label("fr")) == (
        "拨款收入", "拨款收入", "Grants", "拨款收入")
    assert a.fund == "general"


def test_check_postings_exact_messages_and_paths() -> None:
    """Every rule of check_postings on a corrupted transaction: rule, message and path."""
    known = {a.code: a for a in _chart()}
    got = check_postings([debit("5101", "10")], known)
    assert [(v.rule, v.message, v.path) for v in got] == [
        ("too_few_lines", "a transaction needs at least two lines (a debit and a credit), "
         "got 1", "postings"),
        ("unbalanced", "debits 10.00 and credits 0.00 differ by 10.00; every transaction "
         "must balance (借贷必相等)", "postings")]
    assert [(v.rule, v.message) for v in check_postings([], known)] == [
        ("too_few_lines", "a transaction needs at least two lines (a debit and a credit), "
         "got 0")]
    got = check_postings([debit("9999", "10"), credit("1001", "10")], known)
    assert [(v.rule, v.message) for v in got] == [(
        "unknown_account", "account '9999' is not in the community's chart of accounts; use "
        "one of ['1001', '3001', '4101', '5101'] or add it with the cgov_funds_accounts hook")]
    got = check_postings([debit("5101", "10"), credit("1001", "10"), Posting("1001", "0")],
                         known)
    assert [(v.rule, v.message, v.path) for v in got] == [
        ("zero_line", "line 2 on 1001 is zero; leave it out", "postings[2]")]


def test_check_postings_goes_on_after_a_line_that_is_not_a_posting() -> None:
    """A stray object does not stop the check: the zero line and the unknown account after it
    are reported too."""
    known = {a.code: a for a in _chart()}
    lines = [{"account": "5101"}, debit("5101", "10"), credit("1001", "10"),
             Posting("1001", "0"), debit("9999", "1"), credit("1001", "1")]
    got = check_postings(lines, known)  # type: ignore[arg-type]
    assert [(v.rule, v.message, v.path) for v in got] == [
        ("not_a_posting", "line 0 is a dict; build lines with debit() and credit()",
         "postings[0]"),
        ("zero_line", "line 3 on 1001 is zero; leave it out", "postings[3]"),
        ("unknown_account", "account '9999' is not in the community's chart of accounts; use "
         "one of ['1001', '3001', '4101', '5101'] or add it with the cgov_funds_accounts hook",
         "postings[4].account")]


def test_check_postings_catches_a_line_whose_amount_is_not_a_decimal() -> None:
    """A posting whose amount was swapped for a float after construction (attrs frozen
    classes can be bypassed) is named, and left out of the balance."""
    bad = debit("5101", "10")
    object.__setattr__(bad, "amount", 10.0)
    got = check_postings([bad, debit("5101", "10"), credit("1001", "10")])
    assert [(v.rule, v.message, v.path) for v in got] == [
        ("not_decimal", "line 0 amount is not a Decimal", "postings[0]")]


def test_check_no_personal_numbers_exact_message() -> None:
    got = check_no_personal_numbers("李先生 13800000007", "counterparty")
    assert len(got) == 1 and got[0].path == "counterparty"
    assert got[0].message.startswith("counterparty is published, and the text holds a mobile "
                                      "number (")
    assert got[0].message.endswith(
        "; the books are disclosed in public: refer to residents by case number instead")
    assert "13800000007" not in got[0].message
