"""`pandawa catalog load` shows a change of a service's checklist item by item (issue 17)."""

from __future__ import annotations

from pandawa.catalog.schema import SHIPPED_CATALOG
from tests.catalog.editing import edit


def test_load_shows_checklist_items_added_changed_and_removed(
    app, session, write_catalog, default_text
):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["catalog", "load", str(SHIPPED_CATALOG)]).exit_code == 0
    text = edit(default_text, "        on_fail: continue\n", "        on_fail: stop\n")
    text = edit(
        text,
        "            required: false\n",
        "            required: false\n"
        "          - kind: document\n"
        "            label: {id: Surat kuasa, en: a letter of authorisation}\n"
        "            required: false\n",
    )

    result = runner.invoke(args=["catalog", "load", str(write_catalog(text))])

    assert result.exit_code == 0, result.output
    assert "  changed  menu 3 checklist[0] on_fail: 'continue' → 'stop'" in result.stdout
    assert "  added    menu 2.3 checklist[4] document 'Surat kuasa'" in result.stdout

    result = runner.invoke(args=["catalog", "load", str(SHIPPED_CATALOG)])
    assert "  removed  menu 2.3 checklist[4] document 'Surat kuasa'" in result.stdout
    assert "  changed  menu 3 checklist[0] on_fail: 'stop' → 'continue'" in result.stdout
