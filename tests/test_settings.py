"""Settings refuse what would make production unsafe, with a message saying what to do instead."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from server.settings import load_settings

WEAK_KEYS = {
    "the classic": "changeme",
    "short but varied": "aB3$xY9!qW",
    "one letter, long": "a" * 64,
    "a word repeated": "changeme" * 6,
    "a varied pattern repeated": "0123456789abcdef" * 3,
    "few distinct characters": "abcabcabcdddeeeeffffabababcdcdcdcdefefef",
}


@pytest.mark.parametrize("label", sorted(WEAK_KEYS))
def test_production_refuses_a_weak_secret_key(label: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXIN_MODE", "production")
    monkeypatch.setenv("LIANXIN_SECRET_KEY", WEAK_KEYS[label])
    with pytest.raises(SystemExit) as refused:
        load_settings()
    message = str(refused.value)
    assert "LIANXIN_SECRET_KEY" in message and "secrets.token_urlsafe(48)" in message, message


def test_production_accepts_a_generated_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = secrets.token_urlsafe(48)
    monkeypatch.setenv("LIANXIN_MODE", "production")
    monkeypatch.setenv("LIANXIN_SECRET_KEY", key)
    assert load_settings().secret_key == key


def test_production_without_a_secret_key_says_how_to_make_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIANXIN_MODE", "production")
    monkeypatch.delenv("LIANXIN_SECRET_KEY", raising=False)
    with pytest.raises(SystemExit, match=r"secrets\.token_urlsafe\(48\)"):
        load_settings()


def test_the_command_line_does_not_start_in_production_with_changeme(database_url: str) -> None:
    env = {
        **os.environ,
        "LIANXIN_MODE": "production",
        "LIANXIN_SECRET_KEY": "changeme",
        "LIANXIN_DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "-m", "lianxin.cli", "policy", "show"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "too weak" in result.stderr and "secrets.token_urlsafe(48)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["LIANXIN_LOGIN_FAILURES_PER_ADDRESS", "LIANXIN_PASSWORD_HASH_CONCURRENCY"])
def test_login_limits_must_be_positive(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(SystemExit, match=name):
        load_settings()
