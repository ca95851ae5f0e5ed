"""API token rules: the secret's shape, its digest, scopes, and when a token is usable (issue #13
item 11: exact messages and boundaries)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from community_governance.domain.access import Actor
from community_governance.domain.tokens import SCOPES, ApiToken, check_scopes, hash_token
from community_governance.errors import ValidationError
from tests.domain._exact import refused

BAD_TOKEN = ("a token looks like cgov_ followed by 20-100 letters, digits, - or _; check the "
             "Authorization header (Bearer cgov_...) @ token")


@pytest.mark.parametrize("secret", ["cgov_" + "a" * 20, "cgov_" + "Z9_-" * 25,
                                    "cgov_" + "x" * 100])
def test_hash_token_accepts_and_digests(secret: str) -> None:
    assert hash_token(secret) == hashlib.sha256(secret.encode("ascii")).hexdigest()
    assert len(hash_token(secret)) == 64


@pytest.mark.parametrize("secret", ["cgov_" + "a" * 19, "cgov_" + "a" * 101, "CGOV_" + "a" * 20,
                                    "xcgov_" + "a" * 20, "cgov_" + "a" * 20 + "\n",
                                    "cgov_" + "a" * 19 + "!", "", "cgov" + "a" * 21])
def test_hash_token_refuses(secret: str) -> None:
    refused(ValidationError, BAD_TOKEN, hash_token, secret)


def test_check_scopes() -> None:
    assert check_scopes(["points", "cases", "points"]) == ("cases", "points")
    assert check_scopes("points, cases open311") == ("cases", "open311", "points")
    assert check_scopes(("open311",)) == ("open311",)
    assert check_scopes({"volunteers"}) == ("volunteers",)
    assert check_scopes(frozenset({"appointments"})) == ("appointments",)
    assert check_scopes(list(SCOPES)) == tuple(sorted(SCOPES))
    refused(ValidationError, "scopes are a list of names @ scopes", check_scopes, 5)
    refused(ValidationError, "scopes are a list of names @ scopes", check_scopes, None)
    everything = ", ".join(SCOPES)
    assert everything == "open311, cases, residents, volunteers, points, appointments"
    refused(ValidationError, f"a token needs at least one scope, of: {everything} @ scopes",
            check_scopes, [])
    refused(ValidationError, f"a token needs at least one scope, of: {everything} @ scopes",
            check_scopes, " , ")
    refused(ValidationError, f"unknown scope(s) admin, root; the scopes are: {everything} "
            "@ scopes", check_scopes, ["root", "points", "admin"])


def test_usable_at_the_boundaries() -> None:
    t0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)
    token = ApiToken(7, Actor.staff("S1"), ("cases",), "app", t0)
    assert token.usable(t0 + dt.timedelta(days=9999)) is None
    expiring = ApiToken(7, Actor.staff("S1"), ("cases",), "app", t0,
                        expires_at=t0 + dt.timedelta(days=30))
    assert expiring.usable(t0 + dt.timedelta(days=30, microseconds=-1)) is None
    assert expiring.usable(t0 + dt.timedelta(days=30)) == "token 7 expired on 2027-01-02"
    revoked = ApiToken(7, Actor.staff("S1"), ("cases",), "app", t0,
                       expires_at=t0 + dt.timedelta(days=30),
                       revoked_at=t0 + dt.timedelta(days=1))
    # revocation is reported first, even before the expiry
    assert revoked.usable(t0) == "token 7 was revoked on 2026-12-04"
    assert revoked.usable(t0 + dt.timedelta(days=31)) == "token 7 was revoked on 2026-12-04"
