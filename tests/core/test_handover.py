"""The consents about a case: the summary shown before it is passed on, the earlier messages,
writing later and the record kept after the end; what the team sees and what is kept.

Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from console.case_view import CaseView
from core.handoff import Person
from core.menus import ALLOWED_PAYLOADS, consent_answer, consent_payload
from core.messages import LocationContent
from core.records.models import ConsentDecision, Handoff, HandoffMessage, utcnow
from core.records.transcripts import TranscriptMessage
from tests.core.conftest import HandoffKit

ADDRESS = "U0123456789abcdef"
TRIAGE = {
    "risk": "urgent",
    "urgent": True,
    "child": True,
    "families": ["document_retention", "restriction_of_movement", "child_involved"],
    "indicators": [{"id": "passport_kept", "family": "document_retention", "evidence": {"turn": 1, "text": "boss"}}],
}


def person(kit: HandoffKit, key: str = "conv-1", language: str = "en") -> Person:
    return Person(kit.add_conversation(key, language), "line", ADDRESS, language)


def keys(outbound) -> list[str]:
    return [part.key for part in outbound.say]


def answer(kit: HandoffKit, who: Person, kind: str, granted: bool) -> list:
    return asyncio.run(kit.handoffs.answer(who, kind, granted))


def view(kit: HandoffKit, case_id: str) -> dict:
    case_view = CaseView(
        kit.handoffs, kit.handoffs._handover, EarlierMessages(), kit.consents, kit.locations, kit.catalog
    )
    return case_view.details(kit.handoffs.case(case_id), me=0, operators=[])


class EarlierMessages:
    """The bot's transcript as the case view reads it: one earlier message from the person."""

    def messages(self, conversation: str) -> list[TranscriptMessage]:
        return [TranscriptMessage("person", "my boss keeps my passport", None, utcnow().timestamp() - 60)]


def test_the_summary_is_shown_before_it_is_passed_on_and_asked_once_per_case(kit):
    who = person(kit)
    kit.locations.receive(who.conversation, LocationContent(13.75, 100.5))
    kit.locations.consent(who.conversation)
    _notice, question = asyncio.run(kit.handoffs.request(who, "urgent", TRIAGE))
    assert keys(question) == [
        "summary.intro", "summary.language", "summary.child", "summary.urgent", "summary.signs", "summary.location",
        "consent.handover.ask", "consent.free_choice",
    ]  # fmt: skip
    assert question.menu == "consent_handover"
    text = kit.catalog.render(question, "en").text
    assert "someone keeps your documents, you cannot leave freely" in text, "signs in plain words, listed"
    assert "in Thailand (1300)" in text, "the team that would receive it is named"
    assert "\n- you may be under 18\n" in text, "list items follow each other line by line"
    assert "passport" not in text.lower() and "boss" not in text, "the summary holds no narrative"
    assert len(asyncio.run(kit.handoffs.request(who, "person", None))) == 1, "not asked twice for one case"


def test_without_a_yes_the_team_sees_neither_the_summary_nor_the_earlier_messages(kit):
    who = person(kit)
    asyncio.run(kit.handoffs.request(who, "urgent", TRIAGE))
    case_id = kit.handoffs.open_case(who.conversation)
    seen = view(kit, case_id)
    assert seen["shared"] == {"summary": False, "transcript": False}
    assert seen["triage"] is None and seen["transcript"] == []
    assert seen["urgent"] and seen["child"], "routing fields stay: the queue needs them"

    said = answer(kit, who, "handover", True)
    assert keys(said[0]) == ["consent.handover.given"] and said[1].menu == "consent_transcript"
    seen = view(kit, case_id)
    assert seen["shared"] == {"summary": True, "transcript": False}
    assert seen["triage"]["families"] == TRIAGE["families"]
    assert seen["triage"]["indicators"][0]["evidence"] is None, "the person's words need the second yes"
    assert seen["transcript"] == []

    answer(kit, who, "transcript", True)
    seen = view(kit, case_id)
    assert seen["triage"]["indicators"][0]["evidence"]["text"] == "boss"
    assert [entry["text"] for entry in seen["transcript"]] == ["my boss keeps my passport"]
    decision = kit.consents.current(who.conversation)["handover"]
    assert decision.recipient == "th-1300" and decision.language == "en" and len(decision.text_version) == 12


def test_after_a_no_the_person_is_asked_about_writing_later_only_while_nobody_can_answer(kit):
    who = person(kit)
    asyncio.run(kit.handoffs.request(who, "person", None))
    refused, follow_up = answer(kit, who, "handover", False)
    assert keys(refused) == ["consent.handover.refused"] and follow_up.menu == "consent_follow_up"
    (given,) = answer(kit, who, "follow_up", True)
    assert keys(given) == ["consent.follow_up.given"] and given.menu == "waiting"

    kit.on_duty.add("th-1300")
    other = person(kit, "conv-2")
    asyncio.run(kit.handoffs.request(other, "person", None))
    (refused,) = answer(kit, other, "handover", False)
    assert refused.menu == "waiting", "someone can join: no more questions, the way back stays"


def test_a_yes_counts_for_its_own_case_only(kit):
    who = person(kit)
    asyncio.run(kit.handoffs.request(who, "person", None))
    answer(kit, who, "handover", True)
    first = kit.handoffs.open_case(who.conversation)
    asyncio.run(kit.handoffs.leave_queue(first))
    _, question = asyncio.run(kit.handoffs.request(who, "person", None))
    second = kit.handoffs.open_case(who.conversation)
    assert question.menu == "consent_handover", "a new case asks again"
    assert view(kit, second)["shared"]["summary"] is False


