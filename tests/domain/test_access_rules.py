"""The access policy (权限) and posts (职务) at their boundaries, every branch (issue #13 item 11)."""

from __future__ import annotations

import datetime as dt

import pytest

from community_governance.domain.access import (
    Action,
    Actor,
    ActorKind,
    Principal,
    Scope,
    Target,
    can,
    explain_denial,
    post_scope,
    scope_for,
)
from community_governance.domain.posts import (
    HolderKind,
    PartnerUnit,
    PartyOrg,
    Post,
    PostKind,
    StaffMember,
    check_concurrent_posts,
    concurrent_holders,
)
from community_governance.errors import ConflictError, ValidationError
from tests.domain._exact import refused

D = dt.date
GRID = "411202001001-W01"
COMM = "411202001001"
BLD = "411202001001-B0001"
JAN1 = D(2026, 1, 1)


def post(pid: str = "P1", kind: PostKind = PostKind.GRID_LEADER, unit: str = GRID,
         holder: str = "S1", start: dt.date = JAN1, end: dt.date | None = None,
         covers: tuple[str, ...] = ()) -> Post:
    return Post(pid, kind, unit, HolderKind.STAFF, holder, start, end, covers)


READ = Action("resident.read", roles=[PostKind.GRID_LEADER, "secretary"], self_service=True,
              personal=True)
WRITE = Action("unit.write", roles=[PostKind.SECRETARY])
PUBLIC = Action("guide.read", public=True)
NOBODY = Action("system.job")


def test_actors() -> None:
    assert str(Actor.resident("R1")) == "resident:R1"
    assert str(Actor.staff("S1")) == "staff:S1"
    assert str(Actor.system()) == "system:system"
    assert str(Actor.system("escalate")) == "system:escalate"
    assert str(Actor.public()) == "public:public"
    assert str(Actor(ActorKind.SYSTEM, "")) == "system"
    assert Actor("resident", 7).id == "7"
    assert Actor(ActorKind.SYSTEM).id == ""
    for kind in ("resident", "staff"):
        e = refused(ValidationError,
                    f"a {kind} actor needs the key of the person who acts, e.g. "
                    f"Actor.{kind}('R0001') @ actor.id", Actor, kind, " ")
        assert e.path == "actor.id"  # type: ignore[attr-defined]
    assert Actor(ActorKind.PUBLIC, "").kind is ActorKind.PUBLIC


def test_actions() -> None:
    assert READ.roles == frozenset({PostKind.GRID_LEADER, PostKind.SECRETARY})
    assert str(READ) == "resident.read"
    assert NOBODY.roles == frozenset()
    assert (NOBODY.self_service, NOBODY.personal, NOBODY.public) == (False, False, False)
    for bad in ("", "read"):
        refused(ValidationError, f"an action is named 'area.verb', e.g. 'points.earn', got "
                f"{bad!r} @ action.name", Action, bad)
    refused(ValidationError, "action a.b cannot be both public and personal: personal data is "
            "never public @ action.public", Action, "a.b", personal=True, public=True)
    assert Action("a.b", personal=True).personal
    assert Action("a.b", public=True).public


def test_target_and_scope_basics() -> None:
    assert str(Target("resident", "R1", BLD)) == "resident R1"
    assert Scope().empty
    for s in (Scope(everything=True), Scope(prefixes=frozenset({"4"})),
              Scope(grids=frozenset({GRID})), Scope(buildings=frozenset({BLD})),
              Scope(residents=frozenset({"R1"}))):
        assert not s.empty


@pytest.mark.parametrize(("scope", "target", "covered"), [
    (Scope(everything=True), Target("x", "k"), True),
    (Scope(), Target("x", "k", BLD, GRID, "R1"), False),
    (Scope(residents=frozenset({"R1"})), Target("x", "k", owner_id="R1"), True),
    (Scope(residents=frozenset({"R1"})), Target("x", "k", owner_id="R2"), False),
    (Scope(residents=frozenset({"R1"})), Target("x", "k"), False),
    (Scope(prefixes=frozenset({COMM})), Target("x", "k", BLD), True),
    (Scope(prefixes=frozenset({"411202001002"})), Target("x", "k", BLD), False),
    (Scope(prefixes=frozenset({COMM})), Target("x", "k", None, COMM + "-W01"), False),
    (Scope(buildings=frozenset({BLD})), Target("x", "k", BLD), True),
    (Scope(buildings=frozenset({BLD})), Target("x", "k", COMM + "-B0002"), False),
    (Scope(grids=frozenset({GRID})), Target("x", "k", GRID), True),
    (Scope(grids=frozenset({GRID})), Target("x", "k", BLD, GRID), True),
    (Scope(grids=frozenset({GRID})), Target("x", "k", BLD, COMM + "-W02"), False),
    (Scope(grids=frozenset({GRID})), Target("x", "k", BLD), False),
    (Scope(grids=frozenset({GRID})), Target("x", "k"), False),
    (Scope(buildings=frozenset({BLD})), Target("x", "k", None, BLD), False),
])
def test_scope_covers(scope: Scope, target: Target, covered: bool) -> None:
    assert scope.covers(target) is covered


