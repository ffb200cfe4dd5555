"""Controlled vocabularies. Each value is documented here and in the OpenAPI schema."""

from enum import StrEnum


class ActorKind(StrEnum):
    """What kind of actor: a state, a part of a government, a person, or another body."""

    STATE = "state"
    GOVERNMENT_BODY = "government_body"
    PERSON = "person"
    ORGANISATION = "organisation"
    COMPANY = "company"
    MEDIA = "media"
    FORUM = "forum"


class SourceKind(StrEnum):
    NEWS = "news"
    ANALYSIS = "analysis"
    COMMENTARY = "commentary"
    EXPERT_COMMENTARY = "expert_commentary"
    OFFICIAL = "official"
    TRANSLATION = "translation"


class ContributorRole(StrEnum):
    AUTHOR = "author"
    TRANSLATOR = "translator"


class Topic(StrEnum):
    """The policy area a commitment belongs to."""

    TARIFFS = "tariffs"
    EXPORT_CONTROLS = "export_controls"
    RARE_EARTHS = "rare_earths"
    AGRICULTURE = "agriculture"
    FENTANYL = "fentanyl"
    SHIPPING = "shipping"
    TRADE_INVESTIGATIONS = "trade_investigations"
    SEMICONDUCTORS = "semiconductors"
    DIPLOMACY = "diplomacy"
    ENERGY = "energy"
    PEOPLE_EXCHANGE = "people_exchange"
    ARTIFICIAL_INTELLIGENCE = "artificial_intelligence"
    SECURITY = "security"
    TAIWAN = "taiwan"


class ActionKind(StrEnum):
    """What the obligor undertakes to do."""

    REDUCE = "reduce"
    SUSPEND = "suspend"
    DELAY = "delay"
    RESUME = "resume"
    PURCHASE = "purchase"
    COOPERATE = "cooperate"
    CURB = "curb"
    VISIT = "visit"
    INVITE = "invite"
    MAINTAIN = "maintain"
    RESTRICT = "restrict"
    ALLOW = "allow"


class DatePrecision(StrEnum):
    """How exact a date is: `derived` dates are computed from a text ("for one year")."""

    EXACT = "exact"
    MONTH = "month"
    APPROXIMATE = "approximate"
    DERIVED = "derived"


class CommitmentStatus(StrEnum):
    """Where a commitment stands. `proposed` covers what was only signalled or discussed."""

    PROPOSED = "proposed"
    ANNOUNCED = "announced"
    IN_EFFECT = "in_effect"
    FULFILLED = "fulfilled"
    EXPIRED = "expired"
    BROKEN = "broken"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class PartyRole(StrEnum):
    OBLIGOR = "obligor"
    COUNTERPARTY = "counterparty"


class LinkKind(StrEnum):
    """`from` is reciprocal of / conditional on / supersedes `to`."""

    RECIPROCAL_OF = "reciprocal_of"
    CONDITIONAL_ON = "conditional_on"
    SUPERSEDES = "supersedes"


class ClaimKind(StrEnum):
    REPORT = "report"
    QUOTE = "quote"
    ASSESSMENT = "assessment"
    PREDICTION = "prediction"
    RECOMMENDATION = "recommendation"


class Stance(StrEnum):
    """How a claim bears on a commitment."""

    SUPPORTS = "supports"
    DISPUTES = "disputes"
    QUALIFIES = "qualifies"
