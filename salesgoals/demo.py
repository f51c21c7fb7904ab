"""Deterministic demo organisation: company, 3 regions, 10 teams, ~60 reps, 4 demo logins.

Each app may add its own `demo.py` with `seed(context)`; `manage.py seed_demo` runs them in
layering order after this one, passing the shared `DemoContext`.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from salesgoals import hooks, services
from salesgoals.models import FiscalYear, OrgUnit, Role, User

SEED = 20260101

GIVEN = [
    *"伟芳娜敏静强磊洋艳勇军杰娟涛明超霞平刚晨",
    *["思远", "子涵", "雨桐", "浩然", "欣怡", "宇轩", "梓萱", "俊杰", "诗涵", "博文"],
]
PINYIN = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "杨": "yang",
    "黄": "huang",
    "赵": "zhao",
    "吴": "wu",
    "周": "zhou",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "朱": "zhu",
    "胡": "hu",
    "郭": "guo",
    "何": "he",
    "高": "gao",
    "林": "lin",
    "罗": "luo",
    "郑": "zheng",
    "梁": "liang",
    "谢": "xie",
    "宋": "song",
    "唐": "tang",
    "许": "xu",
    "韩": "han",
    "冯": "feng",
    "邓": "deng",
    "曹": "cao",
    "彭": "peng",
    "曾": "zeng",
    "肖": "xiao",
    "田": "tian",
    "董": "dong",
    "袁": "yuan",
    "潘": "pan",
    "于": "yu",
    "蒋": "jiang",
    "蔡": "cai",
    "余": "yu",
    "杜": "du",
    "叶": "ye",
    "程": "cheng",
    "苏": "su",
    "魏": "wei",
    "吕": "lv",
    "丁": "ding",
    "任": "ren",
    "沈": "shen",
}

REGIONS: list[tuple[str, str, list[tuple[str, str]]]] = [
    (
        "华东区",
        "east",
        [("上海一组", "sh-1"), ("上海二组", "sh-2"), ("杭州组", "hz"), ("南京组", "nj")],
    ),
    ("华南区", "south", [("广州组", "gz"), ("深圳组", "sz"), ("厦门组", "xm")]),
    ("华北区", "north", [("北京一组", "bj-1"), ("北京二组", "bj-2"), ("天津组", "tj")]),
]


@dataclass
class DemoContext:
    rng: random.Random
    today: datetime.date
    company: OrgUnit | None = None
    regions: list[OrgUnit] = field(default_factory=list)
    teams: list[OrgUnit] = field(default_factory=list)
    reps: list[User] = field(default_factory=list)
    logins: dict[str, User] = field(default_factory=dict)
    fiscal_years: list[FiscalYear] = field(default_factory=list)


def demo_allowed() -> bool:
    return bool(settings.DEBUG or settings.SALESGOALS.get("ALLOW_DEMO_DATA"))


def _person(ctx: DemoContext, used: set[str]) -> tuple[str, str]:
    while True:
        surname = ctx.rng.choice(list(PINYIN))
        given = ctx.rng.choice(GIVEN)
        name = surname + given
        username = f"{PINYIN[surname]}.{len(used) + 1:03d}"
        if name not in used:
            used.add(name)
            return name, username


def _login(ctx: DemoContext, username: str, role: str, unit: OrgUnit, name: str) -> User:
    user = services.user_create(
        username=username,
        role=role,
        org_unit=unit,
        email=f"{username}@demo.salesgoals.local",
        display_name=name,
        hire_date=datetime.date(ctx.today.year - 4, 3, 1),
    )
    ctx.logins[username] = user
    return user


def seed_core(ctx: DemoContext) -> None:
    rng = ctx.rng
    ctx.company = services.org_unit_create(
        name="星辰科技", parent=None, kind=OrgUnit.Kind.COMPANY, code="company"
    )
    admin = _login(ctx, "admin", Role.ADMIN, ctx.company, "系统管理员")
    executive = _login(ctx, "executive", Role.EXECUTIVE, ctx.company, "林总")
    services.org_unit_set_manager(unit=ctx.company, manager=executive)
    del admin

    used: set[str] = set()
    for region_name, region_code, teams in REGIONS:
        region = services.org_unit_create(
            name=region_name, parent=ctx.company, kind=OrgUnit.Kind.REGION, code=region_code
        )
        ctx.regions.append(region)
        name, username = _person(ctx, used)
        region_manager = _login(ctx, username, Role.MANAGER, region, name)
        services.org_unit_set_manager(unit=region, manager=region_manager)
        for team_name, team_code in teams:
            team = services.org_unit_create(
                name=team_name, parent=region, kind=OrgUnit.Kind.TEAM, code=team_code
            )
            ctx.teams.append(team)
            if team_code == "sh-1":
                team_manager = _login(ctx, "manager", Role.MANAGER, team, "陈经理")
            else:
                name, username = _person(ctx, used)
                team_manager = _login(ctx, username, Role.MANAGER, team, name)
            services.org_unit_set_manager(unit=team, manager=team_manager)
            for index in range(rng.randint(5, 7)):
                if team_code == "sh-1" and index == 0:
                    rep = _login(ctx, "rep", Role.REP, team, "张小明")
                else:
                    name, username = _person(ctx, used)
                    rep = _login(ctx, username, Role.REP, team, name)
                days_ago = rng.randint(60, 5 * 365)
                hire = ctx.today - datetime.timedelta(days=days_ago)
                if rep.username == "rep":
                    # The demo rep has a full history to look at.
                    hire = datetime.date(ctx.today.year - 4, 3, 1)
                leave = None
                if rng.random() < 0.05 and rep.username != "rep":
                    leave = ctx.today - datetime.timedelta(days=rng.randint(10, 50))
                services.user_update(user=rep, hire_date=hire, leave_date=leave)
                if leave:
                    services.user_update(user=rep, is_active=False)
                ctx.reps.append(rep)

    # One hash for every demo login: hashing is deliberately slow (PBKDF2).
    User.objects.filter(pk__in=[u.pk for u in ctx.logins.values()]).update(
        password=make_password(settings.SALESGOALS["DEMO_PASSWORD"])
    )

    for year in range(ctx.today.year - 2, ctx.today.year + 2):
        existing = FiscalYear.objects.filter(year=year).first()
        ctx.fiscal_years.append(existing or services.fiscal_year_generate(year=year))


APP_DEMOS = ("kpis", "targets", "plans", "training", "incentives", "crm_sync")


def seed_all(
    *, today: datetime.date | None = None, apps: tuple[str, ...] | None = None
) -> DemoContext:
    from importlib import import_module
    from importlib.util import find_spec

    ctx = DemoContext(rng=random.Random(SEED), today=today or timezone.localdate())
    # The app demos rebuild their tables themselves (e.g. the full KPI rollup).
    with hooks.suspended():
        seed_core(ctx)
    for app in APP_DEMOS if apps is None else apps:
        if find_spec(f"{app}.demo") is not None:
            import_module(f"{app}.demo").seed(ctx)
    return ctx
