"""Cases for `./saphan triage`: every malformed or hostile line gets a clear error."""

from __future__ import annotations

import asyncio
import json

import pytest

from core.botclient import Parsed
from core.directory import Directory
from triage import catalogue, cues
from triage.cases import MAX_MESSAGE_CHARS, MAX_MESSAGES, CaseError, Triager, parse_case


def line(**fields) -> str:
    case = {"id": "c1", "lang": "en", "country": "TH", "messages": ["hello"]}
    case.update(fields)
    return json.dumps({k: v for k, v in case.items() if v is not ...})


@pytest.mark.parametrize(
    ("text", "case_id", "message"),
    [
        ("{not json", None, "not valid JSON"),
        ("[1, 2]", None, "JSON object"),
        (line(id=...), None, "'id'"),
        (line(id=True), None, "'id'"),
        (line(lang="fr"), "c1", "'lang'"),
        (line(lang=None), "c1", "'lang'"),
        (line(country="Thailand"), "c1", "'country'"),
        (line(messages="hello"), "c1", "'messages'"),
        (line(messages=[]), "c1", "'messages'"),
        (line(messages=["ok", 3]), "c1", "'messages'"),
        (line(messages=["x"] * (MAX_MESSAGES + 1)), "c1", "at most"),
        (line(messages=["x" * (MAX_MESSAGE_CHARS + 1)]), "c1", "longer"),
    ],
)
def test_a_bad_case_is_refused_with_its_id_and_the_reason(text, case_id, message):
    with pytest.raises(CaseError, match=message) as raised:
        parse_case(text)
    assert raised.value.case_id == case_id


def test_a_good_case_is_read_whole():
    case = parse_case(line(country="th", messages=["a", "b"]))
    assert (case.id, case.language, case.country, case.messages) == ("c1", "en", "TH", ("a", "b"))
    assert parse_case(line(country=None)).country is None


def test_a_case_is_triaged_into_the_documented_output():
    rankings = {"hello": (("greet", 0.9),), "the boss took my passport": (("disclose_documents_taken", 0.8),)}

    async def classify(text: str) -> Parsed:
        return Parsed(rankings[text][0][0], rankings[text], ())

    triager = Triager(classify, catalogue.load(), cues.load_all(), Directory.load())
    case = parse_case(line(messages=["hello", "the boss took my passport"]))
    result = asyncio.run(triager.result(case))
    assert set(result) == {"id", "risk", "urgent", "child", "families", "indicators", "hotlines", "catalogue_version"}
    assert (result["id"], result["risk"], result["urgent"], result["child"]) == ("c1", "high", False, False)
    assert result["families"] == ["document_retention"]
    assert result["indicators"][0]["evidence"]["turn"] == 1
    assert {"name", "number", "country"} == set(result["hotlines"][0]) and result["hotlines"][0]["country"] == "TH"
