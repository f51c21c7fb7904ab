"""The world of the full journey and the browser helpers it walks with.

The world (users, org tree, fiscal year, metric catalog, one incentive plan, one training
course and recommendation rule) is built through the services; everything after that goes
through the pages. The fiscal year is laid out so that today is always in its fifth month:
last month, last week and this month then lie in the same year and the same quarter whatever
the date the suite runs on (no January or first-week special cases).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from incentives import services as incentive_services
from salesgoals import selectors
from salesgoals.metric_catalog import seed_metrics
from salesgoals.models import CompanySettings, FiscalYear, Metric, OrgUnit, Period, PeriodKind, User
from salesgoals.services import fiscal_year_generate
from tests.e2e.conftest import DEMO_PASSWORD, SCREENSHOTS
from tests.factories import UserFactory, unit
from tests.incentives.helpers import COMMISSION, TIERED
from tests.training.conftest import make_quiz_course
from training import services as training_services

LANGUAGES = ("en", "zh-hans")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+")
# Latin words a Chinese page legitimately shows: product and provider names, abbreviations.
LATIN_ALLOWED = {"SalesGoals", "CRM", "Zoho", "KPI", "KPIs", "SMART", "CSV", "XLSX", "FY", "API"}


def shown(minor: int) -> str:
    """A money amount as the dashboards show it: whole yuan, half up, thousands separated."""
    whole = (Decimal(minor) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"¥{whole:,}"


def plain(yuan: int | Decimal) -> str:
    """An amount as incentive formulas write it (`num`: no separators, no trailing zeros)."""
    text = format(Decimal(yuan).normalize(), "f")
    return text


@dataclass
class Deal:
    name: str
    amount: int  # yuan
    day: datetime.date

    @property
    def minor(self) -> int:
        return self.amount * 100


@dataclass
class World:
    users: dict[str, User]
    company: OrgUnit
    team_a: OrgUnit
    team_b: OrgUnit
    fiscal_year: FiscalYear
    today: datetime.date
    month: Period
    last_month: Period
    last_week: Period
    quarter: Period
    deals: list[Deal] = field(default_factory=list)

    def total(self, period: Period) -> int:
        """Minor units of the rep's won deals closed inside `period`."""
        return sum(d.minor for d in self.deals if period.start <= d.day <= period.end)


def build_world(demo_users: dict[str, User]) -> World:
    """Users, org tree, a fiscal year with today in its fifth month, the metric catalog, a
    quarterly incentive plan for reps and a training rule for low revenue attainment."""
    if not Metric.objects.exists():  # a browser test before this one flushed the catalog
        seed_metrics(Metric)
    today = timezone.localdate()
    if selectors.fiscal_year_for(today) is None:
        settings = CompanySettings.load()
        settings.fiscal_year_start_month = (today.month - 5) % 12 + 1
        settings.save()
        start_month = settings.fiscal_year_start_month
        fiscal_year_generate(year=today.year if start_month <= today.month else today.year - 1)
    fiscal_year = selectors.fiscal_year_for(today)
    team_a = demo_users["rep"].org_unit
    company = OrgUnit.objects.get_parent(team_a)
    team_b = unit("Team B", company)
    users = {
        **demo_users,
        "rep2": UserFactory(
            username="rep2", display_name="Rep Two", org_unit=team_a, password=DEMO_PASSWORD
        ),
        "rep3": UserFactory(
            username="rep3", display_name="Rep Three", org_unit=team_b, password=DEMO_PASSWORD
        ),
    }
    periods = selectors.periods_containing(today)
    month = periods["month"]
    last_month = Period.objects.get(kind=PeriodKind.MONTH, end=month.start - datetime.timedelta(1))
    last_week = Period.objects.filter(kind=PeriodKind.WEEK, end__lt=today).order_by("-end")[0]
    admin = users["admin"]
    incentive_services.plan_create(
        actor=admin,
        name="Rep quarterly",
        role="rep",
        period_kind="quarter",
        components=[TIERED, COMMISSION],
    )
    course = make_quiz_course(admin).course
    training_services.rule_save(
        actor=admin,
        name="Revenue attainment under 80%",
        metric=Metric.objects.get(code="revenue"),
        condition="attainment_below",
        months=1,
        threshold=80,
        course=course.pk,
    )
    return World(
        users=users,
        company=company,
        team_a=team_a,
        team_b=team_b,
        fiscal_year=fiscal_year,
        today=today,
        month=month,
        last_month=last_month,
        last_week=last_week,
        quarter=periods["quarter"],
    )


class Browser:
    """One language's walk: who is logged in, numbered screenshots, translated labels."""

    def __init__(self, page: Page, base_url: str, lang: str) -> None:
        self.page = page
        self.base_url = base_url
        self.lang = lang
        self.step = 0
        self.user: str | None = None
        self.data: tuple[str, ...] = ()  # names and texts of the world, left out of checks
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob(f"journey-{lang}-*.png"):  # a previous run's steps
            old.unlink()

    # -- navigation ----------------------------------------------------------------------
    def go(self, path: str) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.page.wait_for_load_state("load")

    def start(self) -> None:
        """Open the login page and pick the language with the switcher (English is the
        browser's language already)."""
        self.go("/accounts/login/")
        if self.lang != "en":
            self.page.get_by_test_id(f"lang-{self.lang}").click()
        expect(self.page.locator("html")).to_have_attribute("lang", self.lang)

    def login(self, username: str) -> None:
        """Log out through the user menu (the language cookie stays) and log in as another."""
        page = self.page
        if self.user is not None:
            page.get_by_test_id("user-menu").click()
            page.get_by_test_id("logout").click()
            expect(page).to_have_url(re.compile(r"/accounts/login/"))
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.get_by_test_id("login-submit").click()
        expect(page.get_by_test_id("user-menu")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        self.user = username

    # -- language ------------------------------------------------------------------------
    def tr(self, text) -> str:
        """`text` (a msgid or a lazy label) in this walk's language; in Chinese the
        translation must exist (a Chinese character in it)."""
        with translation.override(self.lang):
            out = str(translation.gettext(text) if isinstance(text, str) else text)
        if self.lang == "zh-hans":
            assert CJK.search(out), f"no Chinese for {text!r}"
        return out

    def heading(self, msgid: str) -> None:
        """The page's title (h1) reads `msgid` in this walk's language."""
        expect(self.page.locator("main h1").first).to_contain_text(self.tr(msgid))

    def headings_translated(self, *data: str) -> None:
        """In Chinese, no English word is left in the page's headings (h1, h2, legends, table
        column heads) once the data shown in them (names, titles) is taken out."""
        if self.lang == "en":
            return
        texts = self.page.locator(
            "main h1:visible, main h2:visible, main legend:visible, main thead th:visible"
        ).all_inner_texts()
        leftovers = []
        for text in texts:
            for datum in sorted((*self.data, *data), key=len, reverse=True):
                text = text.replace(datum, " ")
            leftovers += [w for w in LATIN_WORD.findall(text) if w not in LATIN_ALLOWED]
        assert not leftovers, f"English left in the headings of {self.page.url}: {leftovers}"

    # -- evidence ------------------------------------------------------------------------
    def shot(self, name: str, *data: str, check: bool = True) -> Path:
        """Check the headings' language, then save a full-page screenshot
        `journey-<lang>-NN-<name>.png`."""
        if check:
            self.headings_translated(*data)
        self.step += 1
        path = SCREENSHOTS / f"journey-{self.lang}-{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
