"""No secret is committed: detect-secrets (a maintained scanner, pinned in requirements-dev.txt) reads every file
git would commit, with its default plugins. Known non-secrets are allowed one by one, each with its reason."""

from __future__ import annotations

import subprocess
from pathlib import Path

from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings

from devopsbot.local.stack import AZURITE_ACCOUNT_KEY
from devopsbot.settings import KNOWN_SETTINGS, ROOT

# Azurite's well-known development account key: published by Microsoft for the emulator, the same on every
# machine, and accepted by nothing but the emulator.
AZURITE_KEY = AZURITE_ACCOUNT_KEY
# The settings' explanations ("The client secret (secret mode)...") name secrets; they are not secrets.
SETTING_EXPLANATIONS = frozenset(KNOWN_SETTINGS.values())


def committed_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    return [name for name in listed if (ROOT / name).is_file()]


def findings(root: Path, files: list[str]) -> list[tuple[str, int, str, str]]:
    collection = SecretsCollection(root=str(root))
    with default_settings():
        collection.scan_files(*files)
    return [(name, secret.line_number, secret.type, secret.secret_value or "")
            for name, secrets in collection.data.items() for secret in secrets]


def allowed(name: str, kind: str, value: str) -> bool:
    if AZURITE_KEY in value or (len(value) >= 20 and value in AZURITE_KEY):  # whole, or a line of it
        return True
    if kind == "Secret Keyword" and value in SETTING_EXPLANATIONS:
        return True
    # Test fixtures carry fake passwords ("s3cret", "hunter2"), as ruff's S105/S106 allow there too; keys,
    # tokens and high-entropy strings in tests are still reported.
    return kind == "Secret Keyword" and name.startswith("tests/")


def test_the_repository_holds_no_secret_but_the_known_public_ones() -> None:
    reported = [(name, line, kind) for name, line, kind, value in findings(ROOT, committed_files())
                if not allowed(name, kind, value)]
    assert reported == []


def test_the_scanner_reports_a_planted_key(tmp_path: Path) -> None:
    planted = tmp_path / "config.py"
    fake_key = "AKIA" + "ZQ3DUMMYEXAMPLEKEY7"  # the shape of an AWS access key id, split so it is not itself one
    planted.write_text(f'aws_access_key_id = "{fake_key}"\nstorage = "DefaultEndpointsProtocol=https;'
                       f'AccountName=prod;AccountKey={"Zm9vYmFy" * 11}==;"\n')
    kinds = {kind for _, _, kind, _ in findings(tmp_path, ["config.py"])}
    assert {"AWS Access Key", "Azure Storage Account access key"} <= kinds
