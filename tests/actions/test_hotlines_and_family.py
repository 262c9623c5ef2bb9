"""`action_give_hotlines` by country and for women, and `action_family_report` one button question at a time."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.family import ActionFamilyReport
from actions.hotlines import ActionGiveHotlines
from core.directory import Directory
from core.line_groups import GroupWords
from core.places import CountryNames

DIRECTORY = Directory.load()


def run(action, text: str, intent: str, slots: dict | None = None, language: str = "en") -> tuple[list[dict], dict]:
    """Run `action` after one message; return what it said and the slots it set."""
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "metadata": {"language": language}}
    tracker = Tracker("c1", slots or {}, message, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return [m["custom"] for m in dispatcher.messages], {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def numbers(said: list[dict]) -> list[str]:
    return [p["params"]["number"] for m in said for p in m["say"] if p["key"] == "hotline.line"]


def keys(said: list[dict]) -> list[str]:
    return [part["key"] for message in said for part in message["say"]]


def hotlines(text: str = "numbers please", intent: str = "ask_hotline", language: str = "en", **slots):
    return run(ActionGiveHotlines(DIRECTORY, CountryNames.load(), GroupWords.load()), text, intent, slots, language)


def test_an_unknown_country_gets_every_primary_line_and_is_asked_once_where_the_person_is():
    said, slots = hotlines()
    assert set(numbers(said)) == {"1300", "1362", "111"} and keys(said)[-1] == "hotline.ask_country"
    assert said[0]["menu"] == "country" and slots == {"country_asked": True}
    said, slots = hotlines(country_asked=True)
    assert "hotline.ask_country" not in keys(said) and said[0]["menu"] == "main" and not slots


def test_a_known_country_gets_only_its_lines_or_an_honest_none():
    said, _ = hotlines(country="TH")
    assert numbers(said) == ["1300"]
    said, _ = hotlines(country="LA")
    assert numbers(said) == ["1300", "1362"]
    said, _ = hotlines(country="MY")
    assert keys(said) == ["hotline.none_checked"] and said[0]["say"][0]["params"]["country"] == "@country.MY"
    said, _ = hotlines(country="<script>", country_asked=True)
    assert set(numbers(said)) == {"1300", "1362", "111"}, "a value the menu never offers is ignored"


def test_asking_for_the_numbers_of_a_named_country_gets_that_country_without_a_question():
    said, slots = hotlines("whats the hotline number in thailand")
    assert numbers(said) == ["1300"] and not slots
    said, _ = hotlines("kak nomor hotline buat abk di thailand brp ya")
    assert numbers(said) == ["1300"]
    said, _ = hotlines("a job in thailand, is it real?", intent="ask_job_offer")
    assert "hotline.ask_country" in keys(said), "only a request for numbers picks the named country"


def test_country_names_in_every_script_and_the_lao_pronoun_is_not_a_country():
    names = CountryNames.load()
    assert names.named("ສາຍດ່ວນຢູ່ໄທ") == ["TH"] and names.named("ລາວບອກວ່າ") == []
    assert names.named("bên Thái Lan") == ["TH"] and names.named("Trung Quốc") == ["CN"]
    assert names.asked_about("ကျွန်မ မြန်မာ၊ ထိုင်းမှာ အလုပ်လုပ်တယ်", "my") == "TH"
    assert names.asked_about("thailand or malaysia?", "en") is None
    assert names.named("thaiwan") == [], "Latin names match whole words only"


def test_a_request_for_a_womens_line_gets_the_womens_lines_of_the_persons_country():
    said, _ = hotlines("có đường dây nóng cho phụ nữ không", language="vi", country="VN")
    assert keys(said)[0] == "hotline.women_intro" and numbers(said) == ["1900969680"]
    said, _ = hotlines("ມີສາຍດ່ວນສຳລັບແມ່ຍິງບໍ່", language="lo", country="LA")
    assert numbers(said) == ["1362"], "the Lao Women's Union line, not every Lao line"


def test_where_no_womens_line_is_known_the_person_is_told_so_and_given_the_lines_for_everyone():
    said, _ = hotlines("มีสายด่วนสำหรับผู้หญิงไหม", language="th", country="TH")
    assert keys(said) == ["hotline.women_none", "hotline.line"] and numbers(said) == ["1300"]
    assert said[0]["say"][0]["params"]["country"] == "@country.TH" and said[0]["menu"] == "main"
    said, _ = hotlines("a hotline for women in malaysia?")
    assert keys(said) == ["hotline.none_checked"], "no line at all there: the honest none"


def test_a_womens_line_asked_for_before_the_country_is_known_lists_every_country_and_asks_once():
    said, slots = hotlines("is there a hotline for women")
    assert keys(said)[0] == "hotline.women_intro" and numbers(said) == ["1362", "1900969680"]
    assert keys(said)[-1] == "hotline.ask_country" and slots == {"country_asked": True}
    said, _ = hotlines("a hotline for women in viet nam")
    assert numbers(said) == ["1900969680"], "a named country is the person's"


def test_a_womens_line_asked_for_anywhere_with_none_in_the_directory_gets_every_primary_line(tmp_path):
    without = tmp_path / "hotlines.yml"
    raw = yaml.safe_load(DIRECTORY.path.read_text(encoding="utf-8"))
    raw["hotlines"] = [h for h in raw["hotlines"] if not {"women", "gender_based_violence"} & set(h["topics"])]
    without.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    action = ActionGiveHotlines(Directory.load(without), CountryNames.load(), GroupWords.load())
    said, _ = run(action, "is there a hotline for women", "ask_hotline", {"country_asked": True})
    assert keys(said)[0] == "hotline.intro" and set(numbers(said)) == {"1300", "111"}


def test_only_a_request_for_numbers_picks_a_group_and_only_a_known_group():
    said, _ = hotlines("my boss hits the women here", intent="disclose_abuse", country="TH")
    assert keys(said)[0] == "hotline.intro"
    words = GroupWords.load()
    assert words.asked_for("womens hotline") == "women" and words.asked_for("PHU NU") == "women"
    assert words.asked_for("womenfolk") is None and words.asked_for("hotline") is None
    with pytest.raises(ValueError, match="unknown group"):
        GroupWords({"elders": {}})
    with pytest.raises(ValueError, match="no words in"):
        GroupWords({"women": {"en": ["women"]}})


def family(intent: str = "family_detail", **slots):
    return run(ActionFamilyReport(DIRECTORY), "", intent, slots, language="lo")


def test_a_family_report_asks_three_skippable_questions_then_opens_a_case_for_the_relatives_country():
    said, _ = family("report_relative")
    assert keys(said) == ["disclosure.thanks", "third_party.never_confirm", "report.ask.relation"]
    assert said[0]["menu"] == "family_relation"
    said, _ = family(family_relation="sibling")
    assert keys(said) == ["report.ask.last_contact"] and said[0]["menu"] == "family_last_contact"
    said, _ = family(family_relation="sibling", family_last_contact="skipped")
    assert keys(said) == ["report.ask.relative_country"]
    said, _ = family(family_relation="sibling", family_last_contact="skipped", family_country="TH",
                     triage={"risk": "medium", "families": ["isolation"]})  # fmt: skip
    assert numbers(said) == ["1300", "1300", "1362"], "Thailand's line, then the reporter's own (Lao PDR)"
    handoff = said[0]["handoff"]
    assert handoff["reason"] == "person"
    family_note = {"relation": "sibling", "relative_country": "TH"}
    assert handoff["triage"] == {"risk": "medium", "families": ["isolation"], "family": family_note, "country": "TH"}


def test_a_family_report_never_keeps_a_value_its_buttons_do_not_offer_and_waits_behind_an_urgent_case():
    said, _ = family(family_relation="Somchai, my brother", family_last_contact="week", family_country="XX")
    assert keys(said) == ["report.ask.relation"], "free text in a slot is not a relation"
    said, _ = family(family_relation="friend", family_last_contact="week", family_country="unknown")
    assert "report.no_line" not in keys(said) and numbers(said) == ["1300", "1362"], "the reporter's own lines"
    assert "country" not in said[0]["handoff"]["triage"]
    said, _ = family("report_relative", triage_escalated=True)
    assert said == []
