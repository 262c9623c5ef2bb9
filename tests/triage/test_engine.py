"""The triage engine's combination rule, case by case, on a small catalogue of its own."""

from __future__ import annotations

import pytest

from triage.catalogue import FAMILIES, Catalogue, Indicator
from triage.cues import CueMatch
from triage.engine import RISK_LEVELS, Turn, assess

STRENGTH = {
    "deception": "medium",
    "intimidation_threats": "medium",
    "withheld_wages": "medium",
    "abusive_conditions": "medium",
    "abuse_of_vulnerability": "weak",
}


def _catalogue() -> Catalogue:
    indicators = {
        f"{family}_default": Indicator(
            f"{family}_default", family, STRENGTH.get(family, "strong"), family, "exploitation", "test"
        )
        for family in FAMILIES
    }
    return Catalogue("test-1", indicators, {f: f"{f}_default" for f in FAMILIES}, {})


def said(text: str, intent: str, confidence: float = 0.8, **extra) -> Turn:
    return Turn(text, ((intent, confidence), ("greet", 0.01)), **extra)


def cue(signal: str, words: str) -> CueMatch:
    return CueMatch(signal, words)


def test_greeting_and_information_are_none():
    result = assess([said("hi", "greet"), said("what is the minimum wage", "ask_rights")], _catalogue())
    assert (result.risk, result.urgent, result.families) == ("none", False, [])


def test_a_worry_alone_is_low():
    assert assess([said("is this agency real", "ask_job_offer")], _catalogue()).risk == "low"


def test_one_medium_indicator_is_medium():
    result = assess([said("they pay less than promised", "disclose_wages_withheld")], _catalogue())
    assert (result.risk, result.families) == ("medium", ["withheld_wages"])


def test_one_strong_indicator_is_high():
    result = assess([said("boss keeps my passport", "disclose_documents_taken")], _catalogue())
    assert (result.risk, result.families) == ("high", ["document_retention"])


def test_two_medium_families_are_high():
    turns = [said("job not as promised", "disclose_deception"), said("no salary 3 months", "disclose_wages_withheld")]
    result = assess(turns, _catalogue())
    assert (result.risk, result.families) == ("high", ["deception", "withheld_wages"])


@pytest.mark.parametrize("intent", ["danger_now", "self_harm", "medical_need"])
def test_danger_self_harm_and_medical_need_are_urgent(intent):
    result = assess([said("…", intent)], _catalogue())
    assert result.risk == "urgent" and result.urgent
    assert result.urgent_reasons[0].via == "intent"


def test_safety_net_phrase_makes_a_misread_message_urgent():
    turn = Turn("they lock me in now", (("greet", 0.9),), cues=(cue("danger_now", "lock me in now"),))
    result = assess([turn], _catalogue())
    assert result.risk == "urgent"
    assert [(r.signal, r.via) for r in result.urgent_reasons] == [("danger_now", "phrase")]


@pytest.mark.parametrize("intent", ["disclose_confinement", "disclose_violence"])
def test_confinement_and_violence_are_urgent_whether_or_not_they_are_over(intent):
    result = assess([said("…", intent)], _catalogue())
    assert result.risk == "urgent" and [r.via for r in result.urgent_reasons] == ["intent"]


def test_having_got_out_keeps_past_confinement_from_being_urgent_but_not_danger():
    escaped = Turn("i escaped last week", (("greet", 0.9),), cues=(cue("out_of_danger", "i escaped"),))
    past = assess([escaped, said("they locked us in", "disclose_confinement")], _catalogue())
    assert (past.risk, past.families) == ("high", ["restriction_of_movement"])
    chased = assess([escaped, said("they are coming for me now", "danger_now")], _catalogue())
    assert chased.risk == "urgent"


def test_i_got_out_misread_as_danger_is_not_urgent_but_a_danger_phrase_still_is():
    got_out = (cue("out_of_danger", "i got out"),)
    misread = Turn("i got out, now at my friend's room", (("danger_now", 0.35),), cues=got_out)
    assert assess([misread], _catalogue()).risk == "none"
    sure = Turn("i got out but they are right behind me", (("danger_now", 0.7),), cues=got_out)
    assert assess([sure], _catalogue()).risk == "urgent"
    chased = Turn("i got out, they chase me", (("danger_now", 0.35),), cues=(*got_out, cue("danger_now", "chase me")))
    assert assess([chased], _catalogue()).risk == "urgent"


def test_a_second_intent_never_makes_a_child():
    turn = Turn("no pay, must work off the debt", (("disclose_debt", 0.4), ("disclose_underage", 0.3)))
    assert assess([turn], _catalogue()).child is False


def test_an_adult_age_is_never_read_as_underage():
    result = assess([said("i am 22, they made me sit with customers", "disclose_underage", ages=(22,))], _catalogue())
    assert (result.child, result.families) == (False, [])