def test_scope_union() -> None:
    a = Scope(prefixes=frozenset({"41"}), residents=frozenset({"R1"}))
    b = Scope(grids=frozenset({GRID}), buildings=frozenset({BLD}), residents=frozenset({"R2"}))
    assert Scope.union([a, b]) == Scope(False, frozenset({"41"}), frozenset({GRID}),
                                        frozenset({BLD}), frozenset({"R1", "R2"}))
    assert Scope.union([a, Scope(everything=True), b]) == Scope(everything=True)
    assert Scope.union([]) == Scope()
    assert Scope.union([]).everything is False


def test_post_scope() -> None:
    assert post_scope(post(kind=PostKind.SECRETARY, unit=COMM)) == Scope(
        prefixes=frozenset({COMM}))
    assert post_scope(post(unit=GRID)) == Scope(grids=frozenset({GRID}))
    assert post_scope(post(kind=PostKind.BUILDING_LEADER, unit=BLD,
                           covers=(COMM + "-B0002", "", COMM + "-Q01"))) == Scope(
        buildings=frozenset({BLD, COMM + "-B0002", COMM + "-Q01"}))


def test_principal_of_keeps_active_posts_of_the_actor() -> None:
    mine = post("P1", end=D(2026, 6, 30))
    later = post("P2", start=D(2026, 7, 1))
    other = post("P3", holder="S2")
    p = Principal.of(Actor.staff("S1"), [mine, later, other], D(2026, 6, 30))
    assert p.posts == (mine,)
    assert p.inactive == (later,)
    assert p.day == D(2026, 6, 30)
    assert p.active_posts() == (mine,)
    # a day after the term: nothing active
    assert Principal(Actor.staff("S1"), (mine,), D(2026, 7, 1)).active_posts() == ()
    # no day given: every post of the actor counts
    assert Principal(Actor.staff("S1"), (mine, other)).active_posts() == (mine,)
    # only staff actors hold rights through posts
    assert Principal(Actor.resident("S1"), (mine,), D(2026, 1, 1)).active_posts() == ()


def test_scope_for_and_can() -> None:
    day = D(2026, 3, 1)
    leader = Principal.of(Actor.staff("S1"), [post()], day)
    in_grid = Target("resident", "R9", BLD, GRID)
    elsewhere = Target("resident", "R8", COMM + "-B0009", COMM + "-W09")
    assert scope_for(leader, READ) == Scope(grids=frozenset({GRID}))
    assert scope_for(leader, WRITE) == Scope()
    assert can(leader, READ, in_grid)
    assert not can(leader, READ, elsewhere)
    assert not can(leader, WRITE, in_grid)
    system = Principal(Actor.system())
    assert scope_for(system, NOBODY) == Scope(everything=True)
    assert can(system, NOBODY, in_grid)
    public = Principal(Actor.public())
    assert scope_for(public, PUBLIC) == Scope(everything=True)
    assert can(public, PUBLIC, in_grid)
    assert not can(public, READ, Target("resident", "R1", owner_id="public"))
    assert scope_for(public, READ) == Scope()
    res = Principal(Actor.resident("R9"), (), day)
    assert scope_for(res, READ) == Scope(residents=frozenset({"R9"}))
    assert scope_for(res, WRITE) == Scope()
    assert can(res, READ, Target("resident", "R9", owner_id="R9"))
    assert not can(res, READ, Target("resident", "R8", owner_id="R8"))
    # a staff actor gets no self-service scope
    staff = Principal.of(Actor.staff("R9"), [], day)
    assert scope_for(staff, READ) == Scope()


