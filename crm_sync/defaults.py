"""Default mappings per provider: CRM object → fact kind, field map, stage map.

Field maps name, for each local field, the CRM field it is read from; "A|B" means "A, or B
when A is empty". Names the reference marks as unconfirmed (Fxiaoke amounts, close dates,
stages) are defaults that admins check against the CRM's field metadata on the mapping page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .models import FactKind, Provider

# Local fields per fact kind, and which of them a mapping must fill.
LOCAL_FIELDS: dict[str, tuple[str, ...]] = {
    FactKind.CUSTOMER: ("name", "industry", "city", "created_date", "owner"),
    FactKind.LEAD: (
        "name", "company", "status", "created_date", "converted_date", "owner", "customer",
    ),
    FactKind.DEAL: (
        "name", "amount", "currency", "exchange_rate", "stage", "status", "probability",
        "created_date", "close_date", "owner", "customer",
    ),
    FactKind.ORDER: (
        "number", "amount", "currency", "exchange_rate", "order_date", "owner", "customer", "deal",
    ),
    FactKind.PAYMENT: (
        "reference", "amount", "currency", "exchange_rate", "payment_date", "owner", "customer",
        "order",
    ),
    FactKind.ACTIVITY: ("subject", "activity_date", "notes", "owner", "customer", "deal"),
}  # fmt: skip
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    FactKind.CUSTOMER: ("name", "created_date", "owner"),
    FactKind.LEAD: ("name", "created_date", "owner"),
    FactKind.DEAL: ("name", "amount", "created_date", "close_date", "owner"),
    FactKind.ORDER: ("amount", "order_date", "owner"),
    FactKind.PAYMENT: ("amount", "payment_date", "owner"),
    FactKind.ACTIVITY: ("subject", "activity_date", "owner"),
}
# Fact kinds are synced in this order so references (customer → deal → order) resolve.
KIND_ORDER = [
    FactKind.CUSTOMER,
    FactKind.LEAD,
    FactKind.DEAL,
    FactKind.ORDER,
    FactKind.PAYMENT,
    FactKind.ACTIVITY,
]


@dataclass(frozen=True)
class DefaultMapping:
    crm_object: str
    fact_kind: str
    field_map: dict[str, str]
    stage_map: dict[str, str] = field(default_factory=dict)
    activity_kind: str = ""
    enabled: bool = True


ZOHO_OWNER = {"owner": "Owner"}
ZOHO_MONEY = {"currency": "Currency", "exchange_rate": "Exchange_Rate"}

ZOHO: tuple[DefaultMapping, ...] = (
    DefaultMapping(
        "Accounts",
        FactKind.CUSTOMER,
        {"name": "Account_Name", "industry": "Industry", "city": "Billing_City",
         "created_date": "Created_Time", **ZOHO_OWNER},
    ),
    DefaultMapping(
        "Leads",
        FactKind.LEAD,
        {"name": "Full_Name|Last_Name", "company": "Company", "status": "Lead_Status",
         "created_date": "Created_Time", "converted_date": "Converted_Date_Time", **ZOHO_OWNER},
        {"Junk Lead": "disqualified", "Not Qualified": "disqualified", "Lost Lead": "disqualified",
         "Converted": "converted"},
    ),
    DefaultMapping(
        "Deals",
        FactKind.DEAL,
        {"name": "Deal_Name", "amount": "Amount", **ZOHO_MONEY, "stage": "Stage",
         "status": "Stage", "probability": "Probability", "created_date": "Created_Time",
         "close_date": "Closing_Date", "customer": "Account_Name", **ZOHO_OWNER},
        {"Closed Won": "won", "Closed Lost": "lost", "Closed Lost to Competition": "lost"},
    ),
    DefaultMapping(
        "Sales_Orders",
        FactKind.ORDER,
        {"number": "Subject", "amount": "Grand_Total", **ZOHO_MONEY,
         "order_date": "Created_Time", "customer": "Account_Name", "deal": "Deal_Name",
         **ZOHO_OWNER},
    ),
    DefaultMapping(
        "Calls",
        FactKind.ACTIVITY,
        {"subject": "Subject", "activity_date": "Call_Start_Time|Created_Time",
         "notes": "Description", **ZOHO_OWNER},
        activity_kind="call",
    ),
    DefaultMapping(
        "Events",
        FactKind.ACTIVITY,
        {"subject": "Event_Title", "activity_date": "Start_DateTime|Created_Time",
         "notes": "Description", **ZOHO_OWNER},
        activity_kind="meeting",
    ),
    DefaultMapping(
        "Tasks",
        FactKind.ACTIVITY,
        {"subject": "Subject", "activity_date": "Due_Date|Created_Time",
         "notes": "Description", **ZOHO_OWNER},
        activity_kind="other",
    ),
)  # fmt: skip

FX_OWNER = {"owner": "owner"}
FX_MONEY = {"currency": "mc_currency", "exchange_rate": "mc_exchange_rate"}

FXIAOKE: tuple[DefaultMapping, ...] = (
    DefaultMapping(
        "AccountObj", FactKind.CUSTOMER, {"name": "name", "created_date": "create_time", **FX_OWNER}
    ),
    DefaultMapping(
        "LeadsObj",
        FactKind.LEAD,
        {"name": "name", "company": "company", "status": "biz_status",
         "created_date": "create_time", **FX_OWNER},
        {"transformed": "converted", "closed": "disqualified"},
    ),
    DefaultMapping(
        "NewOpportunityObj",
        FactKind.DEAL,
        {"name": "name", "amount": "amount", **FX_MONEY, "stage": "sales_stage",
         "status": "sales_status", "probability": "probability",
         "created_date": "create_time", "close_date": "close_date", "customer": "account_id",
         **FX_OWNER},
        {"won": "won", "lost": "lost"},
    ),
    DefaultMapping(
        "OpportunityObj",
        FactKind.DEAL,
        {"name": "name", "amount": "expected_deal_amount", **FX_MONEY,
         "stage": "oppo_stage_id", "status": "biz_status", "probability": "probability",
         "created_date": "create_time", "close_date": "expected_deal_closed_date",
         "customer": "account_id", **FX_OWNER},
        {"win": "won", "lose": "lost"},
        enabled=False,
    ),
    DefaultMapping(
        "SalesOrderObj",
        FactKind.ORDER,
        {"number": "name", "amount": "order_amount", **FX_MONEY, "order_date": "order_time",
         "customer": "account_id", **FX_OWNER},
    ),
    DefaultMapping(
        "PaymentObj",
        FactKind.PAYMENT,
        {"reference": "name", "amount": "payment_amount", **FX_MONEY,
         "payment_date": "payment_time", "customer": "account_id", "order": "order_id",
         **FX_OWNER},
    ),
    DefaultMapping(
        "ActiveRecordObj",
        FactKind.ACTIVITY,
        {"subject": "active_record_content|name", "activity_date": "create_time",
         "customer": "account_id", **FX_OWNER},
        activity_kind="visit",
    ),
)  # fmt: skip

DEFAULTS = {Provider.ZOHO: ZOHO, Provider.FXIAOKE: FXIAOKE}


def default_objects(provider: str) -> list[str]:
    return [m.crm_object for m in DEFAULTS[provider] if m.enabled]


def all_objects(provider: str) -> list[str]:
    return [m.crm_object for m in DEFAULTS[provider]]
