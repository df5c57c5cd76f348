"""Content rules: what looks like a secret, and what does not."""

from __future__ import annotations

import sqlite3

import pytest

from daemon.governance.content import BUILTIN_RULES, REDACTED, compile_rules, find, redact, scan
from ingest_helpers import record_of, settled, wait_until

RULES = compile_rules(list(BUILTIN_RULES), {})

SECRETS = {
    "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
    "aws_access_key": "key id AKIA4K7ZQ2WMX9T3PLRB",
    "aws_secret_key": "aws_secret_access_key = q8Zr3Kp0VfTn7Lw2Yh5Bx9Dc4Gm1Js6Ea/Ru+HoN",
    "github_token": "token ghp_" + "a1B2" * 9,
    "slack_token": "xoxb-123456789012-abcdefghij",
    "stripe_key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "openai_key": "OPENAI_API_KEY=sk-" + "T3BlbkFJ" + "q7Xz9LmN4pR2sV8wY1bC6dE0fG5hJ3kM",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "password_assignment": "db password: hunter2hunter2",
    "card_number": "card 4111 1111 1111 1111 exp 12/29",
}


@pytest.mark.parametrize("rule,text", sorted(SECRETS.items()))
def test_each_secret_is_flagged(rule, text):
    assert f"secret:{rule}" in scan({"summary": text}, RULES)


def test_nested_values_are_scanned_and_the_text_is_never_in_the_flag():
    flags = scan({"tags": ["ok", {"deep": "AKIA4K7ZQ2WMX9T3PLRB"}]}, RULES)
    assert flags == ["secret:aws_access_key"]


@pytest.mark.parametrize(
    "text",
    [
        "An ordinary memo about quarterly planning.",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "order 4111 1111 1111 1112",  # fails the Luhn check
        "phone 0044 2079 4600 00 and id 1234567890123",
        "the word password appears here",
        # Decimals whose digits pass the Luhn check (seen in real datasets: matplotlib's Stocks.csv)
        "1990-09-01,12.25,0.5499854683876038,7.255113124847412",
        "close 322.55999755859375 and 4111111111111111.5 units",
        # Words ending in "sk" before a hyphen in a long slug (peewee's README links this one)
        "http://charlesleifer.com/blog/structuring-flask-apps-a-how-to-for-those-coming-from-django/",
        "see /docs/sk-learn-pipelines-and-feature-unions-explained-simply for more",
        # The example keys of AWS's own documentation (awscli ships hundreds of them)
        "aws configure: AKIAIOSFODNN7EXAMPLE and aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        # Big integers of code that pass the Luhn check but have no issuer's length (scipy, sympy)
        "rng = np.random.default_rng(25495254834552); c = 5292808890472453840",
        # Code that names a secret: variables, signatures, the markers a PEM parser looks for
        "connect(username=username, password=password)\nself.key_password = key_password",
        "def sign(self, private_key: CertificateIssuerPrivateKeyTypes, algorithm: Hash = None):",
        "def render(multiline: FilterOrBool = True, password: FilterOrBool = False):",
        "def tag(secret: FakeSecret | ReplicaSecret) -> None:\n    self._cert_passphrase = password",
        'class Status(Enum):\n    FORCE_CHANGE_PASSWORD = "FORCE_CHANGE_PASSWORD"\n    PASSWORD = "password"',
        "ACCESS_KEY = 'AWS_ACCESS_KEY_ID'\nSECRET_KEY = 'AWS_SECRET_ACCESS_KEY'",
        ":param password: encrypt the private key with it\nrun(cmd, events={'(?i)password': mypassword})",
        'The file\'s text before the "-----BEGIN RSA PRIVATE KEY-----" and after the "-----END RSA',
        '"PrivateKey": "-----BEGIN RSA PRIVATE KEY-----\\nkey omitted for security reasons\\n-----END',
        # An ARN names a secret; placeholders stand for a password
        "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3",
        'proxy_url="socks5h://<username>:<password>@proxy-host", or https://username:password@host.com/',
    ],
)
def test_ordinary_text_is_not_flagged(text):
    assert scan({"summary": text, "n": 5}, RULES) == []


def test_bad_rules_are_named():
    with pytest.raises(ValueError, match="nope"):
        compile_rules(["nope"], {})
    with pytest.raises(ValueError, match="mine"):
        compile_rules([], {"mine": "("})


