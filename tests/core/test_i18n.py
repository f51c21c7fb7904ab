"""The zh-hans and en message catalogues are complete and use the glossary's words."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
@pytest.mark.parametrize("domain", ["django"])
def test_catalogue_is_complete(language, domain) -> None:
    catalogue = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / f"{domain}.po"))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert missing == []
    assert fuzzy == []
    assert len(catalogue.translated_entries()) > 100


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("Sales rep", "销售代表"),
        ("Sales manager", "销售经理"),
        ("Executive", "管理层"),
        ("Admin", "管理员"),
        ("Fiscal calendar", "财年日历"),
        ("Targets", "销售目标"),
        ("Log in", "登录"),
    ],
)
def test_glossary_terms(english, chinese) -> None:
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_amounts_are_grouped_by_thousands(language) -> None:
    from salesgoals.money import format_money

    with translation.override(language):
        assert format_money(123456789) == "¥1,234,567.89"
