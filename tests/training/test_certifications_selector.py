"""valid_certifications: which course codes a person holds a valid certification in on a day."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import UserFactory
from training.models import Certification, Course
from training.selectors import valid_certifications

D = datetime.date


@pytest.mark.django_db
def test_valid_certifications_respects_issue_and_expiry_dates(django_assert_max_num_queries):
    a, b, c = UserFactory(), UserFactory(), UserFactory()
    basics = Course.objects.create(code="product-basics", title="Product basics")
    nego = Course.objects.create(code="negotiation", title="Negotiation")
    Certification.objects.create(
        user=a, course=basics, issued_on=D(2026, 1, 10), expires_on=D(2026, 12, 31)
    )
    Certification.objects.create(user=a, course=nego, issued_on=D(2026, 3, 1), expires_on=None)
    Certification.objects.create(
        user=b, course=basics, issued_on=D(2025, 1, 1), expires_on=D(2025, 12, 31)
    )

    with django_assert_max_num_queries(1):
        got = valid_certifications([a.id, b.id, c.id], on=D(2026, 6, 1))
    assert got == {a.id: {"product-basics", "negotiation"}, b.id: set(), c.id: set()}

    # Boundaries: issued_on and expires_on are both inclusive.
    assert valid_certifications([a.id], D(2026, 1, 10)) == {a.id: {"product-basics"}}
    assert valid_certifications([a.id], D(2026, 1, 9)) == {a.id: set()}
    assert valid_certifications([b.id], D(2025, 12, 31)) == {b.id: {"product-basics"}}
    assert valid_certifications([b.id], D(2026, 1, 1)) == {b.id: set()}
    assert valid_certifications([], D(2026, 1, 1)) == {}
