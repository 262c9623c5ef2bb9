"""Triage with the real model: urgent messages escalate in every language over web chat, and
`./saphan triage` turns JSON Lines into results, one error line per bad case."""

from __future__ import annotations

import io
import json

import pytest

from core.menus import language_payload
from core.settings import LANGUAGES
from launcher.evaluation import triage_lines
from tests.integration.test_webchat_conversation import TEXTS, bot_texts

pytestmark = pytest.mark.integration

# One plain danger message per language, written for this test (not in the training data).
DANGER = {
    "en": "help me please they are beating me right now",
    "th": "ช่วยด้วย ตอนนี้เขากำลังทุบตีหนู",
    "my": "ကယ်ပါ အခု သူတို့ ကျွန်မကို ရိုက်နေတယ်",
    "km": "ជួយខ្ញុំផង ឥឡូវគេកំពុងវាយខ្ញុំ",
    "lo": "ຊ່ວຍແດ່ ຕອນນີ້ເຂົາກຳລັງຕີຂ້ອຍ",
    "vi": "cứu em với, bây giờ họ đang đánh em",
    "id": "tolong aku, sekarang mereka lagi mukulin aku",
}



@pytest.mark.parametrize("language", LANGUAGES)
def test_danger_now_escalates_at_once_with_hotlines_in_the_persons_language(chat, language):
    chat.press(language_payload(language))
    answer = bot_texts(chat.say(DANGER[language]))
    assert TEXTS[language]["urgent.offer_person"] in answer
    assert "1300" in answer and TEXTS[language]["hotline.hours_24h"] in answer


def test_a_disclosure_gets_thanks_then_gentle_questions_and_a_no_to_leaving_escalates(chat):
    chat.press(language_payload("en"))
    first = chat.say("my boss has not paid my salary for four months")
    assert TEXTS["en"]["disclosure.thanks"] in bot_texts(first)
    assert TEXTS["en"]["triage.question.open"] in bot_texts(first)
    menu = [f["quick_replies"] for f in first if f["type"] == "bot" and f["quick_replies"]][-1]
    assert [r["payload"] for r in menu] == ["/skip_question", "/stop"]
    second = bot_texts(chat.press("/skip_question"))
    assert TEXTS["en"]["triage.question.can_leave"] in second
    assert TEXTS["en"]["urgent.offer_person"] in bot_texts(chat.press("/deny"))


def test_stop_works_in_the_middle_of_the_questions(chat):
    chat.press(language_payload("en"))
    chat.say("my boss has not paid my salary for four months")
    assert TEXTS["en"]["stop.done"] in bot_texts(chat.press("/stop"))


def test_triage_lines_answers_every_line_and_counts_the_bad_ones(stack):
    settings, _ = stack
    cases = [
        {"id": "a", "lang": "en", "country": "TH", "messages": ["hello", DANGER["en"]]},
        "{broken",
        {"id": "b", "lang": "xx", "messages": ["hi"]},
        {"id": "c", "lang": "vi", "country": "VN", "messages": ["cho em hỏi đi làm ở Đài Loan cần giấy tờ gì"]},
    ]
    source = io.StringIO("\n".join(c if isinstance(c, str) else json.dumps(c, ensure_ascii=False) for c in cases))
    out, err = io.StringIO(), io.StringIO()
    assert triage_lines(settings, source, out, err) == 2
    results = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r.get("id") for r in results] == ["a", None, "b", "c"]
    assert results[0]["risk"] == "urgent" and results[0]["urgent"] is True
    assert results[0]["hotlines"][0]["country"] == "TH" and results[0]["catalogue_version"]
    assert "error" in results[1] and "error" in results[2] and results[3]["urgent"] is False
    assert err.getvalue().count("saphan: line") == 2
