"""What is secret (runtime.secrets): keys naming secrets, ${ENV} values, marked keys, derived forms."""

import base64
import io
import json
from urllib.parse import quote, quote_plus, urlencode

import pytest

from runtime.logger import LogSink, create_loggers
from runtime.secrets import Masker, is_secret_key, masked_configuration

NESTED = {
    "baseUrl": "https://crm.example.org",
    "domain": "demo",
    "appId": "app-42",
    "username": "ann@example.org",
    "password": 'p@ss w/rd"+1',
    "oauth": {"client_id": "client-7", "client_secret": "cs-0b1c2d", "tokenUrl": "https://auth.example/t"},
    "gateways": [{"name": "sms", "apiKey": "gw-key-778"}, {"name": "mail", "access_token": "at-55aa"}],
    "tls": {"ca": "CA-TEXT", "key": "PEM-PRIVATE"},
    "pin_code": "4321-9",
    "secret_keys": ["pin_code"],
}
SECRETS = ['p@ss w/rd"+1', "cs-0b1c2d", "gw-key-778", "at-55aa", "PEM-PRIVATE", "4321-9"]
READABLE = ["https://crm.example.org", "demo", "app-42", "ann@example.org", "client-7",
            "https://auth.example/t", "CA-TEXT"]


@pytest.mark.parametrize("key", ["password", "PASSWORD", "token", "access_token", "api_key", "apiKey",
                                 "x-api-key", "secret", "client_secret", "private_key", "privateKey",
                                 "refresh-token", "Authorization", "pin", "passphrase"])
def test_keys_naming_a_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["baseUrl", "hostUrl", "domain", "appId", "username", "tokenUrl",
                                 "client_id", "timeout", "secret_keys", 3])
def test_keys_not_naming_a_secret(key):
    assert not is_secret_key(key)


def _forms(secret: str) -> list[str]:
    return [secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret),
            urlencode({"k": secret})[2:], base64.b64encode(secret.encode()).decode()]


def test_nested_configuration_secrets_masked_in_every_form_and_the_rest_readable():
    masker = Masker()
    assert masker.add_configuration(NESTED) == []
    for secret in SECRETS:
        for form in _forms(secret):
            assert masker.mask(f"<{form}>") == "<****>", (secret, form)
    for value in READABLE:
        assert masker.mask(f"at {value}/x") == f"at {value}/x"
    assert masker.mask("xmlns http://openrosa.org/pyfn-demo/patient-visit") == \
        "xmlns http://openrosa.org/pyfn-demo/patient-visit"


def test_basic_auth_header_of_user_and_password_is_masked():
    masker = Masker()
    masker.add_configuration({"username": "ann", "password": "hunter22"})
    header = "Basic " + base64.b64encode(b"ann:hunter22").decode()
    assert masker.mask(f"Authorization: {header}") == "Authorization: Basic ****"


def test_env_values_are_secret_whatever_their_key():
    masker = Masker()
    masker.add_configuration({"hostUrl": "https://hq.example", "project": "from-env-77"}, ["from-env-77"])
    assert masker.mask("https://hq.example/a/from-env-77/") == "https://hq.example/a/****/"


def test_a_secret_shorter_than_4_characters_is_reported_not_masked():
    masker = Masker()
    short = masker.add_configuration({"nested": {"password": "abc"}, "pin": 12, "token": "long-enough"})
    assert sorted(short) == ["password", "pin"]
    assert masker.mask("abc 12 long-enough") == "abc 12 ****"


def test_scrub_masks_strings_and_keys_of_a_state_and_keeps_its_shape():
    masker = Masker()
    masker.add_configuration(NESTED)
    state = {"data": {"echo": ["gw-key-778", 7, None, True], "cs-0b1c2d": {"ok": "url?t=at-55aa"}},
             "errors": {"a": {"message": 'token rejected: "p@ss w/rd\\"+1"'}}}
    assert masker.scrub(state) == {"data": {"echo": ["****", 7, None, True], "****": {"ok": "url?t=****"}},
                                   "errors": {"a": {"message": 'token rejected: "****"'}}}


