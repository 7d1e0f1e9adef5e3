"""TLS: CA bundles (path or PEM text), verify off, client certificates, against a local HTTPS API.

Certificates are made for the test with the ``openssl`` CLI: a CA, a server certificate for
127.0.0.1 and a client certificate, all signed by that CA.
"""

from __future__ import annotations

import glob
import os
import shutil
import ssl
import subprocess
import tempfile

import pytest

from adaptors.http import execute, get
from adaptors.http.errors import ConnectError
from runtime.testing.destination import DestinationAPI

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

_EXT = """basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage={usage}
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid,issuer
{san}
"""


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _leaf(directory, name, usage, san=""):
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN=pyfn {name}", cwd=directory)
    with open(os.path.join(directory, f"{name}.ext"), "w") as handle:
        handle.write(_EXT.format(usage=usage, san=san))
    _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "2", "-out", f"{name}.pem", "-extfile", f"{name}.ext",
             cwd=directory)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("certs"))
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=pyfn test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _leaf(directory, "server", "serverAuth", "subjectAltName=IP:127.0.0.1")
    _leaf(directory, "client", "clientAuth")
    return {name: os.path.join(directory, name) for name in
            ("ca.pem", "server.pem", "server.key", "client.pem", "client.key")}


def _server_context(certs, require_client_cert=False):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs["server.pem"], certs["server.key"])
    if require_client_cert:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(certs["ca.pem"])
    return context


@pytest.fixture(scope="module")
def https_api(certs):
    with DestinationAPI(ssl_context=_server_context(certs)) as api:
        yield api


@pytest.fixture(scope="module")
def mtls_api(certs):
    with DestinationAPI(ssl_context=_server_context(certs, require_client_cert=True)) as api:
        yield api


def fetch(api, options=None, **configuration):
    state = execute(get("/echo", options))({"configuration": {"baseUrl": api.url, **configuration}})
    return state["response"]["statusCode"]


def read(path):
    with open(path) as handle:
        return handle.read()


def test_https_url(https_api):
    assert https_api.url.startswith("https://127.0.0.1:")


def test_unknown_ca_is_refused(https_api):
    with pytest.raises(ConnectError) as caught:
        fetch(https_api)
    assert caught.value.code == "TLS_ERROR"
    assert "certificate verify failed" in str(caught.value) and caught.value.fix


@pytest.mark.parametrize("tls", [
    lambda certs: {"ca": certs["ca.pem"]},
    lambda certs: {"ca": read(certs["ca.pem"])},
    lambda certs: {"ca": [read(certs["ca.pem"])]},
    lambda certs: {"verify": False},
    lambda certs: {"rejectUnauthorized": False},
])
def test_ca_bundle_or_verify_off(https_api, certs, tls):
    assert fetch(https_api, {"tls": tls(certs)}) == 200


def test_configuration_tls_is_the_default(https_api, certs):
    assert fetch(https_api, tls={"ca": certs["ca.pem"]}) == 200


def test_agent_options_is_deprecated_but_works(https_api, certs, http_log):
    assert fetch(https_api, {"agentOptions": {"ca": certs["ca.pem"]}}) == 200
    assert any("agentOptions" in r.getMessage() for r in http_log.records)


def test_client_certificate_is_required_by_the_server(mtls_api, certs):
    with pytest.raises(ConnectError):
        fetch(mtls_api, {"tls": {"ca": certs["ca.pem"]}})


@pytest.mark.parametrize("as_text", [False, True])
def test_client_certificate_and_key(mtls_api, certs, as_text):
    value = read if as_text else (lambda path: path)
    tls = {"ca": value(certs["ca.pem"]), "cert": value(certs["client.pem"]),
           "key": value(certs["client.key"])}
    assert fetch(mtls_api, {"tls": tls}) == 200


def test_pem_temp_files_are_removed_after_the_step(https_api, certs, tmp_path, monkeypatch):
    # the step's temporary folder goes under tmp_path: other processes' TLS steps use the shared /tmp meanwhile
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    fetch(https_api, {"tls": {"ca": read(certs["ca.pem"])}})
    assert glob.glob(str(tmp_path / "pyfn-http-tls-*")) == []
