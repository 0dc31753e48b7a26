"""The summary of the training needs answers for one school year, for the coordinator: per question
the spread of answers, who has not answered, the areas most asked for, and what people wrote."""

from __future__ import annotations

from dataclasses import dataclass

from schoolgate.web.people.choices import PersonKind
from schoolgate.web.people.models import Person
from schoolgate.web.tenancy.models import School
from schoolgate.web.training.models import NeedsAssessment
from schoolgate.web.training.questions import CONFIDENCE, QUESTIONS, Question

# Who is asked: the school's own staff (supply staff answer when they choose to, and are counted then).
ASKED = (PersonKind.STAFF,)


@dataclass(frozen=True)
class Spread:
    question: Question
    counts: list[tuple[int, str, int]]  # (level, words, how many)
    answered: int
    low: int  # answered 1 or 2

    @property
    def bars(self) -> list[tuple[int, str, int, int]]:
        """(level, words, how many, per cent of those who answered) for the page's bars."""
        return [(lv, w, n, (100 * n // self.answered) if self.answered else 0) for lv, w, n in self.counts]


@dataclass(frozen=True)
class Summary:
    year: int
    answered: list[NeedsAssessment]
    not_answered: list[Person]
    spreads: list[Spread]
    wanted: list[tuple[Question, int]]  # most asked first; only those asked at least once


def summary(school: School, year: int) -> Summary:
    records = list(
        NeedsAssessment.objects.filter(school=school, school_year=year)
        .select_related("person")
        .order_by("person__last_name", "person__first_name")
    )
    done = {r.person_id for r in records}
    staff = Person.objects.filter(school=school, kind__in=ASKED).current().order_by("last_name", "first_name")
    not_answered = [p for p in staff if p.pk not in done]
    spreads = []
    for question in QUESTIONS:
        levels = [r.answers.get(question.key) for r in records]
        counts = [(lv, words, sum(1 for x in levels if x == lv)) for lv, words in CONFIDENCE.items()]
        answered = sum(n for _, _, n in counts)
        spreads.append(Spread(question, counts, answered, sum(n for lv, _, n in counts if lv <= 2)))
    asked = {q.key: 0 for q in QUESTIONS}
    for record in records:
        for key in record.wanted:
            if key in asked:
                asked[key] += 1
    by_key = {q.key: q for q in QUESTIONS}
    order = {q.key: i for i, q in enumerate(QUESTIONS)}
    wanted = sorted(
        ((by_key[k], n) for k, n in asked.items() if n), key=lambda qn: (-qn[1], order[qn[0].key])
    )
    return Summary(year, records, not_answered, spreads, wanted)
