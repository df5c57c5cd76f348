"""Alerts and webhooks against a real HTTP server on 127.0.0.1: up, slow, failing and down; a
command fed the event on stdin; the built-in conditions; and the rules' validation."""

from __future__ import annotations

import json
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from daemon.protocol import ErrorCode, RpcError


class Receiver:
    """Webhook receiver: /up answers 200, /slow answers after 3 s, /flaky fails twice then
    answers, /fail always answers 500."""

    def __init__(self) -> None:
        self.got: dict[str, list[dict]] = {}
        self.flaky = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.got.setdefault(self.path, []).append(body)
                status = 200
                if self.path == "/slow":
                    time.sleep(3)
                elif self.path == "/fail":
                    status = 500
                elif self.path == "/flaky":
                    receiver.flaky += 1
                    status = 503 if receiver.flaky <= 2 else 200
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:  # the daemon gave up waiting
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def rule(name: str, on: list[str], **kw) -> dict:
    return {"name": name, "on": on, "backoff_s": 0.1, **kw}


def test_conditions():
    import msgspec

    from daemon.alerts.rules import AlertRule

    def make(on, where):
        return msgspec.convert({"name": "r", "on": on, "where": where, "command": ["true"]}, AlertRule)

    event = {
        "id": 1,
        "type": "playbook.run",
        "subject": "playbook/p",
        "actor": "x",
        "payload": {
            "success": False,
            "trust_score": 0.4,
            "target_components": ["db"],
            "execution_result": {"risk_level": "high"},
        },
    }
    assert make(["playbook.*"], {"success": False, "trust_score": {"lt": 0.5}}).matches(event)
    assert make(["*"], {"execution_result.risk_level": {"in": ["high", "critical"]}}).matches(event)
    assert make(["playbook.run"], {"target_components": {"contains": "db"}, "subject": "playbook/p"}).matches(event)
    assert make(["playbook.run"], {"error": {"exists": False}}).matches(event)
    assert not make(["playbook.run"], {"trust_score": {"ge": 0.5}}).matches(event)
    assert not make(["playbook.run"], {"trust_score": {"lt": "text"}}).matches(event)  # no TypeError
    assert not make(["agent.*"], {}).matches(event)
    assert not make(["playbooks.*"], {}).matches(event)


