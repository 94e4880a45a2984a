"""An office's supervisory region (issue 17's scopes) comes from the catalogue: `pandawa catalog
load` shows it changing and puts it on the office, where a regional supervisor's scope finds it."""

from __future__ import annotations

import sqlalchemy as sa

from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.hours.models import Office
from tests.catalog.editing import edit


def test_a_region_added_in_the_catalogue_is_shown_and_stored(app, session, write_catalog):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["catalog", "load"]).exit_code == 0
    text = SHIPPED_CATALOG.read_text(encoding="utf-8")
    path = write_catalog(
        edit(
            text,
            "    timezone: Asia/Jakarta\n",
            "    timezone: Asia/Jakarta\n    region: DKI-JAKARTA\n",
        )
    )

    result = runner.invoke(args=["catalog", "load", str(path)])

    assert result.exit_code == 0, result.output
    assert "changed  office JKT-PUSAT region: — → 'DKI-JAKARTA'" in result.stdout
    session.expire_all()
    assert (
        session.scalar(sa.select(Office.region).where(Office.code == "JKT-PUSAT")) == "DKI-JAKARTA"
    )
    again = runner.invoke(args=["catalog", "load", str(path)])
    assert again.exit_code == 0 and "no change" in again.stdout


def test_a_blank_region_is_refused_naming_the_key(app, session, write_catalog):
    text = SHIPPED_CATALOG.read_text(encoding="utf-8")
    path = write_catalog(
        edit(text, "    timezone: Asia/Jakarta\n", '    timezone: Asia/Jakarta\n    region: " "\n')
    )
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(path)])
    assert result.exit_code != 0
    line = text[: text.index("    timezone: Asia/Jakarta\n")].count("\n") + 2  # the region's
    assert f":{line}: offices[0].region: is empty; fix: write a value" in result.output