def test_withdrawing_hides_the_summary_at_once(kit):
    who = person(kit)
    asyncio.run(kit.handoffs.request(who, "urgent", TRIAGE))
    case_id = kit.handoffs.open_case(who.conversation)
    answer(kit, who, "handover", True)
    assert view(kit, case_id)["triage"] is not None
    kit.consents.withdraw_all(who.conversation, "en")
    assert view(kit, case_id)["triage"] is None
    shared = kit.handoffs._handover.shared(who.conversation)
    assert [part.key for part in shared] == ["data.shared_summary"], "what was seen is still said"
    params = dict(shared[0].params)
    assert params["number"] == "1300" and len(params["time"]) == len("2026-11-24 14:02")


def claimed_case(kit: HandoffKit, who: Person) -> tuple[str, int]:
    asyncio.run(kit.handoffs.request(who, "urgent", TRIAGE))
    case_id = kit.handoffs.open_case(who.conversation)
    operator = kit.add_operator(f"op-{who.conversation}", ["th-1300"])
    asyncio.run(kit.handoffs.claim(case_id, operator))
    asyncio.run(kit.handoffs.person_wrote(case_id, "they lock the door", None))
    return case_id, operator


def stored(kit: HandoffKit, case_id: str) -> tuple:
    with kit.database.session() as session:
        row = session.get(Handoff, case_id)
        messages = session.scalars(select(HandoffMessage).where(HandoffMessage.handoff_id == case_id)).all()
        return row.conversation_id, row.address is not None, row.triage is not None, len(messages), row.families


def test_a_record_is_kept_after_the_end_only_with_a_yes_and_the_address_only_to_write_later(kit):
    kept, refused = person(kit, "kept"), person(kit, "refused")
    kept_case, operator = claimed_case(kit, kept)
    asyncio.run(kit.handoffs.close(kept_case, operator, "referred_hotline"))
    assert kit.catalog.text("en", "consent.record.ask", {"days": "90"}) in kit.texts_to(ADDRESS)[-1]
    answer(kit, kept, "record", True)
    assert stored(kit, kept_case)[:4] == ("kept", False, True, 1), "kept, without the address (no follow-up yes)"

    refused_case = claimed_case(kit, refused)[0]
    answer(kit, refused, "follow_up", True)
    asyncio.run(kit.handoffs.hand_back(refused_case, None))
    assert stored(kit, refused_case)[:4] == ("refused", True, True, 1), "unanswered yet: kept for the answer"
    (said,) = answer(kit, refused, "record", False)
    assert keys(said) == ["consent.record.refused"] and said.menu == "main"
    assert stored(kit, refused_case) == (None, False, False, 0, TRIAGE["families"]), "statistics only"


def test_an_unanswered_record_question_counts_as_no_after_a_day(kit):
    who = person(kit)
    case_id, operator = claimed_case(kit, who)
    asyncio.run(kit.handoffs.close(case_id, operator, "information_given"))
    assert kit.case_records.minimise(unanswered_ended_before=utcnow() - timedelta(hours=24)) == 0
    assert stored(kit, case_id)[0] == who.conversation
    assert kit.case_records.minimise(unanswered_ended_before=utcnow() + timedelta(seconds=1)) == 1
    assert stored(kit, case_id)[:4] == (None, False, False, 0)


def test_leaving_the_queue_keeps_nothing_but_statistics(kit):
    who = person(kit)
    asyncio.run(kit.handoffs.request(who, "urgent", TRIAGE))
    case_id = kit.handoffs.open_case(who.conversation)
    asyncio.run(kit.handoffs.leave_queue(case_id))
    assert stored(kit, case_id)[:4] == (None, False, False, 0)


def test_consent_buttons_are_the_only_payloads_that_answer_and_forged_ones_are_not_offered():
    for kind in ("handover", "transcript", "follow_up", "record"):
        for granted in (True, False):
            payload = consent_payload(kind, granted)
            assert payload in ALLOWED_PAYLOADS and consent_answer(payload) == (kind, granted)
    forged = ['/consent_yes{"kind":"location"}', '/consent_yes{"kind": "handover"}', "/consent_yes", "/consent_maybe"]
    for payload in forged:
        assert payload not in ALLOWED_PAYLOADS and consent_answer(payload) is None


def test_every_decision_is_logged_with_its_text_version_language_and_recipient(kit):
    who = person(kit, language="km")
    asyncio.run(kit.handoffs.request(who, "person", None))
    answer(kit, who, "handover", False)
    with kit.database.session() as session:
        row = session.scalars(select(ConsentDecision)).one()
    assert (row.kind, row.granted, row.text_key, row.language, row.recipient) == (
        "handover", False, "consent.handover.ask", "km", "th-1300"
    )  # fmt: skip


def test_a_family_report_summary_shows_only_the_button_answers_never_anything_else():
    from core.handover import family_report_parts

    parts = family_report_parts({"relation": "sibling", "last_contact": "months", "relative_country": "TH"})
    assert [(p.key, dict(p.params)) for p in parts] == [
        ("summary.report.relation", {"relation": "@report.relation.sibling"}),
        ("summary.report.last_contact", {"when": "@report.last_contact.months"}),
        ("summary.report.country", {"country": "@country.TH"}),
    ]
    forged = {"relation": "Somchai", "last_contact": "<script>", "relative_country": "unknown", "name": "Somchai"}
    assert family_report_parts(forged) == [] and family_report_parts("sibling") == []
