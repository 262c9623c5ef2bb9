"""The hotline directory is complete, sourced and dated (data/hotlines.yml)."""

from datetime import date

import pytest
import yaml

from core.directory import DIRECTORY_FILE, Directory, InvalidDirectory, _entry
from core.locales import LOCALES_DIR, load_file

SEEDS = {"000_8405d24919087392.txt", "001_12a228effad58e98.txt"}


def test_every_entry_names_a_seed_file_and_line_and_a_date():
    directory = Directory.load()
    assert directory.hotlines
    for line in directory.hotlines:
        assert line.source.split()[0] in SEEDS and " L" in line.source, line.id
        assert line.verified <= date.today()


def test_primary_lines_are_the_national_hotlines():
    numbers = {(h.country, h.number) for h in Directory.load().primary()}
    assert {("TH", "1300"), ("LA", "1300"), ("LA", "1362"), ("VN", "111")} <= numbers


def test_every_country_has_a_name_in_every_language():
    countries = {h.country for h in Directory.load().hotlines}
    for path in LOCALES_DIR.glob("*.yml"):
        assert {f"country.{c}" for c in countries} <= set(load_file(path)), path.name


def test_an_incomplete_entry_is_refused_with_its_id():
    raw = yaml.safe_load(DIRECTORY_FILE.read_text())["hotlines"][0]
    with pytest.raises(InvalidDirectory, match=raw["id"]):
        _entry({**raw, "source": ""})
    with pytest.raises(InvalidDirectory, match="date"):
        _entry({**raw, "verified": "recently"})


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
    assert numbers("TH", "th") == []
