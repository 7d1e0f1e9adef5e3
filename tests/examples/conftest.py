"""The shipped examples' world: the HQ simulator, a stand-in CRM and SMS gateway, their credentials."""

import pytest

from runtime.cli.demo import example_environment
from runtime.testing.standins import CRM, SMSGateway


@pytest.fixture
def crm():
    """A Salesforce-like CRM on loopback (upsert by external id, alerts)."""
    with CRM() as api:
        yield api


@pytest.fixture
def sms():
    """An SMS gateway on loopback."""
    with SMSGateway() as api:
        yield api


@pytest.fixture
def world(commcare_hq, crm, sms, monkeypatch, collections):
    """HQ, CRM and SMS gateway, with the variables workflows/credentials.yaml reads set for them, and the
    empty ``crm-ids`` collection the registrations keep case ids in."""
    collections.create("crm-ids")
    for name, value in example_environment(commcare_hq.url, crm.url, sms.url).items():
        monkeypatch.setenv(name, value)
    return commcare_hq, crm, sms
