"""The page's own words, English beside Japanese: headings, buttons, messages. The answer's words are
the answer model's and kiyaku.answers.phrases'; nothing here says anything about a case."""

from __future__ import annotations

PAGE = {
    "en": {
        "lang_name": "English", "product": "kiyaku — what the terms say",
        "sign_in": "Sign in", "token": "Token", "token_help": "The token you were given (kiyaku token create).",
        "sign_out": "Sign out", "signed_in_as": "Signed in as {user} ({role})",
        "bad_token": "That token is not valid: unknown, revoked or mistyped.",
        "no_page": "A token of role {role} cannot use this page: ask for an agent or legal token.",
        "find": "Find a contract", "find_help": "Type part of the contract id.", "search": "Search",
        "found_none": "No contract id holds “{q}”.", "found": "Contracts", "more": "Only the first {n} are shown: type more of the id.",
        "contract": "Contract", "agreement": "Agreement", "as_of": "As of", "now": "now",
        "as_of_help": "Leave empty for now; or a date (2025-07-10) or a time (2025-07-08T16:30), Asia/Tokyo.",
        "state": "The contract now", "state_none": "Nothing out of the ordinary: in service, no measure taken, no notice owed.",
        "ask": "Ask", "questions": "Ask a question", "events": "Events",
        "event_time": "Time", "event_type": "Event", "event_details": "Details",
        "report": "Open the case report", "print": "Print this answer with your browser's Print command.",
        "recorded": "Recorded in the decision log as {id}.", "another": "Ask another question",
        "back": "Back to the contract", "home": "Find another contract",
        "error": "Something went wrong", "try_again": "Go back and try again.",
        "signed_out": "Signed out.", "expired": "Please sign in (your session ended or was signed out).",
        "csrf": "This form has expired: reload the page and send it again.",
        "clause_full": "Full text", "in_english": "In English", "in_japanese": "Japanese text",
        "arithmetic": "Arithmetic", "step": "Step", "value": "Value",
    },
    "ja": {
        "lang_name": "日本語", "product": "kiyaku — 約款による回答",
        "sign_in": "サインイン", "token": "トークン", "token_help": "発行されたトークン（kiyaku token create）を入力してください。",
        "sign_out": "サインアウト", "signed_in_as": "{user}（{role}）としてサインイン中",
        "bad_token": "このトークンは使えません（不明、失効済み、または入力の誤り）。",
        "no_page": "{role} のトークンではこのページを使えません。agent または legal のトークンを申請してください。",
        "find": "契約を探す", "find_help": "契約IDの一部を入力してください。", "search": "検索",
        "found_none": "「{q}」を含む契約IDはありません。", "found": "契約", "more": "最初の{n}件のみ表示しています。IDをもう少し入力してください。",
        "contract": "契約", "agreement": "約款", "as_of": "基準時", "now": "現在",
        "as_of_help": "空欄なら現在。日付（2025-07-10）または日時（2025-07-08T16:30、日本時間）。",
        "state": "契約の現在の状態", "state_none": "特記事項なし（提供中、措置なし、未了の通知なし）。",
        "ask": "質問する", "questions": "質問", "events": "イベント",
        "event_time": "日時", "event_type": "種類", "event_details": "内容",
        "report": "案件報告書を開く", "print": "ブラウザの印刷機能でこの回答を印刷できます。",
        "recorded": "判断記録に {id} として記録しました。", "another": "別の質問をする",
        "back": "契約に戻る", "home": "別の契約を探す",
        "error": "エラーが発生しました", "try_again": "戻ってもう一度お試しください。",
        "signed_out": "サインアウトしました。", "expired": "サインインしてください（セッションが終了しました）。",
        "csrf": "このフォームは期限切れです。ページを再読み込みして送信し直してください。",
        "clause_full": "全文", "in_english": "英語の要約", "in_japanese": "原文",
        "arithmetic": "計算", "step": "項目", "value": "値",
    },
}
LANGS = tuple(PAGE)


def choose(asked: str | None, remembered: str | None, accept: str | None) -> str:
    """The page's language: asked for (?lang=), else remembered (a cookie), else the browser's first
    choice of the two, else English."""
    for lang in (asked, remembered):
        if lang in LANGS:
            return lang
    for part in (accept or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGS:
            return tag
    return "en"
