"""The REST API, under /v1: JSON in and out, a bearer token on every call but /healthz.

Each route checks the caller's right (auth.py), validates its input as the command line does (the
same loader, the same time parser), calls the service, and returns what it gives.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from kiyaku.asof import AsOf, now
from kiyaku.server import auth, models, timing
from kiyaku.server.guard import report_policy
from kiyaku.server.problems import Problem, forbidden, invalid
from kiyaku.server.service import Service
from kiyaku.times import TIME_HINT, read_time

ContractPath = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$",
                                   description="the contract id")]
DecisionPath = Annotated[str, Path(pattern=r"^[0-9a-f-]{8,36}$",
                                   description="a decision id, or a unique prefix of it (8 characters at least)")]
AtQuery = Annotated[str | None, Query(description=models.At.__metadata__[0].description)]
PROBLEMS = {status: {"model": models.ProblemDetail, "description": what,
                     "content": {"application/problem+json": {}}}
            for status, what in ((401, "no token, or not a valid one"), (403, "the token's role may not do this"),
                                 (404, "not in the store"), (422, "the input is not valid: each thing wrong is named"),
                                 (429, "too many requests from this client: wait Retry-After seconds"),
                                 (503, "the case store is unavailable: try again later"))}


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


router = APIRouter(prefix="/v1", responses=PROBLEMS, default_response_class=JSON)


def service(request: Request) -> Service:
    return request.app.state.service


def allowed(right: str) -> Callable[..., auth.Principal]:
    """A dependency: the caller's token, which must give `right`."""
    def check(request: Request) -> auth.Principal:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="kiyaku"'}
        if scheme.lower() != "bearer" or not presented.strip():
            raise Problem(401, "A token is needed", "send `Authorization: Bearer kiyaku_…` with a token made by "
                          "`kiyaku token create`", headers=challenge)
        with timing.timed("auth"):
            who = auth.by_token(service(request).store, presented.strip())
        if who is None:
            raise Problem(401, "The token is not valid", "it is unknown, revoked or mistyped", headers=challenge)
        if not who.may(right):
            raise forbidden(who, right)
        return who
    return check


def as_of(value: str | None, field: str) -> AsOf:
    """`at` as given (ISO 8601, Asia/Tokyo unless an offset is given), or now."""
    if value is None:
        return now()
    try:
        return AsOf(read_time(value), given=True)
    except ValueError as exc:
        raise invalid(field, str(exc), TIME_HINT) from None


@router.post("/ask", summary="Ask a support agent's question about one contract",
             responses={200: {"description": "the answer of `kiyaku ask --format json`, and its decision id",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AskAnswer"}}}}})
def ask(body: models.AskRequest, request: Request, who: auth.Principal = Depends(allowed("ask"))) -> JSON:
    """The answer to `question` about `contract` as of `at` (default now), from its stored events or
    from `events` given here; recorded in the decision log under the token's user before it is sent."""
    at = as_of(body.at, "body.at")
    extra = {"as_of_source": "at" if at.given else "now"}

    def given(_answer, doc: dict[str, Any], decision_id: str) -> str:
        return orjson.dumps(doc | extra | {"decision_id": decision_id}).decode()

    _, doc, decision = service(request).ask(who, body.question, body.contract, at, given, body.events)
    return JSON(doc | extra | {"decision_id": decision.id})


@router.get("/contracts/{contract}", summary="A stored contract: its events, and the state it is in",
            responses={200: {"model": models.Contract}},
            dependencies=[Depends(allowed("read"))])
def contract(contract: ContractPath, request: Request, at: AtQuery = None) -> JSON:
    return JSON(service(request).contract(contract, as_of(at, "query.at")))


@router.get("/contracts/{contract}/rulings", summary="Every ruling on a stored contract (recorded as a decision)",
            responses={200: {"model": models.RulingSet}})
def rulings(contract: ContractPath, request: Request, at: AtQuery = None,
            who: auth.Principal = Depends(allowed("read"))) -> JSON:
    doc, _ = service(request).rulings(who, contract, as_of(at, "query.at"))
    return JSON(doc)


@router.get("/contracts/{contract}/report", summary="The case memo of a stored contract (HTML)",
            response_class=Response, responses={200: {"content": {"text/html": {}}}},
            dependencies=[Depends(allowed("read"))])
def report(contract: ContractPath, request: Request, at: AtQuery = None) -> Response:
    return memo(service(request).report(contract, as_of(at, "query.at")))


def memo(html: str) -> Response:
    """A case memo: self-contained, its own inline stylesheet allowed by its digest and nothing else."""
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": report_policy(html)})


@router.post("/contracts/{contract}/events", summary="Add events to a contract (validated, all or nothing)",
             status_code=201, responses={200: {"model": models.Ingested, "description": "nothing new: all were stored"},
                                         201: {"model": models.Ingested, "description": "new events stored"}},
             dependencies=[Depends(allowed("write"))])
def events(contract: ContractPath, body: models.IngestRequest, request: Request) -> JSON:
    """The events are validated together with the contract's stored ones, by the loader `kiyaku ingest`
    uses, and written in one transaction: a bad event anywhere writes nothing and is named. Events
    stored already are skipped; an event whose id is stored with other content is refused."""
    done = service(request).ingest(contract, body.events)
    return JSON({"events": done.events, "new": done.new, "contracts": done.contracts,
                 "new_contracts": done.new_contracts}, status_code=201 if done.new else 200)


@router.get("/terms/{citation}", summary="A provision: its Japanese text and English summary, as in force at `at`",
            responses={200: {"model": models.Provision}},
            dependencies=[Depends(allowed("read"))])
def term(citation: Annotated[str, Path(max_length=100, pattern=r"^[a-z][a-z0-9-]*:[^\x00-\x1f\x7f/]+$",
                                       description="a citation id, e.g. smacom:17.1.1")],
         request: Request, at: AtQuery = None) -> JSON:
    return JSON(service(request).term(citation, as_of(at, "query.at")))


@router.get("/decisions", summary="The decision log, oldest first", responses={200: {"model": models.Decisions}},
            dependencies=[Depends(allowed("decisions"))])
def decisions(request: Request, contract: Annotated[str | None, Query(max_length=200)] = None,
              since: Annotated[str | None, Query(description="only decisions given from this time on")] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> JSON:
    start = as_of(since, "query.since").time if since is not None else None
    found, more = service(request).decisions(contract, start, limit)
    return JSON({"decisions": [d.summary() for d in found], "truncated": more})


@router.get("/decisions/{decision}", summary="One decision, as it was given",
            responses={200: {"model": models.DecisionRecord}},
            dependencies=[Depends(allowed("decisions"))])
def decision(decision: DecisionPath, request: Request) -> JSON:
    return JSON(service(request).decision(decision).as_json())


@router.post("/decisions/{decision}/replay", summary="Replay a decision under today's terms and rules",
             responses={200: {"model": models.Replay}},
             dependencies=[Depends(allowed("decisions"))])
def replay(decision: DecisionPath, request: Request) -> JSON:
    """The same answer today or not, and if not, the change of which provisions moved it
    (`kiyaku log replay --format json`)."""
    return JSON(service(request).replay(decision))


health = APIRouter(default_response_class=JSON)


@health.get("/healthz", summary="Whether the server can reach its store", openapi_extra={"security": []},
            responses={200: {"model": models.Health}, 503: PROBLEMS[503]})
def healthz(request: Request) -> JSON:
    s = service(request)
    s.healthy()
    return JSON({"status": "ok", "kiyaku_version": s.version, "terms_sha256": s.digests[0],
                 "rules_sha256": s.digests[1]})