def test_a_child_with_any_other_indicator_is_urgent():
    turns = [said("i am 15", "disclose_underage", ages=(15,)), said("no pay", "disclose_wages_withheld")]
    result = assess(turns, _catalogue())
    assert (result.risk, result.child) == ("urgent", True)
    assert result.urgent_reasons[-1].via == "child"


def test_a_stated_age_under_18_alone_makes_a_child_but_not_urgent():
    result = assess([said("im 16 is it legal to work in a factory", "ask_rights", ages=(16,))], _catalogue())
    assert (result.child, result.risk, result.families) == (True, "high", ["child_involved"])


def test_an_adult_age_is_not_a_child():
    assert assess([said("i am 25", "greet", ages=(25,))], _catalogue()).child is False


def test_danger_appearing_only_in_a_later_message_is_urgent():
    turns = [said("hello", "greet"), said("i work on a boat", "out_of_scope"), said("help they will kill me", "danger_now")]
    result = assess(turns, _catalogue())
    assert result.risk == "urgent" and result.urgent_reasons[0].turn == 2


def test_agreeing_or_crossing_irregularly_never_lowers_the_risk():
    before = assess([said("boss took my passport", "disclose_documents_taken")], _catalogue())
    after = assess(
        [said("boss took my passport", "disclose_documents_taken"), said("but i agreed to the job", "affirm"),
         said("i crossed the border illegally", "out_of_scope"), said("i dont remember", "deny")],
        _catalogue(),
    )  # fmt: skip
    assert RISK_LEVELS.index(after.risk) >= RISK_LEVELS.index(before.risk)
    assert set(before.families) <= set(after.families)


def test_the_same_facts_give_the_same_risk_whoever_says_them():
    fisher = assess([said("i am a fisherman, captain keeps my id card", "disclose_documents_taken")], _catalogue())
    maid = assess([said("i am a maid, madam keeps my passport", "disclose_documents_taken")], _catalogue())
    assert (fisher.risk, fisher.families) == (maid.risk, maid.families)


def test_a_low_confidence_intent_is_not_evidence():
    assert assess([said("mmm", "disclose_violence", confidence=0.05)], _catalogue()).risk == "none"


def test_a_close_second_disclosure_adds_its_family():
    turn = Turn("they took my passport and lock the door", (("disclose_documents_taken", 0.45), ("disclose_confinement", 0.35)))
    assert assess([turn], _catalogue()).families == ["document_retention", "restriction_of_movement"]


def test_a_cue_picks_between_the_families_of_a_two_family_intent():
    turn = said("they took my phone, cant call my mother", "disclose_confinement", cues=(cue("isolation", "took my phone"),))
    assert assess([turn], _catalogue()).families == ["isolation"]


def test_every_indicator_carries_its_evidence():
    turns = [said("hi", "greet"), said("they lock the gate at night", "disclose_confinement")]
    (indicator,) = assess(turns, _catalogue()).as_dict()["indicators"]
    assert indicator == {
        "id": "restriction_of_movement_default",
        "family": "restriction_of_movement",
        "strength": "strong",
        "evidence": {"turn": 1, "text": "they lock the gate at night"},
    }


def test_a_phrase_cue_cites_the_words_that_matched():
    turn = said("i owe the agent and must work it off", "disclose_debt", cues=(cue("debt_bondage", "work it off"),))
    assert assess([turn], _catalogue()).as_dict()["indicators"][0]["evidence"] == {"turn": 0, "text": "work it off"}


def test_a_no_to_a_follow_up_question_is_evidence():
    turn = Turn("no", (("deny", 0.9),), answer_to="can_leave")
    assert assess([turn], _catalogue()).families == ["restriction_of_movement"]


def test_a_skipped_follow_up_question_is_not_evidence():
    turn = Turn("skip", (("help_menu", 0.9),), answer_to="can_leave")
    assert assess([turn], _catalogue()).families == []


def test_the_result_is_deterministic_and_names_the_catalogue_version():
    turns = [said("i must work off a debt", "disclose_debt"), said("no pay", "disclose_wages_withheld")]
    first, second = assess(turns, _catalogue()).as_dict(), assess(turns, _catalogue()).as_dict()
    assert first == second and first["catalogue_version"] == "test-1"
    assert first["urgent"] is False and first["risk"] == "high"


def test_ilo_ec_dimensions_positive_by_their_own_rule():
    turns = [said("passport taken", "disclose_documents_taken"), said("no pay", "disclose_wages_withheld")]
    assert assess(turns, _catalogue()).ilo_ec_dimensions == ("exploitation",)
    assert assess([turns[1]], _catalogue()).ilo_ec_dimensions == ()
