"""Contracts' events in the store. Ingest validates with the loader that reads files
(`kiyaku.replay.streams.streams_of`), all or nothing; reading gives back a contract's events as the
same records, validated again on the way out, so a stored event and a file's event are one thing.

An event's identity within its contract is its `id`, or for an event without one the digest of its
content and how many identical events came before it in the same input. Ingesting what is stored
already changes nothing; an event with a stored identity and other content is refused: corrections
are new events.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator, NamedTuple, Sequence

import orjson
import sqlalchemy as sa

from kiyaku.errors import Finding, InputError
from kiyaku.replay.events import Record, Records, Stream
from kiyaku.replay.streams import streams_of
from kiyaku.store.connect import Missing, Store
from kiyaku.store.schema import contracts, events

BATCH = 2000
Watch = Callable[..., Iterable[Any]]  # progress(items, desc=, unit=, total=) or the identity


def _unwatched(items: Iterable[Any], **_: Any) -> Iterable[Any]:
    return items


def listed(records: list[Record]) -> Records:
    """Records held in a list, as a source the loader can read (twice)."""
    return lambda errors, keep_going: iter(records)


def digest(raw: Any) -> str:
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


# --- reading ------------------------------------------------------------------------------------------

def contract_records(conn: sa.Connection, contract: str) -> list[Record]:
    """One contract's stored events as (source, line, event), in the order they were stored."""
    rows = conn.execute(sa.select(events.c.source, events.c.line, events.c.body)
                        .where(events.c.contract == contract).order_by(events.c.pk))
    return [(source, line, orjson.loads(body)) for source, line, body in rows]


def stream(store: Store, contract: str) -> tuple[Stream, list[Record]]:
    """One contract's stream (found by index), and the records it was built from."""
    with store.transaction() as conn:
        records = contract_records(conn, contract)
    if not records:
        raise Missing(Finding(store.name, None, f"no events for contract {contract!r} in the store",
                                 "check the contract id, or ingest its events with `kiyaku ingest`"))
    return next(streams_of(listed(records), [])), records


def streams(store: Store, errors: list[Finding], keep_going: bool = False,
            contract: str | None = None) -> Iterator[Stream]:
    """Every contract's stream (or one), in contract id order. Each contract is read in a short
    transaction of its own, by index: memory holds one contract, and a long evaluation holds up no
    writer (SQLite lets no one commit while a read transaction is open)."""
    for cid in [contract] if contract is not None else _contract_pages(store):
        with store.transaction() as conn:
            records = contract_records(conn, cid)
        if records:
            yield from streams_of(listed(records), errors, keep_going)


class Sized(NamedTuple):
    """A contract of the store and its number of events: what replay/bulk.py shares out."""

    contract: str
    events: int


def sizes(store: Store, contract: str | None = None) -> list[Sized]:
    """Every contract (or one) with its number of events, in contract id order."""
    query = sa.select(events.c.contract, sa.func.count()).group_by(events.c.contract).order_by(events.c.contract)
    with store.transaction() as conn:
        found = [Sized(c, n) for c, n in conn.execute(query if contract is None else
                                                          query.where(events.c.contract == contract))]
    if contract is not None and not found:
        raise InputError(Finding(store.name, None, f"no events for contract {contract!r} in the store",
                                 "check the contract id, or ingest its events with `kiyaku ingest`"))
    return found


@dataclass(frozen=True)
class Stored:
    """The store as a source of contracts for a worker (replay/bulk.py's parts), which opens it by
    name: a SQLite file every worker can read, or a database URL they can reach."""

    name: str

    @classmethod
    def named(cls, name: str) -> Stored:
        return cls(name if "://" in name else os.path.abspath(name))

    def streams(self, contracts: Sequence[Sized], errors: list[Finding], keep_going: bool) -> Iterator[Stream]:
        from kiyaku.store.connect import open_store

        with open_store(self.name) as store:
            for one in contracts:
                yield from streams(store, errors, keep_going, contract=one.contract)


def _contract_pages(store: Store) -> Iterator[str]:
    after = None
    while True:
        query = sa.select(contracts.c.id).order_by(contracts.c.id).limit(BATCH)
        with store.transaction() as conn:
            page = list(conn.execute(query if after is None else query.where(contracts.c.id > after)).scalars())
        yield from page
        if len(page) < BATCH:
            return
        after = page[-1]


def find(store: Store, text: str, limit: int = 50) -> list[tuple[str, str]]:
    """Contracts whose id holds `text` (any case), as (id, agreement), by id: what a person searching
    for a contract types. The text is a bound parameter, its % and _ taken literally."""
    query = (sa.select(contracts.c.id, contracts.c.agreement)
             .where(contracts.c.id.icontains(text, autoescape=True)).order_by(contracts.c.id).limit(limit))
    with store.transaction() as conn:
        return [(cid, agreement) for cid, agreement in conn.execute(query)]


def contract_ids(store: Store) -> list[str]:
    with store.transaction() as conn:
        return list(conn.execute(sa.select(contracts.c.id).order_by(contracts.c.id)).scalars())


def count(store: Store) -> tuple[int, int]:
    """How many contracts and events the store holds."""
    with store.transaction() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(contracts)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(events)).scalar_one())


# --- ingest -------------------------------------------------------------------------------------------

@dataclass
class Ingested:
    events: int = 0       # events read
    new: int = 0          # events written
    contracts: int = 0    # contracts the input names
    new_contracts: int = 0


@dataclass
class _Plan:
    spool: Any            # a temporary file of the rows to write, one JSON array a line
    done: Ingested
    generation: int | None


