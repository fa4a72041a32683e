"""The decision log: every answer given from a store, kept as it was given, with what is needed to
prove and to replay it (the events used, the kiyaku version, digests of terms/, rules/ and the
events, and terms/ and rules/ themselves, stored once per distinct pair of digests).

Append-only: this module only inserts, and the database refuses an UPDATE or DELETE by trigger.
A decision is any JSON answer to a question about one contract: `kiyaku ask`'s answers, and a
server's ruling set (question `rulings`) alike; `answer`, `amount` and `citations` are read from it
when it has them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson
import sqlalchemy as sa

from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import Record, Stream
from kiyaku.replay.streams import streams_of
from kiyaku.store import snapshot
from kiyaku.store.connect import Missing, Store
from kiyaku.store.schema import decisions, definitions


@dataclass(frozen=True)
class Decision:
    id: str
    asked_at: datetime
    asked_by: str
    question: str
    contract: str
    as_of: str | None
    answer: str | None
    amount: int | None
    citations: list[str]
    answer_json: Any
    given: str
    kiyaku_version: str
    terms_sha256: str
    rules_sha256: str
    events_sha256: str
    events: list[dict[str, Any]] = field(repr=False)  # {source, line, event}, as evaluated

    def records(self) -> list[Record]:
        return [(e["source"], e["line"], e["event"]) for e in self.events]

    def stream(self) -> Stream:
        """The contract's stream as evaluated then, validated again by the loader."""
        from kiyaku.store.events import listed

        return next(streams_of(listed(self.records()), []))

    def summary(self) -> dict[str, Any]:
        """The fields a listing shows (no answer JSON, no events)."""
        return {"id": self.id, "asked_at": self.asked_at.isoformat(), "asked_by": self.asked_by,
                "question": self.question, "contract": self.contract, "as_of": self.as_of,
                "answer": self.answer, "amount": self.amount, "citations": self.citations,
                "kiyaku_version": self.kiyaku_version, "terms_sha256": self.terms_sha256,
                "rules_sha256": self.rules_sha256, "events_sha256": self.events_sha256}

    def as_json(self) -> dict[str, Any]:
        return self.summary() | {"answer_json": self.answer_json, "given": self.given, "events": self.events}


def events_sha256(records: list[Record]) -> str:
    """The digest of the events as evaluated, in order (each as given, keys sorted)."""
    return hashlib.sha256(orjson.dumps([raw for _, _, raw in records], option=orjson.OPT_SORT_KEYS)).hexdigest()


def new_decision(root: Path, answer: Any, given: str, asked_by: str, records: list[Record],
                 question: str | None = None, digests: tuple[str, str] | None = None) -> Decision:
    """A decision for `answer` (a JSON object with question, contract, as_of and, where it has them,
    answer, amount, citations) just given as `given` to `asked_by`, from the events `records`.
    `digests` of terms/ and rules/ when the caller has them already (a server computes them once)."""
    from kiyaku.paths import version
    from kiyaku.report.provenance import tree_sha256

    terms_sha256, rules_sha256 = digests or (tree_sha256(root, "terms"), tree_sha256(root, "rules"))
    return Decision(
        id=str(uuid.uuid4()), asked_at=datetime.now(timezone.utc), asked_by=asked_by,
        question=question or answer["question"], contract=answer["contract"], as_of=answer.get("as_of"),
        answer=answer.get("answer"), amount=answer.get("amount"), citations=list(answer.get("citations") or []),
        answer_json=answer, given=given, kiyaku_version=version(),
        terms_sha256=terms_sha256, rules_sha256=rules_sha256,
        events_sha256=events_sha256(records),
        events=[{"source": s, "line": n, "event": raw} for s, n, raw in records])


def record(store: Store, decision: Decision, root: Path) -> None:
    """Write the decision, and terms/ and rules/ of `root` when the store does not hold them yet."""
    keys = {"terms_sha256": decision.terms_sha256, "rules_sha256": decision.rules_sha256}
    pair = (decision.terms_sha256, decision.rules_sha256)
    if pair not in store.kept:
        with store.transaction() as conn:
            if _kept(conn, keys):
                store.kept.add(pair)
    archive = None if pair in store.kept else snapshot.pack(root)
    with store.transaction(write=True) as conn:
        if archive is not None and not _kept(conn, keys):
            store.exclusive(conn, "definitions")
            if not _kept(conn, keys):
                conn.execute(definitions.insert(), keys | {"archive": archive, "stored_at": decision.asked_at})
        conn.execute(decisions.insert(), _row(decision))
    store.kept.add(pair)


def _kept(conn: sa.Connection, keys: dict[str, str]) -> bool:
    query = sa.select(sa.literal(1)).where(*(getattr(definitions.c, k) == v for k, v in keys.items()))
    return conn.execute(query).first() is not None


def _row(d: Decision) -> dict[str, Any]:
    return {"id": d.id, "asked_at": d.asked_at, "asked_by": d.asked_by, "question": d.question,
            "contract": d.contract, "as_of": d.as_of, "answer": d.answer, "amount": d.amount,
            "citations": orjson.dumps(d.citations).decode(), "answer_json": orjson.dumps(d.answer_json).decode(),
            "given": d.given, "kiyaku_version": d.kiyaku_version, "terms_sha256": d.terms_sha256,
            "rules_sha256": d.rules_sha256, "events_sha256": d.events_sha256,
            "events": orjson.dumps(d.events).decode()}


def _decision(row: Any) -> Decision:
    asked_at = row.asked_at if row.asked_at.tzinfo else row.asked_at.replace(tzinfo=timezone.utc)
    return Decision(row.id, asked_at, row.asked_by, row.question, row.contract, row.as_of, row.answer, row.amount,
                    orjson.loads(row.citations), orjson.loads(row.answer_json), row.given, row.kiyaku_version,
                    row.terms_sha256, row.rules_sha256, row.events_sha256, orjson.loads(row.events))


def listing(store: Store, contract: str | None = None, since: datetime | None = None) -> Iterator[Decision]:
    """Decisions in the order they were given, of one contract and/or from a time on."""
    query = sa.select(decisions).order_by(decisions.c.asked_at, decisions.c.id)
    if contract is not None:
        query = query.where(decisions.c.contract == contract)
    if since is not None:
        query = query.where(decisions.c.asked_at >= since.astimezone(timezone.utc))
    with store.transaction() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=500).execute(query):
            yield _decision(row)


def get(store: Store, decision_id: str) -> Decision:
    with store.transaction() as conn:
        row = conn.execute(sa.select(decisions).where(decisions.c.id == decision_id)).first()
        if row is None and len(decision_id) < 36:
            # A prefix, as git takes one: unique or refused.
            found = conn.execute(sa.select(decisions).where(decisions.c.id.startswith(decision_id, autoescape=True))
                                 .limit(2)).all()
            row = found[0] if len(found) == 1 else None
            if len(found) > 1:
                raise InputError(Finding(store.name, None, f"decision id {decision_id!r} is ambiguous",
                                         "give more of the id"))
    if row is None:
        raise Missing(Finding(store.name, None, f"no decision {decision_id!r} in the store",
                                 "list them with `kiyaku log`"))
    return _decision(row)


def archive(store: Store, decision: Decision) -> bytes | None:
    """terms/ and rules/ as they were when the decision was given (None for a decision recorded
    before the store kept them)."""
    with store.transaction() as conn:
        return conn.execute(sa.select(definitions.c.archive).where(
            definitions.c.terms_sha256 == decision.terms_sha256,
            definitions.c.rules_sha256 == decision.rules_sha256)).scalar()