def test_explain_denial_every_branch() -> None:
    day = D(2026, 3, 1)
    t = Target("resident", "R8", BLD, GRID)
    needs = f"a post among [grid_leader, secretary] whose unit covers {t}"
    assert explain_denial(Principal(Actor.public()), READ, t) == (
        f"the public reads disclosures and the service guide only; resident.read needs "
        f"{needs}: sign in as a resident or staff")
    assert explain_denial(Principal(Actor.public()), NOBODY, t) == (
        "the public reads disclosures and the service guide only; system.job needs "
        "a system job: sign in as a resident or staff")
    res = Principal(Actor.resident("R9"), (), day)
    assert explain_denial(res, READ, t) == (
        f"a resident acting for themselves may resident.read only their own records, and {t} "
        f"is not theirs; for more, a post holder acts as Actor.staff(...) and needs {needs}")
    assert explain_denial(res, WRITE, t) == (
        "a resident acting for themselves may not unit.write; it needs a post among "
        f"[secretary] whose unit covers {t}; a resident who holds such a post acts as "
        "Actor.staff('R9')")
    ended = post("P1", end=D(2026, 1, 31))
    ended_earlier = post("P0", start=D(2025, 1, 1), end=D(2025, 12, 31), unit=COMM + "-W07")
    future = post("P2", start=D(2026, 9, 1), unit=COMM + "-W05")
    assert explain_denial(Principal.of(Actor.staff("S1"), [ended_earlier, ended, future], day),
                          READ, t) == (
        f"the actor holds no post on {day}: grid_leader@{GRID} ended on 2026-01-31, and a post "
        f"that ended grants nothing; resident.read needs {needs}")
    assert explain_denial(Principal.of(Actor.staff("S1"), [ended, ended_earlier], day),
                          READ, t).startswith(f"the actor holds no post on {day}: grid_leader@{GRID}")
    assert explain_denial(Principal.of(Actor.staff("S1"), [future], day), READ, t) == (
        f"the actor holds no active post on {day}; resident.read needs {needs}")
    assert explain_denial(Principal.of(Actor.staff("S1"), [], day), READ, t) == (
        f"the actor holds no active post on {day}; resident.read needs {needs}")
    # ended on the day itself: still active, so not "no post"
    on_day = post("P1", end=day)
    cadre = post("P5", kind=PostKind.BUILDING_LEADER, unit=BLD)
    assert explain_denial(Principal.of(Actor.staff("S1"), [on_day, cadre], day), WRITE, t) == (
        f"no post the actor holds on {day} (grid_leader@{GRID}, building_leader@{BLD}) may "
        f"unit.write; it needs a post among [secretary] whose unit covers {t}")
    other = post("P1", unit=COMM + "-W02")
    sec = post("P6", kind=PostKind.SECRETARY, unit="411202001002")
    assert explain_denial(Principal.of(Actor.staff("S1"), [other, cadre, sec], day), READ,
                          t) == (
        f"the actor's posts that may resident.read (grid_leader@{COMM}-W02, "
        f"secretary@411202001002) do not cover {t}; it needs {needs}")


def test_explain_denial_no_post_undated_principal() -> None:
    # a principal without a day and only inactive posts: no "ended" sentence
    p = Principal(Actor.staff("S1"), (), None, (post("P1", end=D(2026, 1, 31)),))
    assert explain_denial(p, READ, Target("x", "k")) == (
        "the actor holds no active post on None; resident.read needs a post among "
        "[grid_leader, secretary] whose unit covers x k")


def test_posts() -> None:
    p = post(start=D(2026, 1, 1), end=D(2026, 1, 1))
    assert p.active_on(D(2026, 1, 1))
    assert not p.active_on(D(2025, 12, 31))
    assert not p.active_on(D(2026, 1, 2))
    assert post(end=None).active_on(D(2099, 1, 1))
    refused(ValidationError, "post P1: the term ends (2025-12-31) before it starts (2026-01-01) "
            "@ end", post, end=D(2025, 12, 31))
    assert PostKind.GRID_LEADER.chinese == "网格长"
    assert PostKind.COUNTY_ADMIN.chinese == "县(市)管理员"
    s = StaffMember("S1", "张三", True, "13800000007")
    assert repr(s) == ("StaffMember(id='S1', name='张三', permanent=True, "
                       "phone='138****0007')")
    assert repr(StaffMember("S2", "李四")) == ("StaffMember(id='S2', name='李四', "
                                               "permanent=False, phone=None)")
    with pytest.raises(ValidationError):
        PartyOrg("O1", "grid_branch", GRID, "李先生 13800000007")
    with pytest.raises(ValidationError):
        PartnerUnit("U1", "李先生 13800000007", "assigned_bureau")
    assert PartnerUnit("U1", "义马市财政局", "assigned_bureau").name == "义马市财政局"


