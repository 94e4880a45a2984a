"""`pandawa catalog load` and `pandawa catalog check` as an operator runs them."""

from __future__ import annotations

import re

import sqlalchemy as sa

from pandawa.catalog.models import CatalogRevision
from pandawa.catalog.schema import SHIPPED_CATALOG
from pandawa.hours.models import Office
from tests.catalog.editing import edit, line_of
from tests.harness import EXAMPLE


def revisions(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(CatalogRevision))


def test_load_names_the_file_and_ends_with_a_one_line_summary(app, session):
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(SHIPPED_CATALOG)])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Memuat katalog / loading catalogue: {SHIPPED_CATALOG}"
    assert re.search(r"1 office, 5 queues, \d+ menu items, \d+ FAQ entries$", lines[-1])
    assert revisions(session) == 1
    assert session.scalar(sa.select(Office.code)) == "JKT-PUSAT"


def test_load_names_what_it_deactivated(app, session):
    runner = app.test_cli_runner()
    runner.invoke(args=["catalog", "load", str(EXAMPLE)])

    result = runner.invoke(args=["catalog", "load", str(SHIPPED_CATALOG)])

    assert result.exit_code == 0, result.output
    assert "deactivated office BANDUNG, office JAYAPURA, office MAKASSAR" in result.stdout


def test_load_of_a_broken_file_exits_1_with_the_message(app, session, write_catalog, default_text):
    text = edit(default_text, "queue: PERUBAHAN_FASKES", "queue: FASKES")
    path = write_catalog(text)

    result = app.test_cli_runner().invoke(args=["catalog", "load", str(path)])

    assert result.exit_code == 1
    assert result.stdout == f"Memuat katalog / loading catalogue: {path}\n"
    assert result.stderr.startswith(
        f"{path}:{line_of(text, 'queue: FASKES')}: menu[2].queue: queue 'FASKES' is not defined"
    )
    assert "; fix: " in result.stderr
    assert revisions(session) == 0


def test_load_of_a_missing_file_exits_1(app, session, tmp_path):
    result = app.test_cli_runner().invoke(args=["catalog", "load", str(tmp_path / "x.yaml")])

    assert result.exit_code == 1
    assert "x.yaml: no such file; fix:" in result.stderr


def test_check_validates_without_storing(app, session):
    result = app.test_cli_runner().invoke(args=["catalog", "check", str(EXAMPLE)])

    assert result.exit_code == 0, result.output
    assert "valid (4 offices, 3 queues, 4 menu items, 1 FAQ entry)" in result.stdout
    assert revisions(session) == 0


def test_check_of_a_broken_file_exits_1(app, write_catalog, default_text):
    path = write_catalog(edit(default_text, "sla_minutes: 60", "sla_minutes: 0"))

    result = app.test_cli_runner().invoke(args=["catalog", "check", str(path)])

    assert result.exit_code == 1
    assert "queues[4].sla_minutes: 0 is out of range; fix: use a number ≥ 1" in result.stderr