def ingest(store: Store, records: Records, watch: Watch = _unwatched,
           writing: Callable[[Ingested], None] = lambda done: None) -> Ingested:
    """Validate every event of `records`, then write the new ones in one transaction: a bad event
    anywhere raises InputError naming its file and line, and nothing is written. `writing` is told
    just before the write starts."""
    with store.transaction() as conn:
        generation = _generation(conn)
    plan = _plan(store, None, records, generation, watch)
    try:
        with store.transaction(write=True) as conn:
            store.exclusive(conn, "events")
            if _generation(conn) != plan.generation:
                # Another ingest wrote meanwhile: check again, now that no other can.
                plan.spool.close()
                plan = _plan(store, conn, records, _generation(conn), watch)
            writing(plan.done)
            _write(conn, plan, watch)
    finally:
        plan.spool.close()
    return plan.done


def _generation(conn: sa.Connection) -> int | None:
    """Changes whenever events are added (all writers of events hold the events lock)."""
    return conn.execute(sa.select(sa.func.max(events.c.pk))).scalar()


def _plan(store: Store, conn: sa.Connection | None, records: Records, generation: int | None,
          watch: Watch) -> _Plan:
    """Read and validate everything; spool the rows to write. Stored events are read contract by
    contract in short transactions (or on `conn`, under the lock), so that validating a large input
    holds up no one."""
    last: dict[Any, int] = {}
    total = 0
    for total, (_, _, raw) in enumerate(watch(records([], False), desc="reading", unit="event"), 1):
        last[_contract_of(raw)] = total - 1
    known = _known_contracts(store, conn, set(last))
    spool = tempfile.TemporaryFile()
    done = Ingested(contracts=len([c for c in last if c is not None]))
    pending: dict[Any, list[Record]] = {}
    try:
        for k, record in enumerate(watch(records([], False), desc="validating", unit="event", total=total)):
            contract = _contract_of(record[2])
            pending.setdefault(contract, []).append(record)
            if last[contract] == k:
                _check_contract(store, conn, contract, pending.pop(contract), contract in known, spool, done)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return _Plan(spool, done, generation)


def _contract_of(raw: Any) -> str | None:
    return raw.get("contract") if isinstance(raw, dict) and isinstance(raw.get("contract"), str) else None


def _known_contracts(store: Store, conn: sa.Connection | None, wanted: set[Any]) -> set[str]:
    def query(c: sa.Connection) -> set[str]:
        return {row[0] for row in c.execute(sa.select(contracts.c.id))} & wanted
    if conn is not None:
        return query(conn)
    with store.transaction() as c:
        return query(c)


def _stored(store: Store, conn: sa.Connection | None, contract: str) -> list[tuple[Record, str, str]]:
    query = sa.select(events.c.source, events.c.line, events.c.body, events.c.key, events.c.digest) \
        .where(events.c.contract == contract).order_by(events.c.pk)

    def read(c: sa.Connection) -> list[tuple[Record, str, str]]:
        return [((s, n, orjson.loads(b)), key, d) for s, n, b, key, d in c.execute(query)]
    if conn is not None:
        return read(conn)
    with store.transaction() as c:
        return read(c)


def _check_contract(store: Store, conn: sa.Connection | None, contract: str | None, given: list[Record],
                    known: bool, spool: Any, done: Ingested) -> None:
    """Validate the contract as it will stand, its stored and new events together (references,
    agreement, ids), by the loader, then spool the new ones; an identity stored with other content
    is refused, one stored with the same content is already there."""
    if contract is None:
        # Events that name no contract (or are not even objects): the loader says what is wrong with them.
        list(streams_of(listed(given), []))
    stored = _stored(store, conn, contract) if known else []
    seen = {key: (d, r) for r, key, d in stored}
    occurrences: dict[str, int] = {}
    new: list[tuple[Record, str, str]] = []
    for record in given:
        source, line, raw = record
        d = digest(raw)
        if "id" in raw:
            key = f"id:{raw['id']}"
        else:
            occurrences[d] = occurrences.get(d, 0) + 1
            key = f"sha256:{d}#{occurrences[d]}"
        done.events += 1
        if key in seen:
            if seen[key][0] != d:
                other = seen[key][1]
                raise InputError(Finding(source, line, f"field id: contract {contract} already has an event "
                                         f"{raw['id']!r} with other content ({other[0]}:{other[1]})",
                                         "events are never changed: record a correction as a new event with its own id"))
            continue
        seen[key] = (d, record)
        new.append((record, key, d))
    found = list(streams_of(listed([r for r, _, _ in stored] + [r for r, _, _ in new]), []))
    if not known:
        done.new_contracts += 1
        spool.write(orjson.dumps(["c", contract, found[0].agreement]) + b"\n")
    for (source, line, raw), key, d in new:
        done.new += 1
        spool.write(orjson.dumps(["e", contract, key, raw["type"], d, orjson.dumps(raw).decode(), source, line]) + b"\n")


def _write(conn: sa.Connection, plan: _Plan, watch: Watch) -> None:
    now = datetime.now(timezone.utc)
    new_contracts, new_events = [], []
    names = ("contract", "key", "type", "digest", "body", "source", "line")
    for line in watch(plan.spool, desc="writing", unit="row"):
        row = orjson.loads(line)
        if row[0] == "c":
            new_contracts.append({"id": row[1], "agreement": row[2], "created_at": now})
        else:
            new_events.append(dict(zip(names, row[1:]), ingested_at=now))
        if len(new_events) >= BATCH:
            _flush(conn, new_contracts, new_events)
    _flush(conn, new_contracts, new_events)


def _flush(conn: sa.Connection, new_contracts: list[dict], new_events: list[dict]) -> None:
    # Contracts first: an event's contract must exist (a foreign key).
    if new_contracts:
        conn.execute(contracts.insert(), new_contracts)
        new_contracts.clear()
    if new_events:
        conn.execute(events.insert(), new_events)
        new_events.clear()
