"""What the server does, without HTTP: the API and the page both call these, and present the result.

Loaded once at start: the terms repository (found as every command finds it), the digests of its
terms/ and rules/, and the Judge on the engine's thread. Each operation reads the store, has the
engine replay one contract, and records what it answered in the decision log before it is shown.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from itertools import islice
from typing import Any, Callable

import orjson

from kiyaku.answers.ask import QUESTIONS, answer
from kiyaku.answers.model import Answer
from kiyaku.asof import AsOf
from kiyaku.errors import Finding, InputError
from kiyaku.paths import find_root, version
from kiyaku.replay.events import Record, Stream
from kiyaku.replay.streams import streams_of
from kiyaku.report.provenance import tree_sha256
from kiyaku.server import timing
from kiyaku.server.auth import Principal
from kiyaku.server.engine import Engine
from kiyaku.server.problems import INLINE
from kiyaku.server.settings import Settings
from kiyaku.store import DEFAULT, decisions, open_store
from kiyaku.store import events as stored
from kiyaku.store.connect import Missing
from kiyaku.store.decisions import Decision

# Renders what is shown for an answer (the JSON body, the page's HTML), given its decision's id:
# that text is recorded as the decision's `given`.
Given = Callable[[Answer, dict[str, Any], str], str]


def as_of_source(at: AsOf) -> str:
    """`at` when the request named the time, `now` when it was left to the default."""
    return "at" if at.given else "now"


class Service:
    def __init__(self, settings: Settings) -> None:
        self.found = find_root(settings.root)
        self.root = self.found.path
        self.version = version()
        self.digests = (tree_sha256(self.root, "terms"), tree_sha256(self.root, "rules"))
        self.store = open_store(settings.db or DEFAULT, create=True, wal=True)
        try:
            self.engine = Engine(self.root)
        except BaseException:
            self.store.close()
            raise
        self.terms = self.engine.judge.terms  # plain data, read by any thread

    def close(self) -> None:
        self.engine.close()
        self.store.close()

    # --- the contract's events --------------------------------------------------------------------------

    def events(self, contract: str) -> tuple[Stream, list[Record]]:
        """A stored contract's stream, validated by the loader, and the records it came from."""
        with timing.timed("db"):
            return stored.stream(self.store, contract)

    def inline(self, contract: str, given: list[Any]) -> tuple[Stream, list[Record]]:
        """The stream of events given in a request (a contract not stored), validated as files are:
        event n of the list is named `events:n`."""
        records = [(INLINE, n, raw) for n, raw in enumerate(given, 1)]
        found = next((s for s in streams_of(stored.listed(records), []) if s.contract == contract), None)
        if found is None:
            raise InputError(Finding("contract", None, f"none of the events given is of contract {contract!r}",
                                     "give the contract's events, each with that `contract`"))
        return found, [r for r in records if isinstance(r[2], dict) and r[2].get("contract") == contract]

    # --- asking -----------------------------------------------------------------------------------------

    def ask(self, who: Principal, question: str, contract: str, at: AsOf, given: Given,
            events: list[Any] | None = None) -> tuple[Answer, dict[str, Any], Decision]:
        """The answer to `question`, recorded in the decision log as `given` shows it, under `who`."""
        stream, records = self.events(contract) if events is None else self.inline(contract, events)
        found = self.engine.run(lambda judge: answer(QUESTIONS[question], judge, stream, at.time))
        doc = found.as_json()
        decision = decisions.new_decision(self.root, doc, "", who.user, records, digests=self.digests)
        decision = replace(decision, given=given(found, doc, decision.id))
        self._record(decision)
        return found, doc, decision

    def rulings(self, who: Principal, contract: str, at: AsOf) -> tuple[dict[str, Any], Decision]:
        """Every ruling on the contract as of `at`, recorded as a decision (question `rulings`)."""
        stream, records = self.events(contract)
        found = self.engine.run(lambda judge: judge.rulings(stream, at.time))
        doc = {"question": "rulings", "contract": stream.contract, "agreement": stream.agreement,
               "as_of": at.time.isoformat(), "citations": list(dict.fromkeys(c for r in found for c in r["citations"])),
               "rulings": found}
        decision = decisions.new_decision(self.root, doc, "", who.user, records, digests=self.digests)
        doc = doc | {"decision_id": decision.id, "as_of_source": as_of_source(at)}
        self._record(replace(decision, given=orjson.dumps(doc).decode()))
        return doc, decision

    def _record(self, decision: Decision) -> None:
        with timing.timed("db"):
            decisions.record(self.store, decision, self.root)

    # --- reading ----------------------------------------------------------------------------------------

    def contract(self, contract: str, at: AsOf) -> dict[str, Any]:
        """The contract's stored events and the state the engine finds it in at `at`."""
        stream, records = self.events(contract)
        state = self.engine.run(lambda judge: judge.decide(stream, at.time, ()).state)
        return {"contract": stream.contract, "agreement": stream.agreement, "as_of": at.time.isoformat(),
                "as_of_source": as_of_source(at), "state": state,
                "events": [{"source": s, "line": n, "event": raw} for s, n, raw in records]}

    def report(self, contract: str, at: AsOf) -> str:
        """The case memo (HTML) of a stored contract as of `at`, as `kiyaku report --db` writes it."""
        from kiyaku import report
        from kiyaku.report.provenance import InputFile

        stream, records = self.events(contract)
        inputs = (InputFile(f"{self.store.name} (store)", decisions.events_sha256(records), len(records)),)
        case, = self.engine.run(lambda judge: list(report.each_case(
            self.root, {contract: stream}, lambda s: inputs, at.time, None, None, self.found, judge, self.digests)))
        return report.render_case(self.root, case, "html")

    def term(self, citation: str, at: AsOf) -> dict[str, Any]:
        """A provision as in force at `at`: Japanese text, English summary, parents (as `kiyaku terms show`)."""
        from kiyaku.terms import show

        agreement = self.terms.agreements.get(citation.split(":", 1)[0])
        if agreement is None or citation not in agreement.provisions:
            raise Missing(Finding("citation", None, f"no provision {citation} in the terms",
                                  f"agreements: {', '.join(sorted(self.terms.agreements))}"))
        return show.view(self.terms, citation, at.day) | {"as_of": at.time.isoformat(), "as_of_source": as_of_source(at)}

    def find(self, text: str, limit: int = 50) -> list[tuple[str, str]]:
        with timing.timed("db"):
            return stored.find(self.store, text, limit)

    # --- writing events ---------------------------------------------------------------------------------

    def ingest(self, contract: str, given: list[Any]) -> stored.Ingested:
        """Events of one contract into the store, validated with the contract's stored events, all or
        nothing. Each event names its contract, and it must be this one."""
        for n, raw in enumerate(given, 1):
            if isinstance(raw, dict) and raw.get("contract") != contract:
                raise InputError(Finding(INLINE, n, f"field contract: {raw.get('contract')!r} is not the contract "
                                         f"of the URL ({contract!r})", "post each contract's events to its own URL"))
        records = [(INLINE, n, raw) for n, raw in enumerate(given, 1)]
        with timing.timed("db"):
            return stored.ingest(self.store, stored.listed(records))

    # --- the decision log -------------------------------------------------------------------------------

    def decisions(self, contract: str | None, since: datetime | None, limit: int) -> tuple[list[Decision], bool]:
        """Decisions oldest first, at most `limit`, and whether there were more."""
        with timing.timed("db"):
            found = list(islice(decisions.listing(self.store, contract, since), limit + 1))
        return found[:limit], len(found) > limit

    def decision(self, decision_id: str) -> Decision:
        with timing.timed("db"):
            return decisions.get(self.store, decision_id)

    def replay(self, decision_id: str) -> dict[str, Any]:
        """The decision replayed under today's terms and rules (`kiyaku log replay --format json`)."""
        import json

        from kiyaku.change.recheck import recheck, render_json

        found = self.decision(decision_id)
        with timing.timed("db"):
            kept = decisions.archive(self.store, found)
        # recheck builds Judges of its own (today's, and the decision's terms): on the engine's thread too.
        return json.loads(self.engine.run(lambda _: render_json(recheck(self.root, found, kept))))

    def healthy(self) -> None:
        """Raises StoreFailure when the store cannot be read."""
        with timing.timed("db"):
            self.store.ping()
