"""The support agent's page: sign in, find a contract, press a question, read the answer, open the
case report. Server-rendered HTML (jinja2, autoescaped), plain forms and links: it needs no
JavaScript, and sends none. English and Japanese. It shows the answer model and decides nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import APIRouter, Form, Path as PathParam, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from kiyaku.answers import text
from kiyaku.answers.ask import QUESTIONS
from kiyaku.answers.phrases import LABELS
from kiyaku.server import auth, labels
from kiyaku.server.api import as_of, memo, service
from kiyaku.server.problems import Problem, forbidden
from kiyaku.store.tokens import token_id

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "kiyaku_lang"
FOUND = 50  # contracts listed for a search at most
ContractPath = Annotated[str, PathParam(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(when=text.when, step=text.step_text, if_recorded=text.if_recorded,
                       path=lambda part: quote(str(part), safe=""))
    return env


def language(request: Request, asked: str | None = None) -> str:
    return labels.choose(asked or request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"))


def viewer(request: Request) -> auth.Principal | None:
    """Who is looking: the user the trusted proxy names, else the signed session's token."""
    settings, store = request.app.state.settings, service(request).store
    if settings.trust_proxy_user and request.headers.get(settings.trust_proxy_user):
        return auth.by_proxy(request.headers[settings.trust_proxy_user])
    return request.app.state.sessions.principal(store, request.cookies.get(auth.Sessions.COOKIE))


def signed_in(request: Request, right: str) -> auth.Principal:
    who = viewer(request)
    if who is None:
        raise Problem(401, "Sign in")
    if not who.may(right):
        raise forbidden(who, right)
    return who


def checked(request: Request, who: auth.Principal, csrf: str) -> None:
    if not request.app.state.sessions.csrf_ok(who, csrf):
        raise Problem(403, labels.PAGE[language(request)]["csrf"])


def page(request: Request, template: str, lang: str, who: auth.Principal | None = None, status: int = 200,
         **context: Any) -> HTMLResponse:
    html = render(template, lang, request=request, who=who, **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in labels.LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https")
    return response


def render(template: str, lang: str, request: Request | None = None, **context: Any) -> str:
    other = "ja" if lang == "en" else "en"
    switch = None
    if request is not None:
        switch = request.url.path + "?" + urlencode({**request.query_params, "lang": other})
    sessions = request.app.state.sessions if request is not None else None
    who = context.get("who")
    return environment().get_template(template).render(
        lang=lang, other=other, L=labels.PAGE[lang], O=labels.PAGE[other], A=LABELS[lang], switch=switch,
        csrf=sessions.csrf(who) if sessions and who else "", questions=QUESTIONS, **context)


# --- signing in -----------------------------------------------------------------------------------------

def local(target: str | None) -> str:
    """Where to go after signing in: a path on this server only (never another site)."""
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/signin")
def signin_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None) -> HTMLResponse:
    lang = language(request)
    return page(request, "signin.html.j2", lang, next=local(next), message=None,
                signed_out=bool(request.query_params.get("signed_out")))


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form(max_length=200)],
           next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    lang = language(request)
    who = auth.by_token(service(request).store, token.strip())
    if who is None or not who.may("read"):
        message = labels.PAGE[lang]["bad_token" if who is None else "no_page"].format(role=who.role if who else "")
        return page(request, "signin.html.j2", lang, next=local(next), message=message, signed_out=False, status=401)
    response = RedirectResponse(local(next), status_code=303)
    response.set_cookie(auth.Sessions.COOKIE, request.app.state.sessions.cookie(token_id(token.strip()) or ""),
                        max_age=request.app.state.sessions.seconds, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")
    return response


@router.post("/signout")
def signout(request: Request, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    who = viewer(request)
    if who is not None:
        checked(request, who, csrf)
    response = RedirectResponse("/signin?" + urlencode({"signed_out": "1"}), status_code=303)
    response.delete_cookie(auth.Sessions.COOKIE, path="/", httponly=True, samesite="lax")
    return response


# --- finding a contract, asking -------------------------------------------------------------------------

@router.get("/")
def home(request: Request, q: Annotated[str, Query(max_length=200)] = "") -> HTMLResponse:
    who = signed_in(request, "read")
    found = service(request).find(q.strip(), FOUND + 1) if q.strip() else []
    return page(request, "home.html.j2", language(request), who, q=q.strip(), found=found[:FOUND],
                more=len(found) > FOUND, limit=FOUND)


@router.get("/contracts/{contract}")
def contract(contract: ContractPath, request: Request,
             at: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    who = signed_in(request, "read")
    when = as_of(at or None, "query.at")
    view = service(request).contract(contract, when)
    return page(request, "contract.html.j2", language(request), who, c=view, at=at or "")


@router.post("/contracts/{contract}/ask")
def ask(contract: ContractPath, request: Request, question: Annotated[str, Form(max_length=40)],
        csrf: Annotated[str, Form(max_length=100)], at: Annotated[str, Form(max_length=40)] = "",
        lang: Annotated[str, Form(max_length=2)] = "") -> HTMLResponse:
    who = signed_in(request, "ask")
    checked(request, who, csrf)
    if question not in QUESTIONS:
        raise Problem(422, "The input is not valid", f"form.question: {question!r} is not a question kiyaku answers")
    lang = language(request, lang)
    when = as_of(at.strip() or None, "form.at")

    def shown(answer, _doc, decision_id: str) -> str:
        return render("_answer.html.j2", lang, a=answer, decision_id=decision_id)

    answer, _, decision = service(request).ask(who, question, contract, when, shown)
    return page(request, "answer.html.j2", lang, who, a=answer, at=at.strip(), shown=Markup(decision.given))


@router.get("/contracts/{contract}/report", response_class=Response)
def report(contract: ContractPath, request: Request,
           at: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    signed_in(request, "read")
    return memo(service(request).report(contract, as_of(at or None, "query.at")))


def problem_page(request: Request, problem: Problem) -> Response:
    """A problem met on the page: sign in first (401), else a page saying what went wrong."""
    lang = language(request)
    if problem.status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/signin?" + urlencode({"next": target if request.method == "GET" else "/"}),
                                status_code=303)
    return page(request, "error.html.j2", lang, None, status=problem.status, problem=problem)
