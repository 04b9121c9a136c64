"""provider.resources.grants: the grant lists and the plan-time check."""

from __future__ import annotations

from provider.resources.grants import (
    ALL_GRANTS,
    PRIMARY_CONFIRMED_GRANTS,
    PRIMARY_GRANTS,
    SUBACCOUNT_GRANTS,
    check_grants,
)
from provider.tfplugin.values import UNKNOWN


def test_lists_follow_the_reference() -> None:
    # exactly subaccounts.apib's key_grants list
    assert SUBACCOUNT_GRANTS == (
        "smtp/inject", "sending_domains/manage", "tracking_domains/view", "tracking_domains/manage",
        "message_events/view", "suppression_lists/manage", "transmissions/view", "transmissions/modify",
        "webhooks/view", "webhooks/modify")
    assert "webhooks/modify" in SUBACCOUNT_GRANTS and "webhooks/manage" not in ALL_GRANTS
    assert set(PRIMARY_CONFIRMED_GRANTS) <= set(PRIMARY_GRANTS)
    # singular "subaccount", and the grant the provider itself needs for api-keys
    assert {"subaccount/manage", "api_keys/manage"} <= set(PRIMARY_GRANTS)
    assert "subaccounts/manage" not in ALL_GRANTS
    assert len(set(PRIMARY_GRANTS)) == len(PRIMARY_GRANTS)


def test_subaccount_key() -> None:
    assert check_grants(["smtp/inject", "webhooks/view"], subaccount=True) == ([], [])
    # The subaccount guide lists templates for subaccount keys, the API reference does not.
    for grant in ("templates/view", "templates/modify", "templates/preview"):
        [error], [] = check_grants(["smtp/inject", grant], subaccount=True)
        assert "API reference" in error and "subaccount guide" in error and "smtp/inject" in error
    assert check_grants(["templates/view"], subaccount=False) == ([], [])
    errors, warnings = check_grants(["smtp/inject", "metrics/view", "metrics/view"], subaccount=True)
    assert len(errors) == 1 and warnings == []
    assert errors[0].startswith('"metrics/view" is a grant for primary-account keys only')
    assert "smtp/inject" in errors[0]  # says what is allowed


def test_unknown_grants_warn_with_a_suggestion() -> None:
    errors, [warning] = check_grants(["webhooks/manage"], subaccount=True)
    assert errors == [] and '"webhooks/manage" is not a grant this provider knows' in warning
    assert 'Did you mean "webhooks/modify"?' in warning
    _, [warning] = check_grants(["subaccounts/manage"], subaccount=False)
    assert 'Did you mean "subaccount/manage"?' in warning
    _, [warning] = check_grants(["something/new"], subaccount=False)
    assert "Did you mean" not in warning


def test_primary_and_unknown_owner() -> None:
    assert check_grants(list(PRIMARY_GRANTS), subaccount=False) == ([], [])
    assert check_grants(["metrics/view", "smtp/inject"], subaccount=None) == ([], [])
    assert len(check_grants(["nope/x"], subaccount=None)[1]) == 1
    assert check_grants([UNKNOWN, None], subaccount=True) == ([], [])  # unknown during plan


def test_a_grant_of_no_possible_shape_is_refused() -> None:
    from provider.resources.grants import grant_shape

    for grant in ALL_GRANTS:
        assert grant_shape(grant) is None
    assert grant_shape("new_resource/new-action") is None  # a grant SparkPost may add: a warning at plan
    for lookalike in ("smtp/inject ", " smtp/inject", "SMTP/inject", "smtp/inj\u0435ct", "\uff53mtp/inject",
                      "smtp/\u200binject", "smtp\\inject", "smtp", "", "/", "smtp/inject/x"):
        problem = grant_shape(lookalike)
        assert problem is not None and problem.startswith(ascii(lookalike)), lookalike
    assert 'Did you mean "smtp/inject"?' in (grant_shape("smtp/inj\u0435ct") or "")
