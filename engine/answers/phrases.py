"""The words an answer is told in, English beside Japanese: what an outcome means for the person
asking, and the labels of an answer's parts. Vocabulary only: nothing here decides anything.

The Japanese follows the agreements' own wording (承諾しないことがあります, 利用を停止することがあります,
解除することがあります, 損害を賠償します…).
"""

from __future__ import annotations

# What an outcome means, by (kind, outcome) and, failing that, by outcome alone.
CONSEQUENCES: dict[tuple[str, str] | str, tuple[str, str]] = {
    "may_suspend": ("the provider may suspend the service (it is not bound to)",
                    "当社は利用を停止することがあります（停止しなければならないわけではありません）"),
    "must_suspend": ("the provider shall suspend the service", "当社は利用を停止します"),
    "may_terminate": ("the provider may terminate the contract (it is not bound to)",
                      "当社は契約を解除することがあります（解除しなければならないわけではありません）"),
    "must_terminate": ("the provider shall terminate the contract", "当社は契約を解除します"),
    "terminated": ("the contract ends by the terms themselves", "約款の定めにより契約は終了します"),
    "ends_by_notice": ("the contract ends on the date the notice names", "契約は通知された日に終了します"),
    "treated_as_cancellation": ("the change is treated as the customer's notice of cancellation",
                                "契約者が行う契約の解除の通知があったものとして取り扱います"),
    "may_refuse": ("the provider may refuse the application (it is not bound to)",
                   "当社は申込みを承諾しないことがあります（承諾しないことが義務ではありません）"),
    "must_accept": ("the provider shall accept the application, in the order received",
                    "当社は申込みを受け付けた順序に従って承諾します"),
    "may_interrupt": ("the provider may interrupt the service", "当社は提供を中止することがあります"),
    "notice_missing": ("a notice the agreement requires was not given", "約款が定める通知がなされていません"),
    "notice_too_short": ("the notice came later than the agreement requires",
                         "通知が約款の定める期限より後になされました"),
    "notice_insufficient": ("the notice given lacks what the agreement requires it to state",
                            "通知に約款が定める事項が記載されていません"),
    "notice_period_mismatch": ("the period notified is not the period applied",
                               "通知した期間と実際の期間が一致しません"),
    "period_exceeds_maximum": ("the period set is longer than the agreement allows",
                               "定めた期間が約款の定める上限を超えています"),
    "period_ended": ("the period set has run out: the suspension must end unless another ground applies",
                     "定めた期間が経過しました。他の事由に該当しない限り、利用停止を続けることはできません"),
    "may_carry_over": ("the provider may have the bill paid together with the next month's",
                       "当社は翌料金月の支払額とまとめて支払っていただくことがあります"),
    "capped": ("the provider is liable, but only up to the cap", "当社は損害を賠償します（その額に限ります）"),
    "uncapped": ("the provider is liable, and the cap does not apply (intent or gross negligence)",
                 "当社は損害を賠償します（故意又は重大な過失により、上限の定めは適用されません）"),
    "excluded": ("the provider is not liable", "当社は損害賠償の責任を負いません"),
    "exempt": ("the fee for the time the service was unusable is not payable", "その間の料金の支払いを要しません"),
    "not_exempt": ("the fee stays payable", "料金の支払いを要します"),
    ("surcharge", "payable"): ("a surcharge (割増金) is payable", "割増金の支払いを要します"),
    ("late_interest", "payable"): ("late interest (延滞利息) is payable", "延滞利息の支払いを要します"),
    ("monthly_fee", "payable"): ("the monthly fee is payable", "料金の支払いを要します"),
    ("rental_loss", "payable"): ("the lost rental item must be paid for", "レンタル品の損害額の支払いを要します"),
    ("billing", "payable"): ("the fee is payable", "手数料の支払いを要します"),
}

# What a requirement means: the contents a notice must state.
NOTICE_CONTENTS = {"reason": ("the reason", "理由"), "date": ("the date", "実施する日"),
                   "period": ("the period", "期間")}

LABELS = {
    "en": {"now": "Now", "answer": "Answer", "why": "Why", "why_not": "Looked at, not met",
           "first": "First", "missing": "Missing", "record": "record it, then ask again",
           "clauses": "Clauses", "amount": "Amount", "as_of": "as of", "not_yet": "NOT YET",
           "yes": "YES", "no": "NO", "undetermined": "UNDETERMINED", "since": "since {t}",
           "owed": "owed and not given", "period": "Period", "uncapped": "no cap (liability not limited)",
           "nothing_owed": "nothing owed yet",
           "full": "--full prints every clause in full", "until_now": "so far",
           "then": "from {t}, if nothing else happens: {consequence}", "needs": "needs {lacks}; not met yet",
           "was_met": "held from {start} until {end}",
           "record_as": "{field} recorded {value} on the {event} event",
           "holds_if": "if {conditions}: {consequence}", "turns_on": "turns on", "and": " and ",
           "no_text": "[text not in the corpus]", "no_notice": "no prior notice needed",
           "none_recorded": "none of the events its grounds look for is recorded ({events})",
           "undecided": "undecided until what is missing below is recorded"},
    "ja": {"now": "現在の状態", "answer": "回答", "why": "理由", "why_not": "該当しない事由",
           "first": "事前に必要なこと", "missing": "不足している事実", "record": "記録してから再度お尋ねください",
           "clauses": "根拠条項", "amount": "金額", "as_of": "基準時", "not_yet": "まだです",
           "yes": "はい", "no": "いいえ", "undetermined": "判断できません", "since": "{t} から",
           "owed": "必要でしたが、なされていません", "period": "期間", "uncapped": "上限なし",
           "nothing_owed": "現時点で支払うべき額はありません",
           "full": "--full で各条項の全文を表示します", "until_now": "現時点まで",
           "then": "ほかに何も起きなければ、{t} から、{consequence}", "needs": "{lacks}が必要です。まだ満たされていません",
           "was_met": "{start} から {end} まで該当",
           "record_as": "{event} イベントの {field} を {value} と記録",
           "holds_if": "{conditions}すると、{consequence}", "turns_on": "次の事実によります", "and": "、",
           "no_text": "［本文は収録されていません］", "no_notice": "事前の通知は要しません",
           "none_recorded": "この質問の事由が見るイベント（{events}）が記録されていません",
           "undecided": "未確定（下記の不足している事実によります）"},
}


def consequence(kind: str, outcome: str, modality: str) -> tuple[str, str]:
    """What `outcome` means, in English and Japanese; an outcome not yet worded here is named as is."""
    found = CONSEQUENCES.get((kind, outcome)) or CONSEQUENCES.get(outcome)
    return found or (f"{outcome} ({modality})", f"{outcome}（{modality}）")
