"""The indicator catalogue: the real file is complete, and a broken one is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from triage.catalogue import CATALOGUE_FILE, FAMILIES, InvalidCatalogue, load

STRENGTHS_IN_LABELLING = {"deception": "medium", "intimidation_threats": "medium", "withheld_wages": "medium",
                          "abusive_conditions": "medium", "abuse_of_vulnerability": "weak"}  # fmt: skip


def test_the_catalogue_has_a_version_and_a_default_for_every_family():
    catalogue = load()
    assert catalogue.version
    for family in FAMILIES:
        default = catalogue.default(family)
        assert default.family == family
        assert default.strength == STRENGTHS_IN_LABELLING.get(family, "strong"), family


def test_every_indicator_names_its_source():
    assert all(indicator.source and indicator.source != "?" for indicator in load().indicators.values())


def _write(tmp_path: Path, change) -> Path:
    raw = yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8"))
    change(raw)
    path = tmp_path / "indicators.yml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_an_unknown_family_is_refused(tmp_path):
    path = _write(tmp_path, lambda raw: raw["indicators"][0].update(family="bad_luck"))
    with pytest.raises(InvalidCatalogue, match="unknown family"):
        load(path)


def test_an_indicator_listed_twice_is_refused(tmp_path):
    path = _write(tmp_path, lambda raw: raw["indicators"].append(dict(raw["indicators"][0])))
    with pytest.raises(InvalidCatalogue, match="twice"):
        load(path)


def test_a_family_without_a_valid_default_is_refused(tmp_path):
    path = _write(tmp_path, lambda raw: raw["families"]["deception"].update(default="no_such_indicator"))
    with pytest.raises(InvalidCatalogue, match="deception"):
        load(path)


def test_a_country_can_override_a_strength_without_touching_others(tmp_path):
    def override(raw):
        raw["countries"] = {"TH": {"override": {raw["families"]["deception"]["default"]: {"strength": "strong"}}}}

    catalogue = load(_write(tmp_path, override))
    assert catalogue.for_country("TH").default("deception").strength == "strong"
    assert catalogue.for_country("MY").default("deception").strength == "medium"
    assert catalogue.default("deception").strength == "medium"
