"""Demo training data in Chinese: a catalogue, assignments in every state, quiz scores,
certifications (some expiring soon) and recommendations computed from the demo KPIs.

The catalogue, the rules and the demo rep's own assignments go through `training.services`
(the real flow: assign, complete modules, fail then pass a quiz). The history of the other
reps — completions spread over the past months, so the effectiveness report has something
to compare — is bulk-inserted to stay fast. Deterministic: choices come from `ctx.rng`.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from salesgoals.models import Role
from training import services
from training.models import (
    Assignment,
    Certification,
    Course,
    ModuleCompletion,
    QuizAttempt,
)

if TYPE_CHECKING:
    from salesgoals.demo import DemoContext

DOCS = "https://docs.example.com/training/"

CATALOGUE = [
    {
        "code": "product-basics",
        "title": "产品知识入门",
        "category": Course.Category.PRODUCT_KNOWLEDGE,
        "certifying": True,
        "months": 12,
        "description": "主力产品线的功能、价格与典型应用场景，新员工必修。",
        "modules": [
            ("产品线总览", "三条产品线的定位、目标客户与主要竞品。", None),
            ("价格体系与折扣权限", "标准价、渠道价与各级折扣审批权限。", None),
            (
                "产品知识测验",
                "完成测验以获得产品认证。",
                [
                    ("旗舰产品面向哪类客户？", [("中大型企业", True), ("个人用户", False)]),
                    (
                        "销售经理可审批的最大折扣是？",
                        [("10%", True), ("30%", False), ("不限", False)],
                    ),
                    (
                        "哪些属于增值服务？（多选）",
                        [("上门培训", True), ("年度巡检", True), ("免费硬件", False)],
                    ),
                ],
            ),
        ],
    },
    {
        "code": "consultative-selling",
        "title": "顾问式销售",
        "category": Course.Category.SALES_SKILLS,
        "certifying": True,
        "months": 24,
        "description": "从需求挖掘到方案呈现，提升赢单率。",
        "modules": [
            ("需求挖掘：SPIN 提问", "情境、问题、影响、需求效益四类问题。", None),
            ("方案呈现与价值量化", "把功能转化为客户可衡量的收益。", None),
            (
                "顾问式销售测验",
                "",
                [
                    ("SPIN 中的 I 指什么？", [("影响问题", True), ("信息", False)]),
                    ("客户说“太贵了”时首先应该？", [("了解比较对象", True), ("直接降价", False)]),
                    ("价值量化的依据是？", [("客户自己的数据", True), ("行业传闻", False)]),
                ],
            ),
        ],
    },
    {
        "code": "pipeline-management",
        "title": "销售漏斗管理",
        "category": Course.Category.SALES_SKILLS,
        "certifying": False,
        "months": None,
        "description": "用漏斗看清本月能成交什么，提前补足商机。",
        "modules": [
            ("漏斗阶段与赢率", "各阶段的进入/退出标准。", None),
            ("周度漏斗复盘", "如何在周会上用数据复盘。", None),
        ],
    },
    {
        "code": "key-account-care",
        "title": "老客户维护与续约",
        "category": Course.Category.CUSTOMER_COMMUNICATION,
        "certifying": False,
        "months": None,
        "description": "提高客户留存：定期回访、续约提醒与满意度跟进。",
        "modules": [
            ("回访节奏", "按客户价值分层设定回访频率。", None),
            (
                "续约沟通测验",
                "",
                [
                    ("续约沟通最好提前多久开始？", [("90 天", True), ("到期当天", False)]),
                    ("客户投诉后应在多久内回复？", [("24 小时内", True), ("一周内", False)]),
                ],
            ),
        ],
    },
    {
        "code": "business-etiquette",
        "title": "商务礼仪与沟通",
        "category": Course.Category.CUSTOMER_COMMUNICATION,
        "certifying": False,
        "months": None,
        "description": "拜访、宴请与邮件沟通的基本礼仪。",
        "modules": [("拜访礼仪", "", None), ("商务邮件写作", "", None)],
    },
    {
        "code": "compliance-annual",
        "title": "年度合规培训",
        "category": Course.Category.COMPLIANCE,
        "certifying": True,
        "months": 12,
        "description": "反商业贿赂与数据安全，每年必修。",
        "modules": [
            ("反商业贿赂", "", None),
            (
                "合规测验",
                "",
                [
                    ("客户赠送贵重礼品应？", [("婉拒并报备", True), ("私下收下", False)]),
                    ("客户数据可以发到个人邮箱吗？", [("不可以", True), ("可以", False)]),
                ],
            ),
        ],
    },
]

RULES = [
    (
        "转化率连续两月低于团队中位数",
        "conversion_rate",
        "below_team_median",
        2,
        None,
        "consultative-selling",
    ),
    ("客户留存率连续两月下降", "retention_rate", "falling", 2, None, "key-account-care"),
    ("上月销售额达成率低于 80%", "revenue", "attainment_below", 1, 80, "pipeline-management"),
]


def _catalogue(admin) -> dict[str, Course]:
    courses: dict[str, Course] = {}
    for spec in CATALOGUE:
        course = services.course_create(
            actor=admin,
            code=spec["code"],
            title=spec["title"],
            category=spec["category"],
            description=spec["description"],
            certifying=spec["certifying"],
            certification_valid_months=spec["months"],
        )
        for number, (title, body, questions) in enumerate(spec["modules"], start=1):
            module = services.module_save(actor=admin, course=course, title=title, body=body)
            services.material_add(
                actor=admin,
                module=module,
                title=f"{title}（讲义）",
                url=f"{DOCS}{course.code}/{number}",
            )
            if questions:
                quiz = services.quiz_set(actor=admin, module=module, pass_mark=70)
                for text, options in questions:
                    services.question_add(actor=admin, quiz=quiz, text=text, options=options)
        courses[course.code] = course
    return courses


def _rules(admin, courses: dict[str, Course]) -> None:
    for name, metric, condition, months, threshold, code in RULES:
        services.rule_save(
            actor=admin,
            name=name,
            metric=metric,
            condition=condition,
            months=months,
            threshold=threshold,
            course=courses[code],
        )


def _answers(quiz, right: bool) -> dict[str, list[int]]:
    out = {}
    for question in quiz.questions.prefetch_related("options"):
        options = list(question.options.all())
        pick = [o.pk for o in options if o.correct == right]
        out[str(question.pk)] = pick if right else pick[:1]
    return out


def _demo_rep(ctx: DemoContext, courses: dict[str, Course]) -> None:
    """The `rep` login: one completed with certification, one in progress, one just assigned
    by the manager, one overdue (backdated)."""
    rep, manager = ctx.logins.get("rep"), ctx.logins.get("manager")
    if rep is None or manager is None:
        return
    today = ctx.today
    # Completed: failed the quiz once, then passed; certified.
    (done,) = services.assign(actor=manager, course=courses["product-basics"], users=[rep])
    modules = list(courses["product-basics"].modules.select_related("quiz").order_by("order"))
    for module in modules:
        quiz = getattr(module, "quiz", None)
        if quiz is None:
            services.module_complete(actor=rep, assignment=done, module=module)
        else:
            services.quiz_submit(
                actor=rep, assignment=done, module=module, answers=_answers(quiz, False)
            )
            services.quiz_submit(
                actor=rep, assignment=done, module=module, answers=_answers(quiz, True)
            )
    # Its certification was earned 11.5 months ago: expiring soon.
    issued = today - relativedelta(months=11, days=15)
    Assignment.objects.filter(pk=done.pk).update(completed_on=issued)
    Certification.objects.filter(assignment=done).update(
        issued_on=issued, expires_on=issued + relativedelta(months=12) - datetime.timedelta(1)
    )
    # In progress: the first module done.
    (going,) = services.assign(
        actor=manager,
        course=courses["consultative-selling"],
        users=[rep],
        due_on=today + datetime.timedelta(days=21),
    )
    first = courses["consultative-selling"].modules.order_by("order").first()
    services.module_complete(actor=rep, assignment=going, module=first)
    # Just assigned, due next month.
    services.assign(
        actor=manager,
        course=courses["business-etiquette"],
        users=[rep],
        due_on=today + datetime.timedelta(days=40),
    )
    # Overdue: assigned last quarter, due two weeks ago.
    (late,) = services.assign(actor=manager, course=courses["compliance-annual"], users=[rep])
    Assignment.objects.filter(pk=late.pk).update(due_on=today - datetime.timedelta(days=14))


def _history(ctx: DemoContext, courses: dict[str, Course]) -> None:
    """Other reps: completions over the past 10 months (with scores and certifications),
    plus open, overdue and cancelled assignments — bulk-inserted."""
    rng, today = ctx.rng, ctx.today
    rep_login = ctx.logins.get("rep")
    admin = ctx.logins.get("admin")
    reps = [
        r
        for r in ctx.reps
        if r.is_active and r.role == Role.REP and (rep_login is None or r.pk != rep_login.pk)
    ]
    modules = {
        code: list(course.modules.select_related("quiz").order_by("order"))
        for code, course in courses.items()
    }
    rows: list[tuple[Assignment, str]] = []
    for rep in reps:
        for code in (
            "product-basics",
            "consultative-selling",
            "key-account-care",
            "compliance-annual",
            "pipeline-management",
        ):
            roll = rng.random()
            if roll < 0.45:
                finished = today - datetime.timedelta(days=rng.randint(20, 300))
                a = Assignment(
                    user=rep,
                    course=courses[code],
                    status=Assignment.Status.COMPLETED,
                    source=Assignment.Source.UNIT,
                    assigned_by=admin,
                    due_on=finished + datetime.timedelta(days=rng.randint(0, 20)),
                    completed_on=finished,
                    org_unit=rep.org_unit,
                )
                rows.append((a, "completed"))
            elif roll < 0.60:
                a = Assignment(
                    user=rep,
                    course=courses[code],
                    status=Assignment.Status.IN_PROGRESS,
                    assigned_by=admin,
                    due_on=today + datetime.timedelta(days=rng.randint(-20, 40)),
                )
                rows.append((a, "in_progress"))
            elif roll < 0.70:
                a = Assignment(
                    user=rep,
                    course=courses[code],
                    assigned_by=admin,
                    due_on=today + datetime.timedelta(days=rng.randint(-10, 60)),
                )
                rows.append((a, "assigned"))
            elif roll < 0.73:
                a = Assignment(
                    user=rep,
                    course=courses[code],
                    status=Assignment.Status.CANCELLED,
                    assigned_by=admin,
                )
                rows.append((a, "cancelled"))
    Assignment.objects.bulk_create([a for a, _kind in rows])
    completions, attempts, certs = [], [], []
    for a, kind in rows:
        course_modules = modules[a.course.code]
        if kind == "in_progress":
            completions.append(ModuleCompletion(assignment=a, module=course_modules[0]))
            continue
        if kind != "completed":
            continue
        scores = []
        for module in course_modules:
            completions.append(ModuleCompletion(assignment=a, module=module))
            quiz = getattr(module, "quiz", None)
            if quiz is not None:
                total = quiz.questions.count()
                correct = total if rng.random() < 0.7 else max(total - 1, 0)
                score = (correct * 200 + total) // (2 * total) if total else 0
                if score < quiz.pass_mark:  # failed first, passed on the retake
                    attempts.append(
                        QuizAttempt(
                            assignment=a,
                            quiz=quiz,
                            correct=correct,
                            total=total,
                            score=score,
                            passed=False,
                        )
                    )
                    correct, score = total, 100
                attempts.append(
                    QuizAttempt(
                        assignment=a,
                        quiz=quiz,
                        correct=correct,
                        total=total,
                        score=score,
                        passed=True,
                    )
                )
                scores.append(score)
        a.score = round(sum(scores) / len(scores)) if scores else None
        course = a.course
        if course.certifying:
            expires = (
                a.completed_on
                + relativedelta(months=course.certification_valid_months)
                - datetime.timedelta(1)
                if course.certification_valid_months
                else None
            )
            certs.append(
                Certification(
                    user=a.user,
                    course=course,
                    assignment=a,
                    issued_on=a.completed_on,
                    expires_on=expires,
                )
            )
    Assignment.objects.bulk_update([a for a, kind in rows if kind == "completed"], ["score"])
    ModuleCompletion.objects.bulk_create(completions)
    QuizAttempt.objects.bulk_create(attempts)
    # A few older certifications: some already expired, some expiring within the month.
    offsets = (-40, -5, 9, 18, 26, 45)
    for rep, offset in zip(rng.sample(reps, min(len(offsets), len(reps))), offsets, strict=False):
        end = today + datetime.timedelta(days=offset)
        certs.append(
            Certification(
                user=rep,
                course=courses["compliance-annual"],
                issued_on=end - relativedelta(years=1) + datetime.timedelta(1),
                expires_on=end,
            )
        )
    Certification.objects.bulk_create(certs)


def seed(ctx: DemoContext) -> None:
    admin = ctx.logins.get("admin")
    if admin is None:
        return
    courses = _catalogue(admin)
    _rules(admin, courses)
    _demo_rep(ctx, courses)
    _history(ctx, courses)
    services.recommendations_compute(on=ctx.today)