MORE_SECRETS = {
    "password_assignment": [
        '{"service": "billing", "password": "hunter2x"}',
        "DB_PASSWORD=s3cr3tvalue",
        'secret_key = "hunter2x_password"',  # quoted: a value, whatever it ends with
        "db:\n  password: Hunter2xAbc\n  host: db",
    ],
    "netrc_password": [
        "machine db.example.com login bob password s3cretpw",
        "machine a.example\n  login bob\n  password s3cretpw",
    ],
    "url_credentials": ["DATABASE_URL=postgres://app:pa55word@db.internal:5432/prod"],
    "openai_key": ['"key": "sk-proj-' + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z_AbCdEfGh" + '"'],
    "card_number": ["amex 3782 822463 10005", "mastercard 2221000000000009"],
}


@pytest.mark.parametrize("rule,text", [(r, t) for r, texts in sorted(MORE_SECRETS.items()) for t in texts])
def test_more_secrets_are_flagged_and_redacted(rule, text):
    found = find({"summary": text}, RULES)
    assert f"secret:{rule}" in found.flags
    cleaned = redact({"summary": text}, found.secrets)["summary"]
    assert REDACTED in cleaned and not any(
        s in cleaned for s in ("hunter2x", "s3cr3tvalue", "s3cretpw", "pa55word", "Ab3dEf6hIj9k")
    )


def test_names_and_raw_text_are_scanned_not_only_the_fields():
    key = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    # What inference made of the key: a title from its header, the body as the summary.
    fields = {"title": "BEGIN OPENSSH PRIVATE KEY", "summary": "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"}
    assert scan(fields, RULES) == []
    found = find(fields, RULES, {"text": key})
    assert found.flags == ["secret:private_key"] and "b3Bl" not in str(redact(fields, found.secrets))
    # A password column, by name (records) and in a header the dataset reader took for data.
    records = [{"user": "alice", "Password": "Tr0ub4dor&3"}]
    assert find(None, RULES, {"records": records}).flags == ["secret:secret_field"]
    csv = "username,password,email\nalice,Tr0ub4dor&3,a@example.com\n"
    found = find({"rows": "alice Tr0ub4dor&3"}, RULES, {"text": csv})
    assert found.flags == ["secret:secret_field"] and redact({"rows": "alice Tr0ub4dor&3"}, found.secrets) == {
        "rows": f"alice {REDACTED}"
    }


@pytest.mark.parametrize(
    "text",
    [
        "secret_key = self.secret_keys[-1]",
        "password: Optional[str] = None",
        "pwd=Cwd::getcwd()",
        "max_tokens: 512",
        "https://example.com/path?q=1",
        "postgres://app:***@db/prod",
    ],
)
def test_code_and_masked_values_are_not_secrets(text):
    assert scan({"summary": text}, RULES) == []


def test_secrets_in_dropped_files_are_flagged_and_never_stored(make_daemon):
    d = make_daemon(config={"ingest": {"settle_s": 0.2}})
    inbox = d.state_dir / "inbox"
    files = {
        "id_ed25519": (
            "-----BEGIN OPENSSH PRIVATE KEY-----\n"
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMw\n"
            "QyNTUxOQAAACBRZXhhbXBsZWtleWJvZHlmb3J0ZXN0aW5nb25seTEyMzQ1\n"
            "-----END OPENSSH PRIVATE KEY-----\n",
            ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmU", "QyNTUxOQAAACBRZXhhbXBsZWtleWJvZHlm"],
        ),
        "users.csv": (
            "username,password,email\nalice,Tr0ub4dor&3,alice@example.com\nbob,correcthorse9,bob@example.com\n",
            ["Tr0ub4dor&3", "correcthorse9"],
        ),
        "billing.json": ('{"service": "billing", "password": "hunter2xyz"}\n', ["hunter2xyz"]),
        "netrc.txt": ("machine db.example.com login bob password s3cretpw\n", ["s3cretpw"]),
        "env.txt": ("DATABASE_URL=postgres://app:pa55word@db.internal:5432/prod\n", ["pa55word"]),
    }
    for name, (text, _) in files.items():
        (inbox / name).write_text(text)
    with d.client() as c:
        wait_until(lambda: settled(c, len(files)))
        for name in files:
            record = record_of(c, inbox / name)
            assert record.state == "proposed", name  # never auto-approved
            for pid in record.proposal_ids:
                proposal = c.proposals.get(id=pid)
                assert proposal.status == "pending" and proposal.flags, name
    with sqlite3.connect(d.state_dir / "clarity.db") as db:
        stored = "\n".join(db.iterdump())
    for name, (_, secrets) in files.items():
        for secret in secrets:
            assert secret not in stored, (name, secret)
