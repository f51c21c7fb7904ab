"""Translated messages for the engine's validation problems (the engine itself has no Django)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incentives.engine import Problem

MESSAGES = {
    "required": gettext_lazy("This value is required."),
    "not_a_number": gettext_lazy("Enter a number (as text, e.g. “12.5”)."),
    "min_value": gettext_lazy("Enter a value of at least %(minimum)s."),
    "positive": gettext_lazy("Enter a value greater than zero."),
    "invalid": gettext_lazy("This value is not valid."),
    "invalid_choice": gettext_lazy("“%(value)s” is not one of the choices."),
    "bands_required": gettext_lazy("Add at least one attainment band."),
    "tiers_required": gettext_lazy("Add at least one commission tier."),
    "band_empty": gettext_lazy("The end (%(end)s) must be above the start (%(start)s)."),
    "open_band_not_last": gettext_lazy("Only the last band may be open-ended."),
    "first_band_at_threshold": gettext_lazy(
        "The first band must start at the threshold (%(threshold)s%%)."
    ),
    "first_tier_at_zero": gettext_lazy("The first tier must start at 0."),
    "bands_not_contiguous": gettext_lazy(
        "Bands must be contiguous: this one starts at %(start)s but the previous one ends at "
        "%(previous)s."
    ),
    "cap_below_floor": gettext_lazy(
        "The cap (%(cap)s%%) is below the payout at the threshold (%(floor)s%%)."
    ),
    "duplicate_key": gettext_lazy("Two components share the key “%(key)s”."),
}

FIELD_LABELS = {
    "kind": gettext_lazy("kind"),
    "label": gettext_lazy("label"),
    "metric": gettext_lazy("metric"),
    "target_amount": gettext_lazy("target bonus"),
    "threshold_pct": gettext_lazy("threshold"),
    "accelerator": gettext_lazy("accelerator"),
    "cap_pct": gettext_lazy("cap"),
    "bands": gettext_lazy("bands"),
    "from_pct": gettext_lazy("from"),
    "to_pct": gettext_lazy("to"),
    "mode": gettext_lazy("mode"),
    "rate": gettext_lazy("rate"),
    "step_pct": gettext_lazy("step"),
    "tiers": gettext_lazy("tiers"),
    "from_amount": gettext_lazy("from"),
    "to_amount": gettext_lazy("to"),
    "rate_pct": gettext_lazy("rate"),
    "event": gettext_lazy("event"),
    "amount": gettext_lazy("amount"),
    "min_deal_amount": gettext_lazy("minimum deal amount"),
    "max_count": gettext_lazy("maximum count"),
    "badge": gettext_lazy("badge"),
    "min_attainment_pct": gettext_lazy("minimum attainment"),
    "level_pct": gettext_lazy("level"),
    "periods": gettext_lazy("periods"),
    "required_course_codes": gettext_lazy("required certifications"),
    "key": gettext_lazy("key"),
}


def where(path: str) -> str:
    """`components.0.bands.1.to_pct` → “Component 1 · band 2 · to”."""
    parts = path.split(".")
    words: list[str] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        following = parts[i + 1] if i + 1 < len(parts) else None
        if part == "components" and following is not None and following.isdigit():
            words.append(_("Component %(n)s") % {"n": int(following) + 1})
            i += 2
        elif part == "bands" and following is not None and following.isdigit():
            words.append(_("band %(n)s") % {"n": int(following) + 1})
            i += 2
        elif part == "tiers" and following is not None and following.isdigit():
            words.append(_("tier %(n)s") % {"n": int(following) + 1})
            i += 2
        else:
            words.append(str(FIELD_LABELS.get(part, part)))
            i += 1
    return " · ".join(words)


def problem_text(problem: Problem) -> str:
    template = MESSAGES.get(problem.code, MESSAGES["invalid"])
    return f"{where(problem.path)}: {template % problem.params}"


def problems_error(problems: list[Problem]) -> ValidationError:
    """The engine's problems as a `ValidationError` on the `components` field."""
    return ValidationError({"components": [problem_text(p) for p in problems]})
