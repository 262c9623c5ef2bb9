"""The triage engine: from what a conversation produced to a risk level with its evidence.

Pure and deterministic: it imports nothing of Rasa, reads no clock, and gives the same result
for the same turns. Every indicator it reports carries its evidence: the turn and the words
that triggered it.

What counts as evidence, per turn:
- the classified intent, when its confidence reaches `INTENT_CONFIDENCE` (a disclosure intent
  names its family; `danger_now`, `self_harm` and `medical_need` are urgent, though `danger_now`
  needs `GOT_OUT_DANGER_CONFIDENCE` in a message that says the person has got out);
- a second disclosure intent in the ranking, when it reaches `SECOND_INTENT_CONFIDENCE`;
- the language's cue phrases (the safety net and the family cues, `triage.cues`);
- a stated age under 18 (the person is then treated as a child, DNH-26);
- the answer to a follow-up question (`QUESTIONS`).

How the evidence adds up (the combination rule). Strengths are the ILO/EC operational
indicators' ratings, kept per indicator in the catalogue. The first rule that applies decides:
1. **urgent**: danger now (the `danger_now` intent or safety-net phrase), self-harm, a medical
   need, confinement or physical violence (`URGENT_FAMILIES`) unless the person says they have
   got out (an `out_of_danger` cue), or a child together with any other indicator. Without
   such words confinement and violence are taken as ongoing: escalating a past case costs a
   call, missing a present one may cost a life;
2. **high**: one strong indicator, or indicators of two or more families;
3. **medium**: one medium or weak indicator;
4. **low**: only a worry (asking whether a job offer or fee is genuine, a relative out of reach);
5. **none**: nothing of concern.
The ILO/EC method counts a dimension as positive with two strong indicators, one strong and one
medium or weak, three medium, or two medium and one weak, and names trafficking only when the
recruitment, exploitation and coercion dimensions are all positive. A chat rarely covers every
dimension, and a missing dimension must not lower the response, so Saphan's levels escalate
earlier: a single strong ILO/EC indicator already reaches a person at the hotline. The
dimensions that are positive by the ILO/EC rule are reported to the operator beside the risk.

Evidence only accumulates: a later "I agreed to the job", "I crossed illegally", "I don't
remember" or a contradiction never removes an earlier indicator (DNH-20, DNH-21). Nothing about
the person's gender, job or status enters the rule (DNH-19).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from triage.catalogue import Catalogue, Indicator
from triage.cues import OUT_OF_DANGER, SAFETY_NET, CueMatch, LanguageCues

RISK_LEVELS = ("none", "low", "medium", "high", "urgent")
FALLBACK_INTENT = "nlu_fallback"  # Rasa's marker for "unsure", not an intent of the person
INTENT_CONFIDENCE = 0.25
SECOND_INTENT_CONFIDENCE = 0.25
# In a message that says the person has got out, `danger_now` counts only from this confidence
# (a danger phrase still counts at once).
GOT_OUT_DANGER_CONFIDENCE = 0.5
ADULT_AGE = 18

# What each intent tells triage. A disclosure intent may cover two families; a cue found in the
# same message picks between them, otherwise the first is reported.
INTENT_FAMILIES: dict[str, tuple[str, ...]] = {
    "disclose_deception": ("deception",),
    "disclose_confinement": ("restriction_of_movement", "isolation"),
    "disclose_violence": ("physical_violence",),
    "disclose_sexual_violence": ("sexual_violence",),
    "disclose_threats": ("intimidation_threats",),
    "disclose_documents_taken": ("document_retention",),
    "disclose_wages_withheld": ("withheld_wages",),
    "disclose_debt": ("debt_bondage",),
    "disclose_bad_conditions": ("abusive_conditions", "excessive_overtime"),
    "disclose_sexual_exploitation": ("sexual_exploitation",),
    "disclose_forced_criminality": ("forced_criminality",),
    "disclose_forced_marriage": ("forced_marriage",),
    "disclose_underage": ("child_involved",),
    "medical_need": ("medical_need",),
}
URGENT_INTENTS = ("danger_now", "self_harm", "medical_need")
URGENT_FAMILIES = ("restriction_of_movement", "physical_violence")
WORRY_INTENTS = ("ask_job_offer", "ask_fees_debt", "report_relative")

# Follow-up questions: the family a given answer indicates. Questions are asked open first;
# any can be skipped, and a skipped or unclear answer indicates nothing.
QUESTIONS: dict[str, tuple[str, str]] = {
    "can_leave": ("deny", "restriction_of_movement"),
    "has_documents": ("deny", "document_retention"),
    "paid_as_promised": ("deny", "withheld_wages"),
    "owes_debt": ("affirm", "debt_bondage"),
    "contact_family": ("deny", "isolation"),
    "under_18": ("affirm", "child_involved"),
}


@dataclass(frozen=True)
class Turn:
    """What one message of the person produced."""

    text: str
    ranking: tuple[tuple[str, float], ...] = ()
    cues: tuple[CueMatch, ...] = ()
    ages: tuple[int, ...] = ()
    answer_to: str | None = None


def read_turn(
    text: str, ranking: Sequence[tuple[str, float]], cues: LanguageCues, answer_to: str | None = None
) -> Turn:
    """One message as triage sees it: the classifier's ranking without Rasa's fallback marker,
    the cues found in it and the ages it states."""
    kept = tuple((intent, confidence) for intent, confidence in ranking if intent != FALLBACK_INTENT)
    return Turn(text, kept, tuple(cues.find(text)), tuple(cues.ages(text)), answer_to)


@dataclass(frozen=True)
class Evidence:
    """An indicator found, where, and from what."""

    indicator: Indicator
    turn: int
    words: str
    via: str

    def as_dict(self) -> dict:
        """The JSON form used by `./saphan triage` and the operator console."""
        return {
            "id": self.indicator.id,
            "family": self.indicator.family,
            "strength": self.indicator.strength,
            "evidence": {"turn": self.turn, "text": self.words},
        }


@dataclass(frozen=True)
class UrgentReason:
    """Why a conversation is urgent: the signal, the turn, and whether the intent classifier,
    a safety-net phrase or the child rule raised it."""

    signal: str
    turn: int
    via: str


@dataclass(frozen=True)
class Assessment:
    """The triage of a conversation so far."""

    risk: str
    child: bool
    urgent_reasons: tuple[UrgentReason, ...]
    evidence: tuple[Evidence, ...]
    ilo_ec_dimensions: tuple[str, ...]
    catalogue_version: str

    @property
    def urgent(self) -> bool:
        """True exactly when the risk is urgent."""
        return self.risk == "urgent"

    @property
    def families(self) -> list[str]:
        """The families with evidence, in the order they were first found."""
        return list(dict.fromkeys(e.indicator.family for e in self.evidence))

    def as_dict(self) -> dict:
        """The JSON form of `./saphan triage` (without id and hotlines, which the caller adds)."""
        return {
            "risk": self.risk,
            "urgent": self.urgent,
            "child": self.child,
            "families": self.families,
            "indicators": [e.as_dict() for e in self.evidence],
            "catalogue_version": self.catalogue_version,
        }


def _confident(ranking: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """The intents of a turn that count: the top one, and a second disclosure if close enough."""
    counted = []
    if ranking and ranking[0][1] >= INTENT_CONFIDENCE:
        counted.append(ranking[0])
        if len(ranking) > 1:
            second, confidence = ranking[1]
            if (
                confidence >= SECOND_INTENT_CONFIDENCE
                and second.startswith("disclose_")
                and second != "disclose_underage"  # a child is named by the top intent or an age
                and ranking[0][0].startswith("disclose_")
            ):
                counted.append(ranking[1])
    return counted


def _turn_evidence(index: int, turn: Turn, catalogue: Catalogue) -> tuple[list[Evidence], list[UrgentReason]]:
    """The indicators one turn gives, and the urgent signals it raises."""
    found: dict[str, Evidence] = {}
    urgent: list[UrgentReason] = []
    cue_families = {cue.signal: cue for cue in turn.cues}

    def add(family: str, words: str, via: str) -> None:
        if family not in found:
            found[family] = Evidence(catalogue.default(family), index, words, via)

    for cue in turn.cues:
        if cue.signal in SAFETY_NET:
            urgent.append(UrgentReason(cue.signal, index, "phrase"))
        if cue.signal in catalogue.defaults:
            add(cue.signal, cue.words, "phrase")
    adult_only = bool(turn.ages) and min(turn.ages) > ADULT_AGE
    got_out = any(cue.signal == OUT_OF_DANGER for cue in turn.cues)
    for intent, confidence in _confident(turn.ranking):
        if intent == "danger_now" and got_out and confidence < GOT_OUT_DANGER_CONFIDENCE:
            continue  # "I got out, now I am at a friend's" is easily misread as danger now
        if intent in URGENT_INTENTS:
            urgent.append(UrgentReason(intent, index, "intent"))
        if intent == "disclose_underage" and adult_only:
            continue  # "I am 22" names an age, and it is not a child's
        families = INTENT_FAMILIES.get(intent, ())
        if families and not any(f in cue_families for f in families):
            add(families[0], turn.text, "intent")
    if any(age < ADULT_AGE for age in turn.ages):
        add("child_involved", turn.text, "age")
    if turn.answer_to in QUESTIONS and turn.ranking:
        answer, family = QUESTIONS[turn.answer_to]
        if turn.ranking[0][0] == answer and turn.ranking[0][1] >= INTENT_CONFIDENCE:
            add(family, turn.text, "answer")
    return list(found.values()), urgent


def _positive_dimensions(evidence: Iterable[Evidence]) -> tuple[str, ...]:
    """The ILO/EC dimensions positive by the ILO/EC rule (see the module docstring)."""
    per_dimension: dict[str, Counter] = {}
    for item in evidence:
        if item.indicator.dimension != "none":
            per_dimension.setdefault(item.indicator.dimension, Counter())[item.indicator.strength] += 1
    positive = []
    for dimension, n in sorted(per_dimension.items()):
        strong, medium, weak = n["strong"], n["medium"], n["weak"]
        if strong >= 2 or (strong >= 1 and medium + weak >= 1) or medium >= 3 or (medium >= 2 and weak >= 1):
            positive.append(dimension)
    return tuple(positive)


def assess(turns: Sequence[Turn], catalogue: Catalogue) -> Assessment:
    """Triage the conversation so far: every turn's evidence, combined by the rule above."""
    evidence: dict[str, Evidence] = {}
    urgent_reasons: list[UrgentReason] = []
    worries: list[int] = []
    for index, turn in enumerate(turns):
        found, urgent = _turn_evidence(index, turn, catalogue)
        for item in found:
            evidence.setdefault(item.indicator.family, item)
        urgent_reasons += urgent
        if any(intent in WORRY_INTENTS for intent, _ in _confident(turn.ranking)):
            worries.append(index)
    items = tuple(sorted(evidence.values(), key=lambda e: e.turn))
    child = "child_involved" in evidence
    got_out = any(cue.signal == OUT_OF_DANGER for turn in turns for cue in turn.cues)
    if not got_out:
        urgent_reasons += [
            UrgentReason(e.indicator.family, e.turn, e.via) for e in items if e.indicator.family in URGENT_FAMILIES
        ]
    if child and any(e.indicator.family != "child_involved" for e in items):
        urgent_reasons.append(UrgentReason("child_at_risk", max(e.turn for e in items), "child"))
    if urgent_reasons:
        risk = "urgent"
    elif any(e.indicator.strength == "strong" for e in items) or len(items) >= 2:
        risk = "high"
    elif items:
        risk = "medium"
    elif worries:
        risk = "low"
    else:
        risk = "none"
    return Assessment(
        risk=risk,
        child=child,
        urgent_reasons=tuple(urgent_reasons),
        evidence=items,
        ilo_ec_dimensions=_positive_dimensions(items),
        catalogue_version=catalogue.version,
    )
