"""The training needs questions: the staff responsibilities of policy 002 ("Teaching and Support
Staff ... are responsible for ensuring that ..."), each asked as "how confident are you", 1 to 4.

The keys are kept in the answers: never change one's meaning; add a new key instead (an old year's
answers to a removed key are still shown with the words they were asked in).
"""

from __future__ import annotations

from dataclasses import dataclass

CONFIDENCE: dict[int, str] = {
    1: "Not confident",
    2: "A little confident",
    3: "Confident",
    4: "Very confident",
}
HELP_MAX = 1_000  # characters of "what would help"


@dataclass(frozen=True)
class Question:
    key: str
    area: str  # short, for the summary: "Reporting a concern"
    text: str  # as asked


QUESTIONS: tuple[Question, ...] = (
    Question(
        "awareness",
        "Online safety today",
        "Keeping up to date with online safety matters: the risks pupils meet online now",
    ),
    Question(
        "policy",
        "The school's policy",
        "Knowing the school's online safety policy and practices",
    ),
    Question(
        "agreement",
        "The staff agreement",
        "Knowing what the staff acceptable use agreement asks of you",
    ),
    Question(
        "reporting",
        "Reporting a concern",
        "Reporting suspected misuse or a problem to the online safety coordinator, and how",
    ),
    Question(
        "communication",
        "Professional communication",
        "Keeping digital communication with pupils and parents professional, on school systems only",
    ),
    Question(
        "curriculum",
        "Online safety in lessons",
        "Bringing online safety into your lessons and other activities",
    ),
    Question(
        "pupils-policy",
        "Pupils' rules",
        "Helping pupils understand and follow the online safety policy and their agreement",
    ),
    Question(
        "research",
        "Research and copyright",
        "Teaching research skills, avoiding plagiarism and respecting copyright",
    ),
    Question(
        "devices",
        "Devices in lessons",
        "Watching over the use of devices, mobile phones and cameras in lessons and activities",
    ),
    Question(
        "searching",
        "Safe searching",
        "Guiding pupils to checked sites, and what to do when unsuitable material turns up in a search",
    ),
    Question(
        "risks",
        "Contact, grooming and bullying",
        "Recognising inappropriate online contact, grooming and cyber-bullying, and what to do",
    ),
)
BY_KEY: dict[str, Question] = {q.key: q for q in QUESTIONS}
