"""A synthetic knowledge base at any scale, the same for the same seed.

Proportions follow the issue: ~1 source per 100 claims, 1 commitment per 10 claims, 1,000
actors. Distributions are skewed the way the curated data is: a few topics, statuses, obligors
and speakers carry most of the records (Zipf-like weights), claim quotes are ~200 characters of
a Zipf-distributed vocabulary, about one claim in five contains the common word `tariff`, and
about one in 10,000 (at least one) contains the rare phrase. A few quotes carry a typographic
apostrophe and the source texts carry em dashes, so offsets are code points, not bytes.

Everything comes out as `app.ingest.bulk` batches (table name → row dicts), streamed: memory
stays flat whatever the scale. Each source's text is built from its claims' quotes, so every
claim is `text[start_offset:end_offset]` of its source by construction (the loader checks).

    python -m bench.generate --scale 10k      # prints the row counts and the time taken
"""

import argparse
import itertools
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.ingest.bulk import Batch

SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
DEFAULT_SEED = 20251030
ACTORS = 1_000
RARE_PHRASE = "lanthanum quota arbitration"
RARE_EVERY = 10_000
COMMON_WORD = "tariff"
COMMON_SHARE = 0.2
QUOTE_CHARS = 200
SUMMIT = date(2025, 10, 30)

TOPICS = [  # most frequent first
    "tariffs", "agriculture", "rare_earths", "export_controls", "fentanyl", "shipping",
    "semiconductors", "trade_investigations", "diplomacy", "energy", "people_exchange",
    "artificial_intelligence", "security", "taiwan",
]  # fmt: skip
STATUSES = {
    "announced": 40, "in_effect": 25, "proposed": 12, "fulfilled": 8, "expired": 5,
    "broken": 4, "withdrawn": 3, "superseded": 3,
}  # fmt: skip
ACTIONS = {
    "reduce": 20, "suspend": 18, "purchase": 14, "delay": 10, "resume": 8, "cooperate": 8,
    "curb": 6, "maintain": 5, "restrict": 4, "allow": 3, "visit": 2, "invite": 2,
}  # fmt: skip
CLAIM_KINDS = {"report": 45, "quote": 25, "assessment": 15, "prediction": 10, "recommendation": 5}
STANCES = {"supports": 70, "qualifies": 20, "disputes": 10}
SOURCE_KINDS = {
    "news": 50, "analysis": 20, "official": 10, "commentary": 10, "expert_commentary": 8,
    "translation": 2,
}  # fmt: skip
STATES = [
    ("United States", "US", ["Washington", "the U.S."]), ("China", "CN", ["Beijing", "PRC"]),
    ("Japan", "JP", ["Tokyo"]), ("South Korea", "KR", ["Seoul"]), ("Taiwan", "TW", ["Taipei"]),
    ("Australia", "AU", []), ("India", "IN", []), ("Vietnam", "VN", []), ("Malaysia", "MY", []),
    ("Canada", "CA", []), ("Mexico", "MX", []), ("Brazil", "BR", []), ("Germany", "DE", []),
    ("France", "FR", []), ("United Kingdom", "GB", []), ("Netherlands", "NL", []),
    ("Indonesia", "ID", []), ("Thailand", "TH", []), ("Philippines", "PH", []),
    ("Singapore", "SG", []), ("Russia", "RU", []), ("Saudi Arabia", "SA", []),
    ("Argentina", "AR", []), ("Chile", "CL", []), ("South Africa", "ZA", []),
    ("Italy", "IT", []), ("Spain", "ES", []), ("Turkey", "TR", []), ("Poland", "PL", []),
    ("New Zealand", "NZ", []),
]  # fmt: skip
# (kind, how many) after the states; bodies and people belong to a state or a body.
OTHER_ACTORS = [
    ("government_body", 70), ("person", 700), ("organisation", 100), ("company", 50),
    ("media", 40), ("forum", 10),
]  # fmt: skip
WORDS = """
the of and to in a on that for with by as at from this will its said would after over
trade china united states beijing washington summit busan leaders agreement deal talks
president xi trump meeting soybeans purchases export controls rare earths fentanyl
chips semiconductors shipping port fees investigation suspension year truce framework
officials ministry commerce treasury negotiators announced agreed pause measures
reciprocal duties percent billion tonnes market farmers buyers licences licenses
magnets minerals processing supply chains restrictions entity list affiliates rule
enforcement precursor chemicals cooperation visit april invitation review deadline
implementation statement readout briefing analysts expect could may signal broader
relations stabilise escalation retaliation leverage concessions verification
""".split()
SYLLABLES = "ka ro min tes var lo pen dri sun mal ber tio qua nex lum har vel cor dis"
FILLERS = ["Meanwhile —", "In Busan,", "According to the readout,", "Separately —", "Notably,"]