def test_logged_configuration_shows_secret_keys_masked_and_the_rest():
    out = io.StringIO()
    masker = Masker()
    masker.add_configuration(NESTED)
    log = create_loggers("debug", LogSink(out, masker=masker)).job
    log.info({"configuration": NESTED})
    text = out.getvalue()
    assert not any(secret in text for secret in SECRETS)
    assert all(value in text for value in READABLE)
    shown = masked_configuration(NESTED)
    assert shown["oauth"] == {"client_id": "client-7", "client_secret": "****",
                              "tokenUrl": "https://auth.example/t"}
    assert shown["pin_code"] == "****" and shown["gateways"][0]["apiKey"] == "****"


def test_forms_of_a_non_ascii_secret_with_slashes_and_spaces():
    secret = "pässwört / 2"
    masker = Masker()
    masker.add_configuration({"password": secret})
    for form in (json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1],
                 quote_plus(secret, safe="/"), quote_plus(secret), quote(secret)):
        assert masker.mask(f"<{form}>") == "<****>", form


def test_what_is_masked_starts_at_4_characters_and_never_a_flag_or_a_null():
    masker = Masker()
    assert masker.add_configuration({"token": True, "password": None, "pin": "abcd"}) == []
    assert masker.mask("True None abcd") == "True None ****"
    assert Masker().add_configuration({}, ["ab"]) == ["${ENV}"]


def test_logged_objects_are_2_space_json_with_short_secret_keys_still_hidden():
    out = io.StringIO()
    log = create_loggers("debug", LogSink(out, masker=Masker())).job
    log.info({"configuration": {"pin": "12", "domain": "demo"},
              "when": __import__("datetime").datetime(2026, 1, 2, 3, 4, 5)})
    assert out.getvalue() == ('[JOB] ℹ {\n  "configuration": {\n    "pin": "****",\n    "domain": "demo"\n  },\n'
                              '  "when": "2026-01-02 03:04:05"\n}\n')


def test_every_learnt_secret_counts_and_the_order_of_forms_leaks_no_tail():
    masker = Masker()
    assert masker.add_secrets([None, True, "ab", "abcd", "abcd1234", 'pä"ss-wörd']) == ["ab"]
    assert masker.mask("True None ab") == "True None ab"
    assert masker.mask("abcd1234 abcd") == "**** ****"  # the longer secret first: no "1234" left over
    assert masker.mask(json.dumps('pä"ss-wörd', ensure_ascii=False)) == '"****"'
    basic = Masker()
    basic.add_configuration({"username": "ann", "password": "abcd"})
    assert basic.mask(base64.b64encode(b"ann:abcd").decode()) == "****"


def test_logged_objects_keep_non_ascii_text_readable():
    out = io.StringIO()
    create_loggers("debug", LogSink(out, masker=Masker())).job.info({"name": "Zoë Ōtsuka"})
    assert '"name": "Zoë Ōtsuka"' in out.getvalue()


def test_a_logged_value_json_cannot_hold_is_shown_as_python_shows_it():
    out = io.StringIO()
    looped: dict = {"token-ish": "x"}
    looped["self"] = looped
    create_loggers("debug", LogSink(out, masker=Masker())).job.info(looped)
    assert out.getvalue() == "[JOB] ℹ {'token-ish': 'x', 'self': {...}}\n"


@pytest.mark.parametrize("secret", ['pa"ss\\wörd', "tab\there\nline", "plain-token-123"])
def test_scrub_finds_every_form_of_a_secret_with_quotes_backslashes_or_controls(secret):
    masker = Masker()
    masker.add_secrets([secret])
    escaped = json.dumps(secret)[1:-1]
    for value, masked in [(f"x{secret}y", "x****y"), ({f"k{secret}": 1}, {"k****": 1}), (escaped, "****"),
                          (base64.b64encode(secret.encode()).decode(), "****"), ((quote(secret, safe=""),), ["****"])]:
        assert masker.scrub({"v": value, "n": 5}) == {"v": masked, "n": 5}


def test_scrub_hands_back_a_state_holding_no_secret_as_it_is():
    masker = Masker()
    masker.add_secrets(["s3cret-value"])
    state = {"data": [{"name": "Ann", "when": "2024-01-01"}], "n": 1.5, "ok": None}
    assert masker.scrub(state) is state
    with_secret = {"data": [{"name": "Ann s3cret-value"}]}
    assert masker.scrub(with_secret) == {"data": [{"name": "Ann ****"}]} and with_secret["data"][0]["name"].endswith("value")
