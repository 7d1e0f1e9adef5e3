"""Configuration and auth: ApiKey and Basic, clear errors for what is missing, 401/403 hints, nothing logged."""

from __future__ import annotations

import base64
import json
import logging

import pytest

from adaptors.commcare import CommCareHTTPError, get, http, list_cases, submit_form
from adaptors.commcare.client import settings
from adaptors.commcare.errors import ConfigurationError


def test_api_key_header_is_apikey_user_colon_key(config):
    assert settings({"configuration": config}).authorization == "ApiKey demo@example.com:demo-api-key"


def test_password_gives_basic_auth_and_works(run, hq, make_config):
    cfg = make_config(hq, apiKey=None, password="demo")
    assert settings({"configuration": cfg}).authorization == "Basic " + base64.b64encode(b"demo@example.com:demo").decode()
    assert run(cfg, get("case", {"limit": 1, "offset": 0}))["data"]


def test_api_key_wins_over_password(make_config, hq):
    cfg = make_config(hq, password="demo")
    assert settings({"configuration": cfg}).authorization.startswith("ApiKey ")


@pytest.mark.parametrize("missing, words", [
    ("hostUrl", "CommCare configuration is missing hostUrl"),
    ("domain", "CommCare configuration is missing domain"),
])
def test_missing_host_or_domain_is_named(run, config, missing, words):
    with pytest.raises(ConfigurationError, match=words) as caught:
        run({k: v for k, v in config.items() if k != missing}, get("case"))
    assert caught.value.details["missing"] == [missing]


def test_missing_credentials_is_openfns_message(run, config):
    cfg = {k: v for k, v in config.items() if k != "apiKey"}
    with pytest.raises(ConfigurationError, match="Include an apiKey or password in state.configuration"):
        run(cfg, get("case"))


def test_missing_app_id_is_named_by_submissions(run, config):
    cfg = {k: v for k, v in config.items() if k != "appId"}
    with pytest.raises(ConfigurationError, match="missing appId"):
        run(cfg, submit_form("http://x/f", {"q": 1}, meta={"userID": "u1"}))


def test_401_fails_at_once_with_a_hint_on_the_key_format(run, hq, make_config, cc_log, waits):
    with pytest.raises(CommCareHTTPError) as caught:
        run(make_config(hq, apiKey="wrong", retries=waits.policy()), get("case"))
    error = caught.value
    assert error.status_code == 401 and "returned 401: Unauthorized" in error.message
    assert "ApiKey <username>:<api key>" in error.fix and error.details["fix"] == error.fix
    assert waits == [] and len([r for r in cc_log.records if r.getMessage().startswith("GET ")]) == 1


def test_403_names_the_domain_and_carries_hqs_message(run, hq, make_config, waits):
    with pytest.raises(CommCareHTTPError) as caught:
        run(make_config(hq, domain="other", retries=waits.policy()), list_cases({"limit": 1}))
    error = caught.value
    assert error.status_code == 403 and "You do not have access to the project 'other'" in error.message
    assert "project 'other'" in error.fix and waits == []


def test_configuration_and_auth_are_never_logged(run, fresh_hq, make_config, caplog):
    caplog.set_level(logging.DEBUG, logger="pyfn.adaptor.commcare")
    secret = "demo-api-key"
    cfg = make_config(fresh_hq)
    run(cfg, get("case", {"limit": 5}), http.get("case/v2", {"limit": 2}),
        submit_form("http://x/f", {"q": "a"}, case={"case_type": "t", "case_name": "n"}))
    with pytest.raises(CommCareHTTPError) as caught:
        run(make_config(fresh_hq, apiKey="wrong-key"), get("case"))
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert text and secret not in text and "wrong-key" not in text and "ApiKey" not in text
    assert "wrong-key" not in json.dumps(caught.value.details, default=str)