@pytest.mark.parametrize(("terms", "peak"), [
    ([], 1),
    ([(D(2026, 1, 1), D(2026, 1, 31))], 1),  # ends the day before
    ([(D(2026, 1, 1), D(2026, 2, 1))], 2),  # shares the first day
    ([(D(2026, 2, 28), None)], 2),  # starts on the last day
    ([(D(2026, 3, 1), None)], 1),  # starts the day after
    ([(D(2026, 1, 1), D(2026, 2, 10)), (D(2026, 2, 11), None)], 2),  # never both at once
    ([(D(2026, 1, 1), D(2026, 2, 10)), (D(2026, 2, 10), None)], 3),  # both on 2-10
    ([(D(2026, 2, 5), D(2026, 2, 6)), (D(2026, 2, 6), D(2026, 2, 7))], 3),
    ([(D(2026, 2, 5), D(2026, 2, 5)), (D(2026, 2, 6), D(2026, 2, 7))], 2),
])
def test_concurrent_holders(terms: list[tuple[dt.date, dt.date | None]], peak: int) -> None:
    new = post("NEW", holder="S9", start=D(2026, 2, 1), end=D(2026, 2, 28))
    existing = [post(f"P{i}", holder=f"S{i}", start=s, end=e) for i, (s, e) in enumerate(terms)]
    noise = [post("X1", kind=PostKind.BUILDING_LEADER, unit=GRID, start=D(2026, 1, 1)),
             post("X2", unit=COMM + "-W02", start=D(2026, 1, 1)),
             post("NEW", holder="S9", start=D(2026, 1, 1))]
    got, overlapping = concurrent_holders(existing + noise, new)
    assert got == peak
    assert overlapping == tuple(sorted(
        (p for p in existing if (p.end is None or p.end >= new.start)
         and (new.end is None or p.start <= new.end)), key=lambda p: (p.start, p.id)))


def test_concurrent_holders_open_ended_new_post() -> None:
    new = post("NEW", holder="S9", start=D(2026, 2, 1))
    later = post("P1", holder="S1", start=D(2030, 1, 1))
    assert concurrent_holders([later], new) == (2, (later,))
    b = post("P0", holder="S0", start=D(2026, 2, 1))
    a = post("P2", holder="S2", start=D(2026, 2, 1))
    assert concurrent_holders([a, b], new)[1] == (b, a)


def test_check_concurrent_posts() -> None:
    new = post("NEW", holder="S9", start=D(2026, 2, 1))
    one = post("P1", holder="S1", start=D(2026, 1, 1))
    check_concurrent_posts([], new, 1, rule="national default")
    check_concurrent_posts([one], new, 2, rule="deputy allowed")
    refused(ConflictError,
            f"{GRID} would have 2 网格长 (grid_leader) posts at once with post NEW (S9 from "
            "2026-02-01); at most 1 (national default). It overlaps P1 (S1, 2026-01-01..open): "
            "end that term first (the day before 2026-02-01), or start the new one after it "
            "ends", check_concurrent_posts, [one], new, 1, rule="national default")
    two = post("P2", holder="S2", start=D(2026, 1, 5), end=D(2026, 3, 1))
    e = refused(ConflictError,
                f"{GRID} would have 3 网格长 (grid_leader) posts at once with post NEW (S9 from "
                "2026-02-01); at most 2 (deputy). It overlaps P1 (S1, 2026-01-01..open), "
                "P2 (S2, 2026-01-05..2026-03-01): end that term first (the day before "
                "2026-02-01), or start the new one after it ends",
                check_concurrent_posts, [two, one], new, 2, rule="deputy")
    assert isinstance(e, ConflictError)


def test_union_merges_every_part_and_the_last_ended_post_is_by_end() -> None:
    a = Scope(grids=frozenset({GRID}), buildings=frozenset({BLD}), prefixes=frozenset({"41"}))
    b = Scope(grids=frozenset({COMM + "-W02"}), buildings=frozenset({COMM + "-B0002"}),
              prefixes=frozenset({"42"}), residents=frozenset({"R1"}))
    c = Scope(residents=frozenset({"R2"}))
    assert Scope.union([a, b, c]) == Scope(
        False, frozenset({"41", "42"}), frozenset({GRID, COMM + "-W02"}),
        frozenset({BLD, COMM + "-B0002"}), frozenset({"R1", "R2"}))
    day = D(2026, 3, 1)
    long_ago = post("P1", start=D(2020, 1, 1), end=D(2026, 2, 20), unit=COMM + "-W03")
    recent = post("P2", start=D(2025, 6, 1), end=D(2026, 1, 31), unit=COMM + "-W04")
    t = Target("resident", "R8")
    assert explain_denial(Principal.of(Actor.staff("S1"), [recent, long_ago], day), READ,
                          t).startswith(
        f"the actor holds no post on {day}: grid_leader@{COMM}-W03 ended on 2026-02-20")


def test_a_post_ending_on_the_day_is_not_called_ended() -> None:
    day = D(2026, 3, 1)
    p = Principal(Actor.staff("S1"), (), day, (post("P1", end=day),))
    assert explain_denial(p, READ, Target("x", "k")) == (
        f"the actor holds no active post on {day}; resident.read needs a post among "
        "[grid_leader, secretary] whose unit covers x k")
