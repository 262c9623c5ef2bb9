"""Key rotation: re-encrypt every sealed field of the records with the first configured key.

Put the new key first in SAPHAN_ENCRYPTION_KEY (keeping the old one after it), run
`./saphan rotate-key`, then remove the old key.

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from sqlalchemy import select, update

from core.crypto import Sealer
from core.records.db import Database
from core.records.models import Handoff, HandoffMessage

# Every encrypted column, with the primary key of its table.
SEALED_COLUMNS = ((Handoff.id, Handoff.address), (Handoff.id, Handoff.triage), (HandoffMessage.id, HandoffMessage.text))


def rotate(database: Database, sealer: Sealer) -> int:
    """Re-encrypt every sealed field with the first key, in one transaction; return how many.

    Raises:
        core.crypto.UnreadableField: a field no configured key opens (nothing is changed).
    """
    changed = 0
    with database.session() as session:
        for key, column in SEALED_COLUMNS:
            for row_id, sealed in session.execute(select(key, column).where(column.is_not(None))).all():
                session.execute(update(key.class_).where(key == row_id).values({column.key: sealer.reseal(sealed)}))
                changed += 1
        session.commit()
    return changed
