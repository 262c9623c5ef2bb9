"""The indicator catalogue (`data/indicators.yml`): every indicator triage can report.

Each indicator has an id, a family (the fixed vocabulary below), a strength (strong, medium or
weak, as rated by the ILO/EC operational indicators where they rate it), a plain description for
operators, an ILO/EC dimension, and its source. Each family names a default indicator: the one
triage reports when it knows the family but not the finer indicator. A country may add
indicators or override a strength; `for_country` applies that.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from core.settings import ROOT

CATALOGUE_FILE = ROOT / "data" / "indicators.yml"
FAMILIES = (
    "abuse_of_vulnerability",
    "deception",
    "restriction_of_movement",
    "isolation",
    "physical_violence",
    "sexual_violence",
    "intimidation_threats",
    "document_retention",
    "withheld_wages",
    "debt_bondage",
    "abusive_conditions",
    "excessive_overtime",
    "sexual_exploitation",
    "forced_criminality",
    "forced_marriage",
    "child_involved",
    "medical_need",
)
STRENGTHS = ("strong", "medium", "weak")


class InvalidCatalogue(ValueError):
    """The catalogue breaks its schema; the message names the entry and field."""


@dataclass(frozen=True)
class Indicator:
    """One indicator of trafficking or forced labour."""

    id: str
    family: str
    strength: str
    description: str
    dimension: str
    source: str


@dataclass(frozen=True)
class Catalogue:
    """The indicators of one catalogue version, and each family's default indicator."""

    version: str
    indicators: dict[str, Indicator]
    defaults: dict[str, str]
    countries: dict[str, dict]

    def default(self, family: str) -> Indicator:
        """The indicator reported for `family` when no finer one is known."""
        return self.indicators[self.defaults[family]]

    def for_country(self, country: str | None) -> "Catalogue":
        """This catalogue with `country`'s additions and strength overrides applied."""
        local = self.countries.get((country or "").upper())
        if not local:
            return self
        indicators = dict(self.indicators)
        for raw in local.get("add") or []:
            indicator = _indicator(raw)
            indicators[indicator.id] = indicator
        for indicator_id, change in (local.get("override") or {}).items():
            if indicator_id in indicators and change.get("strength") in STRENGTHS:
                indicators[indicator_id] = replace(indicators[indicator_id], strength=change["strength"])
        return replace(self, indicators=indicators)


def _indicator(raw: dict) -> Indicator:
    for field in ("id", "family", "strength", "description"):
        if not raw.get(field):
            raise InvalidCatalogue(f"indicator {raw.get('id', '?')}: missing {field}")
    if raw["family"] not in FAMILIES:
        raise InvalidCatalogue(f"indicator {raw['id']}: unknown family {raw['family']!r}")
    if raw["strength"] not in STRENGTHS:
        raise InvalidCatalogue(f"indicator {raw['id']}: strength must be one of {', '.join(STRENGTHS)}")
    source = raw.get("source") or {}
    return Indicator(
        id=raw["id"],
        family=raw["family"],
        strength=raw["strength"],
        description=raw["description"],
        dimension=raw.get("dimension") or "none",
        source=f"{source.get('key', '?')} {source.get('ref', '')}".strip(),
    )


def load(path: Path = CATALOGUE_FILE) -> Catalogue:
    """Read and validate the catalogue.

    Raises:
        InvalidCatalogue: an entry is incomplete, or a family lacks a valid default.
    """
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    indicators: dict[str, Indicator] = {}
    for item in raw["indicators"]:
        indicator = _indicator(item)
        if indicator.id in indicators:
            raise InvalidCatalogue(f"indicator {indicator.id}: listed twice")
        indicators[indicator.id] = indicator
    defaults = {}
    for family in FAMILIES:
        default = (raw.get("families") or {}).get(family, {}).get("default")
        if default not in indicators or indicators[default].family != family:
            raise InvalidCatalogue(f"family {family}: its default must be an indicator of that family")
        defaults[family] = default
    return Catalogue(str(raw["version"]), indicators, defaults, dict(raw.get("countries") or {}))
