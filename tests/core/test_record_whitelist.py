"""Nothing is stored that is not on the record whitelist (DO_NO_HARM.md §2.6, DNH-33).

Every column of every table the app creates is listed here with why it may be kept. A new
column fails this test until it is added here, on purpose, with its reason.
"""

from sqlalchemy import inspect

from core.records.db import Database

WHITELIST = {
    "conversations": {
        "id": "pseudonymous conversation id (an HMAC; the channel's user id is never stored)",
        "channel": "the channel kind (line, telegram, webchat), for rendering",
        "language": "the language of the chat (on the minimal record)",
        "language_chosen": "whether the person chose the language",
        "created_at": "for retention",
        "last_active_at": "for retention",
        "closed_at": "the person blocked the chat: nothing more may be sent",
        "training_by": "the trainer whose training chat this is (deleted when the training ends)",
        "zawgyi": "the person's phone types Burmese in Zawgyi, so their short messages are converted",
    },
    "consent_decisions": {
        "id": "row id",
        "conversation_id": "whose decision (pseudonymous)",
        "kind": "which consent",
        "granted": "yes or no",
        "text_key": "the question asked (consent log)",
        "text_version": "the question's version (consent log)",
        "language": "the language it was shown in (consent log)",
        "decided_at": "when (consent log)",
        "recipient": "the hotline team that receives what was agreed to (consent log)",
    },
    "channel_events": {
        "channel": "the channel kind",
        "event_hash": "a hash of the platform's event id, to process a redelivery once",
        "received_at": "to forget it after a week",
    },
    "inbox_events": {
        "id": "row id, the order events arrived in",
        "conversation": "whose event (pseudonymous), to handle one conversation's events in order",
        "event": "the event with the person's words and address, ENCRYPTED, deleted once answered",
        "message_hash": "a hash of the platform's message id, for a correction of a waiting message",
        "received_at": "to give up an event that could not be handled for too long",
        "attempts": "how often a process started on it, to give up one that keeps failing",
    },
    "conversation_leases": {
        "conversation": "which conversation (pseudonymous)",
        "owner": "the app process handling its events now",
        "until": "when another process may take over",
    },
    "health_probe": {
        "id": "the one row",
        "written_at": "the last health check's write",
    },
    "operators": {
        "id": "row id",
        "username": "the operator's sign-in name (staff, not a person writing in)",
        "display_name": "the name other operators see",
        "password_hash": "an Argon2id hash, never the password",
        "role": "what the account may see and do",
        "teams": "the hotline teams whose cases it takes",
        "disabled": "an account that can no longer sign in",
        "on_duty": "whether the operator takes cases now (no dead ends)",
        "failed_sign_ins": "for the lock-out after repeated failures",
        "locked_until": "for the lock-out after repeated failures",
        "created_at": "when the account was made",
    },
    "console_sessions": {
        "token_hash": "a hash of the session cookie, never the cookie",
        "operator_id": "whose session",
        "csrf_token": "the session's CSRF token",
        "created_at": "for the absolute expiry",
        "expires_at": "for the absolute expiry",
        "last_seen_at": "for the idle expiry",
    },
    "handoffs": {
        "id": "random case id",
        "conversation_id": "whose case (pseudonymous; emptied when forgotten)",
        "channel": "the channel kind, to write back",
        "address": "the channel's user id, ENCRYPTED, to write to the person (deleted when forgotten)",
        "language": "the language of the chat (minimal record)",
        "country": "country, at the level needed for routing (minimal record)",
        "child": "child flag (minimal record)",
        "risk": "risk level as a code (minimal record)",
        "urgent": "danger flag (minimal record)",
        "families": "indicator flags as codes, not narrative (minimal record)",
        "triage": "the triage with its evidence, ENCRYPTED, for the operator (deleted when forgotten)",
        "reason": "why the case opened: asked, urgent or operator",
        "team": "the hotline team it is queued to",
        "state": "queued, active, returned or closed",
        "operator_id": "who has the case",
        "outcome": "how it ended, as a code",
        "requested_at": "for the times to alert, claim and first message",
        "queued_at": "for the dead-end rule",
        "alerted_at": "time to alert",
        "claimed_at": "time to claim",
        "first_reply_at": "time to first operator message",
        "person_told_at": "the person was told nobody could answer yet (once)",
        "consent_asked_at": "when the person was asked whether the summary may be passed on (asked once per case)",
        "ended_at": "when the case ended",
        "training": "a training chat's case: only trainers see it, deleted with the chat",
    },
    "handoff_messages": {
        "id": "row id",
        "handoff_id": "which case",
        "author": "person or operator",
        "operator_id": "which operator wrote it",
        "text": "the message, ENCRYPTED (deleted when forgotten)",
        "message_ref": "a pseudonymous reference, to blank a message the person unsends",
        "sent_at": "when",
    },
    "audit_log": {
        "id": "row id",
        "at": "when",
        "operator_id": "who",
        "action": "what (a code)",
        "handoff_id": "on which case",
        "detail": "a code (an outcome, a transfer target's id), never content",
    },
    "alembic_version": {"version_num": "the schema's version"},
}


def test_every_stored_column_is_on_the_whitelist(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'saphan.db'}")
    database.migrate()
    inspector = inspect(database.engine)
    stored = {table: {c["name"] for c in inspector.get_columns(table)} for table in inspector.get_table_names()}
    database.dispose()
    assert stored == {table: set(columns) for table, columns in WHITELIST.items()}
