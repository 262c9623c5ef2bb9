"""The hotline directory is complete, sourced and dated (data/hotlines.yml)."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
import yaml

from core.directory import DIRECTORY_FILE, GROUPS, Directory, InvalidDirectory, parse_directory, parse_entry
from core.locales import LOCALES_DIR, load_file

SEEDS = {"000_8405d24919087392.txt", "001_12a228effad58e98.txt"}


def test_every_entry_names_a_seed_file_and_line_and_a_date():
    directory = Directory.load()
    assert len(directory.hotlines) >= 15
    for line in directory.hotlines:
        assert line.source.split()[0] in SEEDS and " L" in line.source, line.id
        assert line.verified <= date.today()
        if line.hours == "24h":
            assert line.hours_source.split()[0] in SEEDS and " L" in line.hours_source, line.id


def test_every_country_of_the_sources_is_in_the_directory_and_unnumbered_lines_are_never_given():
    directory = Directory.load()
    assert {"TH", "LA", "VN", "KH", "ID"} <= {line.country for line in directory.hotlines}
    unnumbered = [line for line in directory.hotlines if line.number is None]
    assert unnumbered, "the sources name lines without numbers; they are kept for admins to complete"
    given = directory.callable() + directory.primary() + directory.child_lines("KH", "km")
    assert not any(line.number is None for line in given)


def test_thailand_lists_1300_as_primary_and_keeps_the_1330_discrepancy():
    line = Directory.load().by_id("th-1300")
    assert line.primary and line.number == "1300"
    assert "1330" in line.note and "L2163" in line.note


def test_primary_lines_are_the_national_hotlines():
    numbers = {(h.country, h.number) for h in Directory.load().primary()}
    assert {("TH", "1300"), ("LA", "1300"), ("LA", "1362"), ("VN", "111")} <= numbers


def test_every_country_has_a_name_in_every_language():
    countries = {h.country for h in Directory.load().hotlines}
    for path in LOCALES_DIR.glob("*.yml"):
        assert {f"country.{c}" for c in countries} <= set(load_file(path)), path.name


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"source": ""}, "missing source"),
        ({"verified": "recently"}, "verified must be a date"),
        ({"verified": "2999-01-01"}, "not in the future"),
        ({"country": "XX"}, "country must be one of"),
        ({"number": "call me"}, "number must be digits"),
        ({"number": None}, "a primary line needs a number"),
        ({"topics": ["everything"]}, "topics must be a list of"),
        ({"topics": []}, "missing topics"),
        ({"hours": "9-5"}, "hours must be one of"),
        ({"hours_source": ""}, "24h needs hours_source"),
        ({"channels": "phone"}, "channels must be a list"),
        ({"languages": ["fr"]}, "languages must be a list"),
        ({"name": "x" * 401}, "name must be text of at most 400"),
        ({"name": ["<script>"]}, "name must be text"),
        ({"owner": "me"}, "unknown field owner"),
        ({"id": "la-1300"}, "must start with the country code"),
    ],
)
def test_a_wrong_entry_is_refused_with_its_id_and_field(change, complaint):
    raw = yaml.safe_load(DIRECTORY_FILE.read_text())["hotlines"][0]
    with pytest.raises(InvalidDirectory, match=complaint):
        parse_entry({**raw, **change})


@pytest.mark.parametrize("raw", [None, "th-1300", [], {"id": "TH 1300"}, {"id": "<b>"}])
def test_an_entry_that_is_not_an_entry_is_refused(raw):
    with pytest.raises(InvalidDirectory):
        parse_entry(raw)


def test_a_directory_with_two_entries_of_one_id_is_refused():
    raw = yaml.safe_load(DIRECTORY_FILE.read_text())
    with pytest.raises(InvalidDirectory, match="used twice"):
        parse_directory({"hotlines": raw["hotlines"] + raw["hotlines"][:1]})
    with pytest.raises(InvalidDirectory, match="list 'hotlines'"):
        parse_directory({"hotlines": "all of them"})


def test_a_saved_directory_is_read_back_and_seen_by_another_process(tmp_path):
    path = tmp_path / "hotlines.yml"
    path.write_text(DIRECTORY_FILE.read_text())
    editor, other = Directory.load(path), Directory.load(path)
    changed = replace(editor.by_id("th-1506"), number="1506 1", verified=date.today())
    editor.save([changed if line.id == "th-1506" else line for line in editor.hotlines])
    assert other.by_id("th-1506").number == "1506 1", "another process re-reads the changed file"
    assert Directory.load(path).hotlines == editor.hotlines
    with pytest.raises(InvalidDirectory):
        editor.save([replace(changed, topics=())])
    assert Directory.load(path).by_id("th-1506").number == "1506 1", "a refused save changes nothing"


def test_stale_entries_are_flagged_by_their_age():
    directory = Directory.load()
    newest = max(line.verified for line in directory.hotlines)
    assert directory.stale(0, today=newest) == [line for line in directory.hotlines if line.verified < newest]
    assert directory.stale(30, today=newest + timedelta(days=31)) == directory.hotlines


def test_the_gaps_name_the_groups_a_country_has_no_line_for():
    gaps = Directory.load().gaps()
    assert "children" not in gaps["TH"] and "women" not in gaps["LA"]
    assert "women" in gaps["TH"], "Thailand's sources give no numbered women's line yet"
    assert gaps["MM"] == list(GROUPS), "the sources give Myanmar no line at all"


def test_every_team_names_a_hotline_of_the_directory_and_a_real_time_zone():
    from zoneinfo import ZoneInfo

    from core.teams import Teams

    directory = Directory.load()
    for team in Teams.load().all:
        assert directory.by_id(team.hotline).primary, team.id
        ZoneInfo(team.timezone)
    with pytest.raises(KeyError):
        directory.by_id("xx-0000")


def test_a_child_is_given_the_child_lines_of_their_country_or_home_country_only():
    directory = Directory.load()
    numbers = lambda country, language: [line.number for line in directory.child_lines(country, language)]  # noqa: E731
    assert numbers("LA", "lo") == ["1362"]
    assert numbers(None, "vi") == ["111"]
    assert numbers("VN", "en") == ["111"]
    assert numbers(None, "km") == [], "a Cambodian child is not sent to the Lao or Vietnamese child line"
    assert numbers("TH", "th") == ["1300"], "the MSDHS line takes child labour (000 L4070-4072)"
    assert numbers("MY", "id") == [], "no Indonesian child line has a number in the sources"
