"""Content rules: what looks like a secret, and what does not."""

from __future__ import annotations

import pytest

from daemon.governance.content import BUILTIN_RULES, compile_rules, scan

RULES = compile_rules(list(BUILTIN_RULES), {})

SECRETS = {
    "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    "aws_access_key": "key id AKIAIOSFODNN7EXAMPLE",
    "aws_secret_key": "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "github_token": "token ghp_" + "a1B2" * 9,
    "slack_token": "xoxb-123456789012-abcdefghij",
    "stripe_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "password_assignment": "db password: hunter2hunter2",
    "card_number": "card 4111 1111 1111 1111 exp 12/29",
}


@pytest.mark.parametrize("rule,text", sorted(SECRETS.items()))
def test_each_secret_is_flagged(rule, text):
    assert f"secret:{rule}" in scan({"summary": text}, RULES)


def test_nested_values_are_scanned_and_the_text_is_never_in_the_flag():
    flags = scan({"tags": ["ok", {"deep": "AKIAIOSFODNN7EXAMPLE"}]}, RULES)
    assert flags == ["secret:aws_access_key"]


@pytest.mark.parametrize("text", [
    "An ordinary memo about quarterly planning.",
    "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "order 4111 1111 1111 1112",  # fails the Luhn check
    "phone 0044 2079 4600 00 and id 1234567890123",
    "the word password appears here",
])
def test_ordinary_text_is_not_flagged(text):
    assert scan({"summary": text, "n": 5}, RULES) == []


def test_bad_rules_are_named():
    with pytest.raises(ValueError, match="nope"):
        compile_rules(["nope"], {})
    with pytest.raises(ValueError, match="mine"):
        compile_rules([], {"mine": "("})
