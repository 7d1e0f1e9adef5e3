"""``pyfn init``: a new project whose tests pass and whose requirements install the pyfn that made it."""

import json

import pytest

from runtime.cli import origin


@pytest.mark.slow
def test_init_then_pytest_passes_in_a_fresh_venv(installed_pyfn, tmp_path):
    project = tmp_path / "my-integrations"
    created = installed_pyfn.run("pyfn", "init", str(project), cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    for name in ("jobs/register_patient.py", "workflows/registrations.yaml", "state/registration.json",
                 "tests/test_registrations.py", "credentials.example.yaml", ".gitignore",
                 ".github/workflows/test.yml", "requirements.txt"):
        assert (project / name).is_file(), name
    tests = installed_pyfn.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert "2 passed" in tests.stdout, tests.stdout + tests.stderr
    valid = installed_pyfn.run("pyfn", "validate", "workflows/registrations.yaml", cwd=project)
    assert valid.returncode == 0 and valid.stdout.startswith("valid:")


@pytest.mark.slow
def test_the_projects_requirements_install_this_pyfn_not_the_index_namesake(installed_pyfn, tmp_path):
    project = tmp_path / "project"
    created = installed_pyfn.run("pyfn", "init", str(project), cwd=tmp_path)
    requirement = f"pyfn-runtime @ {installed_pyfn.wheel.as_uri()}"
    assert requirement in (project / "requirements.txt").read_text().splitlines()
    assert "replace that line with a source CI can reach" in created.stdout, "a wheel on this machine is said"
    report = tmp_path / "report.json"  # what pip would install for the project, resolved but not installed
    resolved = installed_pyfn.run("pip", "install", "-q", "--dry-run", "--ignore-installed", "--no-deps",
                                  "--report", str(report), "-r", "requirements.txt", cwd=project)
    assert resolved.returncode == 0, resolved.stderr
    found = {item["metadata"]["name"]: item["download_info"]["url"] for item in json.loads(report.read_text())["install"]}
    assert found["pyfn-runtime"] == installed_pyfn.wheel.as_uri() and "pyfn" not in found


def test_the_requirement_names_where_pyfn_came_from(monkeypatch):
    class Installed:
        version = "0.1.0"

        def __init__(self, direct_url):
            self.direct_url = direct_url

        def read_text(self, name):
            return self.direct_url if name == "direct_url.json" else None

    def installed(direct_url):
        monkeypatch.setattr(origin.metadata, "distribution", lambda name: Installed(direct_url))
        return origin.pyfn_requirement()

    assert installed(None) == "pyfn-runtime==0.1.0", "from a package index: pinned"
    git = '{"url": "https://example.org/pyfn.git", "vcs_info": {"vcs": "git", "commit_id": "4f2a9c1"}}'
    assert installed(git) == "pyfn-runtime @ git+https://example.org/pyfn.git@4f2a9c1"
    monkeypatch.setattr(origin, "_git_origin", lambda folder: ("https://example.org/team/pyfn", "77aa") if
                        str(folder) == "/src/pyfn" else None)
    assert installed('{"url": "file:///src/pyfn", "dir_info": {"editable": true}}') == \
        "pyfn-runtime @ git+https://example.org/team/pyfn@77aa", "a checkout: its remote at its commit"
    assert installed('{"url": "file:///elsewhere", "dir_info": {}}') == "pyfn-runtime @ file:///elsewhere"


def test_a_checkout_s_origin_remote_is_read_with_git(tmp_path):
    import subprocess

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    assert origin._git_origin(tmp_path) is None, "no commit, no remote"
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "--allow-empty", "-m", "first")
    git("remote", "add", "origin", str(tmp_path))
    assert origin._git_origin(tmp_path) is None, "a remote on this machine is not reachable from CI"
    git("remote", "set-url", "origin", "git@example.org:team/pyfn.git")
    url, commit = origin._git_origin(tmp_path)
    assert url == "git@example.org:team/pyfn.git" and len(commit) == 40


def test_init_refuses_to_overwrite(pyfn, tmp_path):
    (tmp_path / "README.md").write_text("mine")
    result = pyfn("init", tmp_path)
    assert result.code == 2 and "already has README.md" in result.stdout
    assert (tmp_path / "README.md").read_text() == "mine"
    assert pyfn("init", tmp_path, "--force").code == 0
