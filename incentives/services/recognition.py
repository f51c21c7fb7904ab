"""Recognition: manual badge awards with a message, and contests closed into winners."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from incentives import selectors
from incentives.leaderboards import leaderboard
from incentives.models import BadgeAward, Contest, ContestWinner
from salesgoals import scope
from salesgoals.models import Metric, OrgUnit, Period, User
from salesgoals.services import notification_send


@transaction.atomic
def badge_award(
    *, actor: User, person: User, badge: str, message: str = "", period: Period | None = None
) -> BadgeAward:
    badge = (badge or "").strip()
    if not badge:
        raise ValidationError({"badge": [_("Name the badge.")]})
    if len(badge) > 80:
        raise ValidationError({"badge": [_("Keep the badge name to 80 characters.")]})
    if not selectors.badge_can_award(actor, person):
        raise PermissionDenied(_("You may not award badges to this person."))
    award = BadgeAward.objects.create(
        person=person,
        badge=badge,
        source=BadgeAward.Source.MANUAL,
        message=(message or "").strip(),
        period=period,
        awarded_by=actor,
    )
    notification_send(
        recipient=person,
        title=_("You received the badge “%(badge)s”") % {"badge": badge},
        body=award.message,
        link=reverse("incentives:badges"),
        dedupe_key=f"badge:{award.pk}",
    )
    return award


@transaction.atomic
def contest_create(
    *,
    actor: User,
    name: str,
    metric: Metric,
    period: Period,
    org_unit: OrgUnit | None = None,
    rank_by: str = Contest.RankBy.ATTAINMENT,
    winners: int = 3,
    prize_minor: int = 0,
) -> Contest:
    if not scope.sees_everything(actor):
        raise PermissionDenied(_("Only executives and admins run contests."))
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Give the contest a name.")]
    if rank_by not in Contest.RankBy.values:
        errors["rank_by"] = [_("Unknown ranking.")]
    if not 1 <= int(winners) <= 20:
        errors["winners"] = [_("Choose between 1 and 20 winners.")]
    if prize_minor < 0:
        errors["prize"] = [_("The prize cannot be negative.")]
    if errors:
        raise ValidationError(errors)
    return Contest.objects.create(
        name=name.strip(),
        metric=metric,
        period=period,
        org_unit=org_unit,
        rank_by=rank_by,
        winners=winners,
        prize_minor=prize_minor,
    )


@transaction.atomic
def contest_close(*, actor: User, contest: Contest) -> list[ContestWinner]:
    """Rank the contest's leaderboard and record the winners with a badge each (once)."""
    if not scope.sees_everything(actor):
        raise PermissionDenied(_("Only executives and admins run contests."))
    item = Contest.objects.select_for_update().get(pk=contest.pk)
    if item.status == Contest.Status.CLOSED:
        return list(item.results.select_related("person"))
    rows = leaderboard(
        metric=item.metric,
        period=item.period,
        unit=item.org_unit,
        rank_by=item.rank_by,
        limit=item.winners,
    )
    winners = []
    for row in rows:
        value = f"{row.attainment}%" if item.rank_by == "attainment" else str(row.actual)
        winners.append(
            ContestWinner.objects.create(
                contest=item, person=row.person, rank=row.rank, value=value
            )
        )
        BadgeAward.objects.create(
            person=row.person,
            badge=item.name,
            source=BadgeAward.Source.CONTEST,
            message=_("Rank %(rank)s") % {"rank": row.rank},
            period=item.period,
            contest=item,
        )
        notification_send(
            recipient=row.person,
            title=_("You won rank %(rank)s in “%(contest)s”")
            % {"rank": row.rank, "contest": item.name},
            link=reverse("incentives:leaderboard"),
            dedupe_key=f"contest:{item.pk}:winner:{row.person.pk}",
        )
    item.status = Contest.Status.CLOSED
    item.save(update_fields=["status"])
    return winners
