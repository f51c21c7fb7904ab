"""The payout engine against hand-computed cases: every band edge, accelerators, caps,
commission tiers and SPIFFs — Decimal exact."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from incentives.engine import (
    Cell,
    Inputs,
    PlanInvalid,
    compute,
    curve,
    parse_components,
    promotion_check,
    validate_components,
    with_extra,
)

# 10,000.00 bonus at 100% payout. Nothing below 80%; at 80% pay 50%, then +2.5 payout points
# per attainment point to 100% (= 100%); above 100% the same rate with a 2× accelerator
# (+5 points per point); payout capped at 150%.
TIERED = {
    "kind": "tiered",
    "key": "bonus",
    "label": "Quarterly bonus",
    "metric": "revenue",
    "target_amount": "10000.00",
    "threshold_pct": "80",
    "accelerator": "2",
    "cap_pct": "150",
    "bands": [
        {"from_pct": "80", "to_pct": "100", "mode": "linear", "rate": "2.5", "step_pct": "50"},
        {"from_pct": "100", "to_pct": None, "mode": "linear", "rate": "2.5"},
    ],
}
TARGET = D("1000000.00")


def bonus(actual: str, component: dict = TIERED) -> D:
    lines = compute(
        parse_components([component]), Inputs(cells={"revenue": Cell(D(actual), TARGET)})
    )
    return lines[0].amount


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("0", "0.00"),
        ("799999.99", "5000.00"),  # 79.999999% rounds to 80.00%: the shown figure decides
        ("799900.00", "0.00"),  # 79.99%: just below the threshold
        ("800000.00", "5000.00"),  # at the threshold: the 50% step
        ("800100.00", "5002.50"),  # 80.01%: 50 + 0.01 × 2.5 = 50.025%
        ("999900.00", "9997.50"),  # 99.99%
        ("1000000.00", "10000.00"),  # 100%
        ("1000100.00", "10005.00"),  # 100.01%: the accelerator doubles the rate
        ("1099900.00", "14995.00"),  # 109.99%
        ("1100000.00", "15000.00"),  # 110%: reaches the 150% cap
        ("1100100.00", "15000.00"),  # just above: capped
        ("2500000.00", "15000.00"),
    ],
)
def test_tiered_band_edges(actual: str, expected: str) -> None:
    assert bonus(actual) == D(expected)


def test_stepped_bands_and_no_cap() -> None:
    stepped = {
        **TIERED,
        "cap_pct": None,
        "accelerator": "1",
        "threshold_pct": "90",
        "bands": [
            {"from_pct": "90", "to_pct": "100", "mode": "stepped", "step_pct": "50"},
            {"from_pct": "100", "to_pct": "120", "mode": "stepped", "step_pct": "50"},
            {"from_pct": "120", "to_pct": None, "mode": "stepped", "step_pct": "25"},
        ],
    }
    cases = {
        "899900": "0.00",
        "900000": "5000.00",
        "999900": "5000.00",
        "1000000": "10000.00",
        "1199900": "10000.00",
        "1200000": "12500.00",
        "3000000": "12500.00",
    }
    for actual, expected in cases.items():
        assert bonus(actual, stepped) == D(expected), actual


def test_tiered_line_shows_inputs_and_formula() -> None:
    (line,) = compute(
        parse_components([TIERED]), Inputs(cells={"revenue": Cell(D("1050000.00"), TARGET)})
    )
    assert line.amount == D("12500.00")
    assert line.inputs["attainment_pct"] == "105"
    assert line.inputs["target"] == "1000000"
    assert "1050000 ÷ 1000000 = 105%" in line.formula
    assert "50 + (100 − 80) × 2.5 + (105 − 100) × 2.5 × 2 = 125%" in line.formula
    assert line.formula.endswith("10000.00 × 125% = 12500.00")


def test_no_target_pays_nothing() -> None:
    lines = compute(parse_components([TIERED]), Inputs(cells={"revenue": Cell(D(5), None)}))
    assert lines[0].amount == 0


COMMISSION = {
    "kind": "commission",
    "key": "commission",
    "label": "Commission",
    "metric": "revenue",
    "tiers": [
        {"from_amount": "0", "to_amount": "100000", "rate_pct": "2"},
        {"from_amount": "100000", "to_amount": "500000", "rate_pct": "3"},
        {"from_amount": "500000", "to_amount": None, "rate_pct": "4.5"},
    ],
}


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ("0", "0.00"),
        ("99999.99", "2000.00"),  # 1999.9998 → 2000.00
        ("100000", "2000.00"),
        ("100000.01", "2000.00"),  # + 0.0003
        ("250000", "6500.00"),  # 2000 + 150000 × 3%
        ("500000", "14000.00"),
        ("600000", "18500.00"),  # 14000 + 100000 × 4.5%
        ("-50", "0.00"),
    ],
)
def test_commission_tiers(actual: str, expected: str) -> None:
    lines = compute(parse_components([COMMISSION]), Inputs(cells={"revenue": Cell(D(actual))}))
    assert lines[0].amount == D(expected)


def test_spiffs_per_deal_with_minimum_and_limit() -> None:
    spiff = {
        "kind": "spiff",
        "label": "Big deal",
        "event": "won_deal",
        "amount": "800",
        "min_deal_amount": "50000",
        "max_count": 2,
    }
    deals = (D("49999.99"), D("50000"), D("120000"))
    (line,) = compute(parse_components([spiff]), Inputs(won_deals=deals))
    assert line.amount == D("1600.00")
    assert line.inputs["qualifying"] == "2"
    (line,) = compute(parse_components([spiff]), Inputs(won_deals=(*deals, D("90000"))))
    assert line.amount == D("1600.00")  # at most two
    assert line.formula.startswith("min(3, 2) = 2")
    contest = {"kind": "spiff", "event": "contest_win", "amount": "2000"}
    (line,) = compute(parse_components([contest]), Inputs(contest_wins=2))
    assert line.amount == D("4000.00")


def test_badge_rule_at_the_edge() -> None:
    rule = {"kind": "badge", "badge": "Gold", "metric": "revenue", "min_attainment_pct": "120"}
    below = compute(parse_components([rule]), Inputs(cells={"revenue": Cell(D("119.99"), D(100))}))
    at = compute(parse_components([rule]), Inputs(cells={"revenue": Cell(D(120), D(100))}))
    assert below[0].achieved is False
    assert at[0].achieved is True
    assert at[0].amount == 0


def test_promotion_streak() -> None:
    (plan,) = parse_components(
        [
            {
                "kind": "promotion",
                "metric": "revenue",
                "level_pct": "100",
                "periods": 3,
                "required_course_codes": ["negotiation"],
            }
        ]
    )
    assert promotion_check(plan, [D(90), D(100), D(101), D(130)], frozenset({"negotiation"}))[2]
    assert not promotion_check(
        plan, [D(100), D("99.99"), D(130), D(140)], frozenset({"negotiation"})
    )[2]
    streak, missing, ok = promotion_check(plan, [D(100), D(110), D(120)], frozenset())
    assert (streak, missing, ok) == (3, ["negotiation"], False)


def test_what_if_is_the_same_code() -> None:
    components = parse_components([TIERED, COMMISSION])
    base = Inputs(cells={"revenue": Cell(D("900000"), TARGET)})
    more = with_extra(base, D("150000"))
    direct = Inputs(cells={"revenue": Cell(D("1050000"), TARGET)}, won_deals=(D("150000"),))
    assert compute(components, more) == compute(components, direct)


def test_curve_follows_the_bands() -> None:
    (plan,) = parse_components([TIERED])
    points = dict(curve(plan))
    assert len(points) == 203  # 0–200 and the point just below each edge (80, 100)
    assert points[D("79.99")] == 0
    assert points[D(80)] == D("5000.00")
    assert points[D(100)] == D("10000.00")
    assert points[D(110)] == points[D(200)] == D("15000.00")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"bands": [{"from_pct": "80", "to_pct": "100"}, {"from_pct": "101"}]},
            "bands_not_contiguous",
        ),
        ({"bands": [{"from_pct": "70", "to_pct": "100"}]}, "first_band_at_threshold"),
        ({"bands": [{"from_pct": "80", "to_pct": "80"}]}, "band_empty"),
        ({"bands": [{"from_pct": "80"}, {"from_pct": "100"}]}, "open_band_not_last"),
        ({"cap_pct": "40"}, "cap_below_floor"),
        ({"target_amount": 100.5}, "not_a_number"),
        ({"accelerator": "0.5"}, "min_value"),
        ({"bands": []}, "bands_required"),
    ],
)
def test_validation(change: dict, code: str) -> None:
    problems = validate_components([{**TIERED, **change}])
    assert code in {p.code for p in problems}
    with pytest.raises(PlanInvalid):
        parse_components([{**TIERED, **change}])


def test_commission_tiers_contiguous_from_zero() -> None:
    bad = {**COMMISSION, "tiers": [{"from_amount": "10", "to_amount": "20", "rate_pct": "1"}]}
    assert {p.code for p in validate_components([bad])} == {"first_tier_at_zero"}
    gap = {
        **COMMISSION,
        "tiers": [
            {"from_amount": "0", "to_amount": "20", "rate_pct": "1"},
            {"from_amount": "30", "rate_pct": "1"},
        ],
    }
    assert {p.code for p in validate_components([gap])} == {"bands_not_contiguous"}
    assert validate_components([TIERED, COMMISSION]) == []
