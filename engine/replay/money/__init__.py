"""Exact money arithmetic for the agreements: plain values in, a Computation out.

Every calculator takes the agreement's parameters in force (`Params.of(agreement, on)`, or
`Params.from_values(...)` for values given directly) and returns a `Computation`: `amount` in
integer yen, rounded once at the end by the agreement's `rounding` parameter, and the `steps` a
reviewer needs to redo the sum by hand, each citing the provisions it relied on. `decisions`
lists the spec's product decisions the sum relied on, which a ruling must state.

Bad input raises kiyaku.errors.InputError; a missing or unknown parameter, DefinitionError. The
findings are located at `money.<calculator>`; a caller that knows the event behind the input
should report the finding at that event's file and line instead.

    from kiyaku.replay.money import Params, liability_cap
    params = Params.of(terms.agreements["smacom"], on=date(2025, 6, 1))
    cap = liability_cap(params, learned_at, ended_at, monthly_fee=5980)
    cap.amount, cap.as_json()

Calculators: outage_days, liability_cap, outage_exemption, negligence_exemption,
exemption_refund, surcharge, surcharge_of_charges, late_interest, price_table_fee, month_charge, rental_loss.
"""

from kiyaku.replay.money.arithmetic import Computation, Step
from kiyaku.replay.money.exemption import exemption_refund, negligence_exemption, outage_exemption
from kiyaku.replay.money.fees import month_charge, price_table_fee, table_fee
from kiyaku.replay.money.interest import late_interest
from kiyaku.replay.money.liability import liability_cap
from kiyaku.replay.money.outage import outage_days
from kiyaku.replay.money.params import Cited, Params
from kiyaku.replay.money.rental import rental_loss
from kiyaku.replay.money.surcharge import surcharge, surcharge_of_charges
from kiyaku.replay.money.tax import TaxRates

__all__ = ["Cited", "Computation", "Params", "Step", "TaxRates", "exemption_refund",
           "late_interest", "liability_cap", "month_charge", "negligence_exemption",
           "outage_days", "outage_exemption", "price_table_fee", "rental_loss", "surcharge",
           "surcharge_of_charges", "table_fee"]
