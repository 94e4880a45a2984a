"""The catalogue's approved templates as Meta knows them: the row of a template message keeps
the catalogue's template id (`content_sid`, Twilio's Content SID); a Meta number sends the
same template by its WhatsApp Manager name and language (`meta_name`, `meta_language`)."""

from __future__ import annotations

from pandawa.catalog.queries import active_catalog
from pandawa.channels.meta import MetaTemplate
from pandawa.core.extensions import db


def catalog_templates() -> dict[str, MetaTemplate]:
    """content_sid → Meta template, from the catalogue in force. Asked just before a template
    goes out: a read of its own, ended at once, so no transaction stays open across the call."""
    opened = db.session().in_transaction()
    try:
        catalog = active_catalog()
    except LookupError:  # no catalogue loaded: no template can be named
        return {}
    finally:
        if not opened:
            db.session.rollback()
    return {
        spec.content_sid: MetaTemplate(spec.meta_name, spec.meta_language)
        for spec in catalog.templates.values()
        if spec.meta_name
    }