@dataclass(frozen=True)
class Sizes:
    claims: int
    commitments: int
    actors: int

    @classmethod
    def for_claims(cls, claims: int) -> "Sizes":
        return cls(claims=claims, commitments=max(1, claims // 10), actors=ACTORS)


def parse_scale(scale: str) -> int:
    """`10k`, `100k`, `1m` or a plain number of claims."""
    key = scale.lower()
    return SCALES[key] if key in SCALES else int(key.replace("_", ""))


def _weights(n: int, exponent: float = 1.0) -> list[float]:
    """Cumulative Zipf weights over n ranks."""
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, n + 1)))


class Generator:
    """Draws every record from one seeded stream, in a fixed order."""

    def __init__(self, claims: int, seed: int = DEFAULT_SEED) -> None:
        self.sizes = Sizes.for_claims(claims)
        self.rng = random.Random(seed)
        tail = sorted({self._pseudo_word() for _ in range(3_000)} - set(WORDS))
        self.vocabulary = WORDS + tail
        self.vocabulary_weights = _weights(len(self.vocabulary), 1.05)
        self.topic_weights = _weights(len(TOPICS), 1.1)
        self.states: list[str] = []
        self.bodies: list[str] = []
        self.people: list[str] = []
        self.publishers: list[str] = []
        self.names: dict[str, str] = {}
        self.commitment_ids = [f"cm-{i:07d}" for i in range(1, self.sizes.commitments + 1)]
        self.evidence: list[str | None] = [None] * self.sizes.commitments
        self.status: list[str] = []
        self.claim_count = 0
        self._sources_made = 0

    def _pseudo_word(self) -> str:
        syllables = SYLLABLES.split()
        return "".join(self.rng.choice(syllables) for _ in range(self.rng.randint(2, 3)))

    def _pick(self, table: dict[str, int]) -> str:
        return self.rng.choices(list(table), weights=list(table.values()))[0]

    def _words(self, chars: int) -> str:
        out: list[str] = []
        length = 0
        while length < chars:
            for word in self.rng.choices(self.vocabulary, cum_weights=self.vocabulary_weights, k=8):
                out.append(word)
                length += len(word) + 1
                if length >= chars:
                    break
        return " ".join(out)

    def batches(self, batch_claims: int = 10_000) -> Iterator[Batch]:
        """Actors, then commitments, then sources with their claims, then status events."""
        yield self._actors()
        for start in range(0, self.sizes.commitments, 20_000):
            yield self._commitments(self.commitment_ids[start : start + 20_000])
        while self.claim_count < self.sizes.claims:
            yield self._sources_with_claims(batch_claims)
        for start in range(0, self.sizes.commitments, 20_000):
            yield self._status_events(start, min(start + 20_000, self.sizes.commitments))

    def _actors(self) -> Batch:
        actors: list[dict[str, Any]] = []
        aliases: list[dict[str, Any]] = []
        country: dict[str, str | None] = {}
        for number, (name, code, state_aliases) in enumerate(STATES, start=1):
            actor_id = f"ac-{number:04d}"
            country[actor_id] = code
            self.states.append(actor_id)
            actors.append(self._actor(actor_id, name, "state", code, None))
            aliases += [{"actor_id": actor_id, "alias": alias} for alias in state_aliases]
        number = len(STATES)
        for kind, count in OTHER_ACTORS:
            for _ in range(count):
                number += 1
                actor_id = f"ac-{number:04d}"
                parent: str | None = None
                if kind == "government_body":
                    parent = self.states[min(int(self.rng.paretovariate(1.2)) - 1, 29)]
                    self.bodies.append(actor_id)
                elif kind == "person":
                    parent = self.rng.choice(self.states[:2] + self.bodies)
                    self.people.append(actor_id)
                elif kind in ("media", "organisation"):
                    self.publishers.append(actor_id)
                country[actor_id] = country[parent] if parent else None
                name = f"{kind.replace('_', ' ').title()} {self._words(12).title()}"
                actors.append(self._actor(actor_id, name[:200], kind, country[actor_id], parent))
        self.names = {actor["id"]: actor["name"] for actor in actors}
        return {"actor": actors, "actor_alias": aliases}

    def _actor(
        self, actor_id: str, name: str, kind: str, code: str | None, parent: str | None
    ) -> dict[str, Any]:
        return {
            "id": actor_id,
            "name": name,
            "kind": kind,
            "country_code": code,
            "affiliation_id": parent,
            "role": self._words(30)[:300] if kind == "person" else None,
            "description": self._words(90)[:2000],
        }

    def _obligor(self) -> str:
        if self.rng.random() < 0.7:
            return self.rng.choices(self.states, cum_weights=_STATE_WEIGHTS)[0]
        return self.rng.choice(self.bodies)

    def _commitments(self, ids: Sequence[str]) -> Batch:
        commitments: list[dict[str, Any]] = []
        parties: list[dict[str, Any]] = []
        for commitment_id in ids:
            obligor = self._obligor()
            counterparty = self.states[1] if obligor == self.states[0] else self.states[0]
            topic = self.rng.choices(TOPICS, cum_weights=self.topic_weights)[0]
            status = self._pick(STATUSES)
            self.status.append(status)
            action = self._pick(ACTIONS)
            announced = SUMMIT + timedelta(days=self.rng.choice([0] * 8 + [-3, 1, 7, 14]))
            effective = announced + timedelta(days=self.rng.randint(0, 60))
            has_effective = self.rng.random() < 0.5
            has_expiry = self.rng.random() < 0.4
            has_due = self.rng.random() < 0.3
            row: dict[str, Any] = {
                "id": commitment_id,
                "title": f"{self.names[obligor]} to {action} {self._words(40)}"[:300],
                "description": self._words(180)[:4000],
                "topic": topic,
                "action": action,
                "status": status,
                "announced_on": announced,
                "announced_precision": "exact",
                "announced_note": None,
                "effective_on": effective if has_effective else None,
                "effective_precision": "exact" if has_effective else None,
                "effective_note": None,
                "due_on": announced + timedelta(days=self.rng.randint(7, 400)) if has_due else None,
                "due_precision": "month" if has_due else None,
                "due_note": None,
                "expires_on": effective + timedelta(days=365) if has_expiry else None,
                "expires_precision": "derived" if has_expiry else None,
                "expires_note": "one year from taking effect" if has_expiry else None,
            }
            commitments.append(row)
            parties.append({"commitment_id": commitment_id, "actor_id": obligor, "role": "obligor"})
            parties.append(
                {"commitment_id": commitment_id, "actor_id": counterparty, "role": "counterparty"}
            )
        return {"commitment": commitments, "commitment_party": parties}

    def _quote(self, number: int) -> str:
        words = self._words(QUOTE_CHARS - 30)
        extra = []
        if self.rng.random() < COMMON_SHARE:
            extra.append(COMMON_WORD)
        if number % RARE_EVERY == 1:
            extra.append(RARE_PHRASE)
        if self.rng.random() < 0.05:
            extra.append("Xi\u2019s")
        if extra:
            cut = words.split()
            at = self.rng.randint(1, len(cut))
            words = " ".join(cut[:at] + extra + cut[at:])
        return words[0].upper() + words[1:] + "."

    def _sources_with_claims(self, batch_claims: int) -> Batch:
        sources: list[dict[str, Any]] = []
        contributors: list[dict[str, Any]] = []
        claims: list[dict[str, Any]] = []
        speakers: list[dict[str, Any]] = []
        stances: list[dict[str, Any]] = []
        people_weights = _weights(len(self.people))
        budget = min(batch_claims, self.sizes.claims - self.claim_count)
        while budget > 0:
            source_id = f"src-{len(sources) + self._sources_made + 1:06d}"
            count = min(budget, self.rng.randint(50, 150))
            budget -= count
            parts: list[str] = []
            length = 0
            for _ in range(count):
                self.claim_count += 1
                number = self.claim_count
                claim_id = f"cl-{number:07d}"
                filler = f"{self.rng.choice(FILLERS)} {self._words(40)}. "
                quote = self._quote(number)
                parts += [filler, quote, " "]
                start = length + len(filler)
                length = start + len(quote) + 1
                valued = self.rng.random() < 0.05
                claims.append(
                    {
                        "id": claim_id,
                        "source_id": source_id,
                        "kind": self._pick(CLAIM_KINDS),
                        "attribution": None,
                        "value_subject": f"subject {self.rng.randint(1, 20)}" if valued else None,
                        "value_property": "tariff_rate" if valued else None,
                        "value_number": float(self.rng.choice([10, 20, 57])) if valued else None,
                        "value_text": None,
                        "value_unit": "percent" if valued else None,
                        "quote": quote,
                        "start_offset": start,
                        "end_offset": start + len(quote),
                    }
                )
                chosen = self.rng.choices(self.people, cum_weights=people_weights, k=2)
                for position, actor_id in enumerate(dict.fromkeys(chosen[: self._speakers()])):
                    speakers.append(
                        {"claim_id": claim_id, "actor_id": actor_id, "position": position}
                    )
                index = self.rng.randrange(self.sizes.commitments)
                if self.evidence[index] is None:
                    self.evidence[index] = claim_id
                stances.append(
                    {
                        "claim_id": claim_id,
                        "commitment_id": self.commitment_ids[index],
                        "stance": self._pick(STANCES),
                    }
                )
            authors = dict.fromkeys(self.rng.sample(self.people, self.rng.randint(1, 2)))
            sources.append(
                {
                    "id": source_id,
                    "title": f"Busan {self._words(50)}"[:500],
                    "kind": self._pick(SOURCE_KINDS),
                    "publisher_id": self.rng.choice(self.publishers),
                    "published_on": SUMMIT + timedelta(days=self.rng.randint(0, 40)),
                    "language": "en",
                    "original_language": None,
                    "file_name": None,
                    "notes": None,
                    "text": "".join(parts),
                }
            )
            contributors += [
                {"source_id": source_id, "actor_id": actor_id, "role": "author", "position": n}
                for n, actor_id in enumerate(authors)
            ]
        self._sources_made += len(sources)
        return {
            "source": sources,
            "source_contributor": contributors,
            "claim": claims,
            "claim_speaker": speakers,
            "claim_commitment": stances,
        }

    def _speakers(self) -> int:
        return 2 if self.rng.random() < 0.2 else 1

    def _status_events(self, start: int, end: int) -> Batch:
        events = []
        for index in range(start, end):
            events.append(
                {
                    "commitment_id": self.commitment_ids[index],
                    "occurred_on": SUMMIT + timedelta(days=self.rng.randint(0, 30)),
                    "status": self.status[index],
                    "note": None,
                    "evidence_claim_id": self.evidence[index],
                }
            )
        return {"status_event": events}


_STATE_WEIGHTS = list(itertools.accumulate([35.0, 35.0] + [30.0 / 28] * 28))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="10k", help="10k, 100k, 1m or a number of claims")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    for batch in Generator(parse_scale(args.scale), args.seed).batches():
        for table, rows in batch.items():
            counts[table] += len(rows)
    elapsed = time.perf_counter() - started
    for table, count in counts.items():
        print(f"{table:20} {count:>10,}")
    print(f"generated in {elapsed:.1f} s")


if __name__ == "__main__":
    main()
