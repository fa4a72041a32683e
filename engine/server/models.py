"""The API's requests and responses as typed models: FastAPI validates requests by them and writes
/openapi.json from them. An answer and a ruling are described by the JSON Schemas kiyaku ships
(engine/schemas/answer.json, ruling.json), put into the OpenAPI document as they are (`schemas()`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kiyaku.answers.ask import QUESTIONS

# A contract id as the store keeps it: any text of 1 to 200 characters without control characters.
ContractId = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
Question = Literal[tuple(QUESTIONS)]  # type: ignore[valid-type]
MAX_EVENTS = 10_000
Events = Annotated[list[Any], Field(min_length=1, max_length=MAX_EVENTS, description=(
    "Event objects, in the vocabulary of docs/events.md, validated as `kiyaku evaluate` validates a file; a "
    "problem names the event by its place in this list (`/events/2` is the third)."))]
At = Annotated[str | None, Field(description=(
    "As of this time (ISO 8601; a date, or a time without an offset, is read in Asia/Tokyo). Default: now, "
    "stated in the response as `as_of` with `as_of_source` `now`."), examples=["2025-07-10", "2025-07-08T16:30"])]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskRequest(Strict):
    question: Question = Field(description="The question, as `kiyaku ask` takes it.")
    contract: ContractId = Field(description="The contract asked about.")
    at: At = None
    events: Events | None = Field(None, description=(
        "The contract's events, for a contract not in the store (else its stored events are used). "
        "The events are recorded with the decision."))


class IngestRequest(Strict):
    events: Events


class Health(BaseModel):
    status: Literal["ok"]
    kiyaku_version: str
    terms_sha256: str
    rules_sha256: str


class StoredEvent(BaseModel):
    source: str = Field(description="where the event was ingested from (a file, or `events` for an API request)")
    line: int = Field(description="its line there (or its place in the request's list, from 1)")
    event: dict[str, Any]


class Contract(BaseModel):
    contract: str
    agreement: str
    as_of: str
    as_of_source: Literal["at", "now"]
    state: list[dict[str, Any]] = Field(description=(
        "the states the contract is in at as_of, as the engine decides them (rules/shared/state.yaml): "
        "state, since, citations, summary, summary_ja, reasons"))
    events: list[StoredEvent]


class RulingSet(BaseModel):
    decision_id: str = Field(description="the ruling set as recorded in the decision log (question `rulings`)")
    question: Literal["rulings"]
    contract: str
    agreement: str
    as_of: str
    as_of_source: Literal["at", "now"]
    citations: list[str]
    rulings: list[dict[str, Any]] = Field(json_schema_extra={"items": {"$ref": "#/components/schemas/Ruling"}})


class Ingested(BaseModel):
    events: int = Field(description="events in the request")
    new: int = Field(description="events written (the others were stored already)")
    contracts: int
    new_contracts: int


class DecisionSummary(BaseModel):
    id: str
    asked_at: str
    asked_by: str
    question: str
    contract: str
    as_of: str | None
    answer: str | None
    amount: int | None
    citations: list[str]
    kiyaku_version: str
    terms_sha256: str
    rules_sha256: str
    events_sha256: str


class Decisions(BaseModel):
    decisions: list[DecisionSummary]
    truncated: bool = Field(description="more decisions match: ask again with `since` the last one's asked_at")


class DecisionRecord(DecisionSummary):
    answer_json: dict[str, Any] = Field(description="the answer as it was given (for ask: the Answer schema)")
    given: str = Field(description="exactly what was shown: the response body, or the page's HTML")
    events: list[StoredEvent]


class Replay(BaseModel):
    model_config = ConfigDict(extra="allow")
    decision: DecisionSummary
    same: bool = Field(description="the same answer, amount and citations, and no ruling behind them moved")
    changed: dict[str, Any]
    reproduced: bool | None = Field(description="the recorded terms and rules still give the recorded answer")
    today: dict[str, Any] | None
    notes: list[str]
    attribution: dict[str, Any] | None = Field(description="the rulings that moved, under the provisions that moved them")


class Provision(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    agreement: str
    text_ja: str | None
    summary_en: str
    as_of: str
    as_of_source: Literal["at", "now"]


class ProblemDetail(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict[str, Any]] = Field(default=[], description=(
        "each thing wrong: `message`, `hint`, and where: `field` (body.at, query.at, path.contract), or "
        "`pointer` and `event` for an event of the request's list, or `source` and `line` for a stored one"))


SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
SHIPPED = {"Answer": "answer.json", "Ruling": "ruling.json"}


def schemas() -> dict[str, Any]:
    """answer.json and ruling.json as OpenAPI components: their references made local to the document."""
    out = {}
    for name, file in SHIPPED.items():
        text = (SCHEMAS / file).read_text("utf-8")
        text = text.replace('"#/$defs/', f'"#/components/schemas/{name}/$defs/')
        text = text.replace('"urn:kiyaku:schema:ruling#/', '"#/components/schemas/Ruling/')
        text = text.replace('"urn:kiyaku:schema:ruling"', '"#/components/schemas/Ruling"')
        schema = json.loads(text)
        schema.pop("$schema", None)
        schema.pop("$id", None)
        out[name] = schema
    out["AskAnswer"] = {"allOf": [{"$ref": "#/components/schemas/Answer"}, {
        "type": "object", "required": ["decision_id", "as_of_source"],
        "properties": {"decision_id": {"type": "string", "description": "the answer as recorded in the decision log"},
                       "as_of_source": {"enum": ["at", "now"], "description": "`at` as given, or now"}}}]}
    return out
