"""Translated names for the keys of a statement line's inputs (the engine stores codes)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

INPUT_LABELS = {
    "metric": _("Metric"),
    "actual": _("Actual"),
    "target": _("Target"),
    "attainment_pct": _("Attainment (%)"),
    "threshold_pct": _("Threshold (%)"),
    "target_amount": _("Target bonus"),
    "accelerator": _("Accelerator above 100%"),
    "cap_pct": _("Cap, as a share of the target bonus (%)"),
    "payout_pct": _("Payout, as a share of the target bonus (%)"),
    "tiers": _("Commission tiers"),
    "event": _("Event"),
    "wins": _("Contests won"),
    "deals_won": _("Deals won"),
    "min_deal_amount": _("Minimum deal amount"),
    "qualifying": _("Qualifying deals"),
    "amount_each": _("Amount each"),
    "max_count": _("At most"),
    "badge": _("Badge"),
    "min_attainment_pct": _("Needed attainment (%)"),
    "level_pct": _("Needed attainment (%)"),
    "periods": _("Periods in a row"),
    "attainments": _("Attainment per period"),
    "streak": _("Periods in a row at the level"),
    "certifications_required": _("Required certifications"),
    "certifications_held": _("Certifications held"),
    "certifications_missing": _("Certifications missing"),
    "period": _("Period"),
    "status": _("Status"),
    "paid": _("Paid before"),
    "recomputed": _("Recomputed now"),
}

EVENT_LABELS = {
    "won_deal": _("Each won deal"),
    "contest_win": _("Each contest won"),
}

#: Words of the engine's formulas, translated when shown (the stored formula stays as is).
FORMULA_WORDS = (
    ("missing certifications", _("missing certifications")),
    ("no target", _("no target")),
    ("attainment", _("attainment")),
    ("payout %", _("payout %")),
    ("streak", _("streak")),
    ("cap", _("cap")),
)