def test_webhooks_up_slow_failing_down(make_daemon, receiver, tmp_path):
    out = tmp_path / "paged.json"
    config = {
        "alerts": [
            rule("failed-playbooks", ["playbook.run"], where={"success": False}, webhook=receiver.url + "/up"),
            rule("flaky", ["playbook.*"], webhook=receiver.url + "/flaky"),
            rule("slow", ["agent.registered"], webhook=receiver.url + "/slow", timeout_s=0.3, max_attempts=2),
            rule("failing", ["agent.registered"], webhook=receiver.url + "/fail", max_attempts=3),
            rule("down", ["agent.registered"], webhook=f"http://127.0.0.1:{closed_port()}/hook", max_attempts=2),
            rule(
                "offline",
                ["agent.offline"],
                command=[sys.executable, "-c", f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"],
            ),
            rule(
                "low-trust-agent",
                ["agent.task_completed"],
                where={"trust_score": {"lt": 0.5}},
                webhook=receiver.url + "/up",
            ),
            rule("low-trust-row", ["row.inserted"], where={"trust_score": {"lt": 0.5}}, webhook=receiver.url + "/up"),
            rule("waiting", ["proposal.waiting"], where={"waiting_minutes": {"ge": 0}}, webhook=receiver.url + "/up"),
        ]
    }
    d = make_daemon(config=config)
    with d.client() as c:
        c.self_healing.log(playbook_name="restart-db", success=True)
        c.self_healing.log(playbook_name="restart-db", success=False, error="still down")
        c.sub_agents.register(agent_id="a1", agent_name="A1", agent_type="worker")
        # The slow and the dead receivers hold up nothing: the daemon answers meanwhile.
        for _ in range(5):
            assert c.system.health().status == "ok"
        c.sub_agents.task_completion(agent_id="a1", success=False)  # trust 0.7 * 0 + 0.3 * 0.5 = 0.15
        c.sub_agents.status(agent_id="a1", status="offline")
        p = c.proposals.create(table="documents", fields={"title": "doubtful"}, confidence=0.4)
        c.proposals.approve(id=p.id)  # the row keeps the proposal's confidence as its trust
        c.proposals.create(table="documents", fields={"title": "waits"}, confidence=0.3)

        def by_status(name: str) -> list[str]:
            return [x.status for x in reversed(c.alerts.deliveries(rule=name))]

        assert eventually(lambda: by_status("flaky")[-2:] == ["delivered", "delivered"] or None)
        got = receiver.got["/up"]
        assert eventually(lambda: len(receiver.got["/up"]) >= 4)
        kinds = sorted({x["alert"] for x in got})
        assert kinds == ["failed-playbooks", "low-trust-agent", "low-trust-row", "waiting"], kinds
        failed = next(x for x in got if x["alert"] == "failed-playbooks")
        assert failed["type"] == "playbook.run" and failed["payload"]["error"] == "still down"
        # The flaky receiver failed twice, then took the first event; the second went straight in.
        assert by_status("flaky") == ["retrying", "retrying", "delivered", "delivered"]
        assert eventually(lambda: by_status("failing") == ["retrying", "retrying", "failed"])
        assert eventually(lambda: by_status("down") == ["retrying", "failed"])
        assert eventually(lambda: by_status("slow") == ["retrying", "failed"])
        assert all("HTTP 500" in x.detail for x in c.alerts.deliveries(rule="failing"))
        assert eventually(lambda: out.exists() and out.read_text())
        assert json.loads(out.read_text())["type"] == "agent.offline"
        rules = c.alerts.rules()
        assert {r.name: r.matched for r in rules.rules}["failed-playbooks"] == 1
        assert rules.failed >= 3 and rules.dropped == 0


def test_bad_rules_are_refused(make_daemon, receiver):
    bad = {"alerts": [{"name": "x", "on": ["ingest.failed"], "webhook": "ftp://nowhere"}]}
    d = make_daemon(config=bad, start=False)
    with pytest.raises(RuntimeError, match="exited 78"):
        d.start()
    assert "alerts[0]" in d.log()

    good = {"alerts": [rule("ok", ["ingest.failed"], webhook=receiver.url + "/up")]}
    d = make_daemon(config=good)
    for broken in (
        {"name": "y", "on": ["ingest.failed"]},  # nowhere to send
        {"name": "y", "on": ["Ingest failed"], "webhook": receiver.url},
        {"name": "y", "on": ["ingest.failed"], "webhook": receiver.url, "where": {"a": {"around": 1}}},
    ):
        d.write_config({"alerts": [broken]})
        with d.client() as c, pytest.raises(RpcError) as e:
            c.system.reload()
        assert e.value.code == ErrorCode.INVALID_STATE
    d.send(signal.SIGHUP)  # the same by signal: logged, and the running rules stay
    with d.client() as c:
        assert eventually(lambda: "reload refused" in d.log())
        assert [r.name for r in c.alerts.rules().rules] == ["ok"]


def test_one_delivery_across_daemons_sharing_postgresql(make_daemon, pg_url, receiver):
    config = {"alerts": [rule("registered", ["agent.registered"], webhook=receiver.url + "/up")]}
    a, b = make_daemon(database=pg_url, config=config), make_daemon(database=pg_url, config=config)
    with a.client() as ca, b.client() as cb:
        ca.sub_agents.register(agent_id="a1", agent_name="A1", agent_type="worker")
        # Both daemons hear the event (b through PostgreSQL) and match it; only one sends it.
        for c in (ca, cb):
            assert eventually(lambda c=c: c.alerts.rules().rules[0].matched == 1)
        assert eventually(lambda: len(receiver.got.get("/up", [])) == 1)
        assert eventually(lambda: len(ca.alerts.deliveries()) + len(cb.alerts.deliveries()) == 1)
        assert len(receiver.got["/up"]) == 1
