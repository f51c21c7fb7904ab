from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage


def test_plotly_js_is_found_locally() -> None:
    path = finders.find("vendor/plotly/plotly.min.js")
    assert path is not None
    assert path.endswith("plotly.min.js")
    assert staticfiles_storage.url("vendor/plotly/plotly.min.js").endswith("plotly.min.js")


def test_collectstatic_copies_only_the_bundle(tmp_path, settings) -> None:
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", "--noinput", "-v0")
    assert (tmp_path / "vendor/plotly/plotly.min.js").stat().st_size > 1_000_000
    assert not (tmp_path / "vendor/plotly/widgetbundle.js").exists()
    assert not (tmp_path / "datasets").exists()
