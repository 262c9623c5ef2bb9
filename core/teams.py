"""Hotline teams and the routes that queue a case to one of them (`data/teams.yml`).

Must not import any web framework, channel SDK or Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from core.settings import ROOT

TEAMS_FILE = ROOT / "data" / "teams.yml"
# Not a team: the queue of training chats' cases, which trainers (only) take.
TRAINING_QUEUE = "training"


class InvalidTeams(ValueError):
    """The teams file breaks its schema; the message says where."""


@dataclass(frozen=True)
class Team:
    """A hotline team whose operators take cases in the console."""

    id: str
    name: str
    hotline: str
    timezone: str = "UTC"


@dataclass(frozen=True)
class Route:
    """Queue cases of this country and language (None: any) to `team`."""

    team: str
    country: str | None = None
    language: str | None = None

    def matches(self, country: str | None, language: str) -> bool:
        """True when the case's country and language fit this route."""
        return (self.country is None or self.country == country) and (
            self.language is None or self.language == language
        )


class Teams:
    """Every team, and the team a case goes to."""

    def __init__(self, teams: list[Team], routes: list[Route], default: str) -> None:
        known = {team.id for team in teams}
        for team_id in [route.team for route in routes] + [default]:
            if team_id not in known:
                raise InvalidTeams(f"route to unknown team {team_id!r}")
        self.all = teams
        self._routes = routes
        self._default = default

    @classmethod
    def load(cls, path: Path = TEAMS_FILE) -> "Teams":
        """Read and validate the teams file.

        Raises:
            InvalidTeams: a team or route is incomplete, or a route names an unknown team.
        """
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        try:
            teams = [
                Team(id=item["id"], name=item["name"], hotline=item["hotline"], timezone=item.get("timezone", "UTC"))
                for item in raw["teams"]
            ]
            routes = [Route(item["team"], item.get("country"), item.get("language")) for item in raw["routes"]]
            return cls(teams, routes, raw["default"])
        except (KeyError, TypeError) as error:
            raise InvalidTeams(f"teams file incomplete: {error}") from None

    def ids(self) -> list[str]:
        """Every team's id."""
        return [team.id for team in self.all]

    def get(self, team_id: str | None) -> Team:
        """The team `team_id`, or the default team when it is None or no longer exists."""
        by_id = {team.id: team for team in self.all}
        return by_id.get(team_id or "") or by_id[self._default]

    def route(self, country: str | None, language: str) -> str:
        """The team a case of this country and language is queued to."""
        return next((route.team for route in self._routes if route.matches(country, language)), self._default)
