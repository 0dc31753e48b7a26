"""Reading MIS exports, without the database or the pages: the text, the columns, each value, and
the problems named by row and column as the spreadsheet shows them."""

from __future__ import annotations

import datetime as dt

import pytest

from schoolgate.web.people.choices import ImportKind, KeyStage, Relationship
from schoolgate.web.people.importing import (
    MAX_BYTES,
    UnreadableFileError,
    decode,
    detect_dialect,
    key_stage_for,
    normalise_header,
    parse,
    parse_date,
    parse_relationship,
    parse_year,
    parse_yes_no,
)
from tests.web.factories import DATA

TODAY = dt.date(2026, 9, 1)


def _messages(kind: ImportKind, text: str) -> list[str]:
    return [str(p) for p in parse(kind, text, TODAY).problems]


def test_it_reads_utf8_with_or_without_the_excel_byte_order_mark_and_windows_1252() -> None:
    assert decode("Zoë\n".encode()) == "Zoë\n"
    assert decode(b"\xef\xbb\xbfZo\xc3\xab\r\n") == "Zoë\n"
    assert decode(b"Zo\xeb\r\n") == "Zoë\n"  # cp1252, as SIMS writes "CSV"
    assert "Kowalski,Zoë" in decode((DATA / "sims_pupils.csv").read_bytes())


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "The file is empty"),
        (b"PK\x03\x04rest-of-a-zip", "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1", "old Excel workbook (.xls)"),
        ("UPN,Name\n".encode("utf-16"), "UTF-16"),
        (b"UPN\x00,Name\n", "binary data"),
        (b"\x81\x8d\x8f\x90\x9d", "not in a form we can read"),
        (b"x" * (MAX_BYTES + 1), "larger than 5 MB"),
    ],
)
def test_it_refuses_what_is_not_a_csv_file_in_plain_words(raw: bytes, said: str) -> None:
    with pytest.raises(
        UnreadableFileError, match=said.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")
    ):
        decode(raw)


def test_it_matches_column_names_whatever_their_capitals_spaces_or_punctuation() -> None:
    assert normalise_header("Legal_Surname") == normalise_header(" LEGAL-SURNAME ") == "legal surname"
    assert normalise_header("Date of Birth (dd/mm/yyyy)") == "date of birth"
    assert normalise_header("\ufeffPupil's UPN") == "pupils upn"


def test_it_tells_a_sims_export_from_an_arbor_one_by_the_first_row() -> None:
    assert detect_dialect(["UPN", "Legal Surname", "Legal Forename", "Reg Group", "Year"]) == "sims"
    assert detect_dialect(["UPN", "Legal first name", "Legal last name", "Registration form"]) == "arbor"
    assert detect_dialect(["UPN", "Name"]) == ""
    sims = parse(ImportKind.PUPILS, decode((DATA / "sims_pupils.csv").read_bytes()), TODAY)
    arbor = parse(ImportKind.PUPILS, decode((DATA / "arbor_pupils.csv").read_bytes()), TODAY)
    assert (sims.dialect_label, arbor.dialect_label) == ("SIMS-style", "Arbor-style")
    assert sims.unused == ["Adno", "Gender"] and arbor.unused == ["Arbor ID", "Gender", "Ethnicity"]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("31/01/2015", dt.date(2015, 1, 31)),
        ("3/1/2015", dt.date(2015, 1, 3)),  # as Excel writes it back
        ("03-01-2015", dt.date(2015, 1, 3)),
        ("2015-01-31", dt.date(2015, 1, 31)),  # Arbor
        ("2015-01-31T00:00:00", dt.date(2015, 1, 31)),
    ],
)
def test_it_reads_sims_and_arbor_dates(text: str, date: dt.date) -> None:
    assert parse_date(text, TODAY) == date


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("31/02/2015", "31/02/2015 is not a date"),
        ("2015-13-01", "2015-13-01 is not a date"),
        ("next Tuesday", "next Tuesday is not a date (write it as dd/mm/yyyy)"),
        ("01/02/15", "01/02/15: write the year in full (dd/mm/yyyy)"),
        ("01/02/2030", "01/02/2030 is in the future"),
        ("01/02/1850", "too long ago"),
    ],
)
def test_it_says_what_is_wrong_with_a_date(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=said.replace("(", r"\(").replace(")", r"\)")):
        parse_date(text, TODAY)


@pytest.mark.parametrize(
    ("text", "name", "stage"),
    [
        ("N1", "Nursery", KeyStage.EYFS),
        ("Nursery", "Nursery", KeyStage.EYFS),
        ("R", "Reception", KeyStage.EYFS),
        ("Year R", "Reception", KeyStage.EYFS),
        ("YR", "Reception", KeyStage.EYFS),
        ("F2", "Reception", KeyStage.EYFS),
        ("1", "Year 1", KeyStage.KS1),
        ("Y2", "Year 2", KeyStage.KS1),
        ("Year 3", "Year 3", KeyStage.KS2),
        ("NC Year 6", "Year 6", KeyStage.KS2),
        ("year 7", "Year 7", KeyStage.KS3),
        ("9", "Year 9", KeyStage.KS3),
        ("Yr 10", "Year 10", KeyStage.KS4),
        ("11", "Year 11", KeyStage.KS4),
        ("Year 12", "Year 12", KeyStage.KS5),
        ("13", "Year 13", KeyStage.KS5),
    ],
)
def test_it_understands_year_groups_and_infers_their_key_stage(text: str, name: str, stage: KeyStage) -> None:
    year = parse_year(text)
    assert (year.name, year.key_stage) == (name, stage)


def test_a_year_it_does_not_know_is_a_problem_in_words() -> None:
    for text in ("Year 14", "0", "Upper school", ""):
        with pytest.raises(ValueError, match="is not a year group we know"):
            parse_year(text)
    with pytest.raises(ValueError):
        key_stage_for(14)


def test_it_understands_the_mis_words_for_relationships_and_parental_responsibility() -> None:
    assert parse_relationship("Mother") == Relationship.MOTHER
    assert parse_relationship("DAD") == Relationship.FATHER
    assert parse_relationship("Parent") == Relationship.PARENT
    assert parse_relationship("Foster Carer") == Relationship.CARER
    assert parse_relationship("Special Guardian") == Relationship.GUARDIAN
    assert parse_relationship("Grandmother") == Relationship.GRANDPARENT
    assert parse_relationship("Social Worker") == Relationship.SOCIAL_WORKER
    assert parse_relationship("Step-father") == Relationship.OTHER
    assert parse_relationship("Aunt") == Relationship.OTHER
    assert [parse_yes_no(v) for v in ("Yes", "Y", "true", "1", "No", "n", "", "FALSE")] == [True] * 4 + [
        False
    ] * 4
    with pytest.raises(ValueError, match="write Yes or No"):
        parse_yes_no("maybe")


def test_a_bad_row_is_named_by_its_spreadsheet_row_and_its_column() -> None:
    text = decode((DATA / "sims_pupils_bad_row.csv").read_bytes())
    assert _messages(ImportKind.PUPILS, text) == ["Row 7, Date of Birth: 31/02/2015 is not a date"]


def test_rows_are_counted_as_the_spreadsheet_counts_them_even_across_empty_rows() -> None:
    text = (
        "UPN,Legal Surname,Legal Forename,Year\n"
        "A123456789012,Hughes,Amelia,5\n"
        ",,,\n"
        "\n"
        "A123456789013,Patel,,5\n"
    )
    assert _messages(ImportKind.PUPILS, text) == ["Row 5, Legal Forename: missing"]


def test_every_problem_of_a_file_is_reported_not_only_the_first() -> None:
    text = (
        "UPN,Legal Surname,Legal Forename,Date of Birth,Year,Reg Group\n"
        "A123456789012,Hughes,Amelia,14/03/2016,Year 5,5B\n"
        "A123456789012,Hughes,Oliver,14/03/2016,Year 15,5B\n"
        "12345,,Priya,2016-03-14,5,5B\n"
        f"A123456789014,{'X' * 101},Zara,,5,5B\n"
    )
    assert sorted(_messages(ImportKind.PUPILS, text)) == sorted(
        [
            "Row 3, Year: Year 15 is not a year group we know "
            "(write Nursery, Reception, or Year 1 to Year 13)",
            "Row 3, UPN: A123456789012 is also on row 2",
            "Row 4, Legal Surname: missing",
            "Row 4, UPN: 12345 is not a UPN (13 characters: a letter, 11 digits, then a digit or a letter)",
            "Row 5, Legal Surname: is longer than 100 characters",
        ]
    )


def test_a_file_without_a_needed_column_says_which_and_looks_for_the_right_kind() -> None:
    staff = (DATA / "sims_staff.csv").read_text(encoding="cp1252")
    parsed = parse(ImportKind.PUPILS, staff, TODAY)
    assert [str(p) for p in parsed.problems] == [
        "Row 1: there is no UPN (or MIS ID) column (the first row must name the columns)"
    ]
    assert parsed.looks_like == ImportKind.STAFF
    assert parsed.rows == []


def test_a_value_with_an_unquoted_comma_or_an_unclosed_quote_is_caught() -> None:
    text = 'UPN,Legal Surname,Legal Forename\nA123456789012,Hughes,Amelia,Rose\nA123456789013,"Patel,Priya\n'
    assert _messages(ImportKind.PUPILS, text) == [
        "Row 2: has 4 values but the first row names 3 columns "
        "(is there a comma in a value that is not in quotes?)",
        "Row 3: a value runs over several lines (is a quotation mark not closed?); "
        "the rows after it may be in it",
    ]


def test_semicolon_and_tab_separated_exports_are_read_too() -> None:
    for sep in (";", "\t"):
        text = (
            sep.join(["UPN", "Legal Surname", "Legal Forename"])
            + "\n"
            + sep.join(["A123456789012", "Hughes", "Amelia"])
        )
        parsed = parse(ImportKind.PUPILS, text, TODAY)
        assert not parsed.problems and parsed.rows[0].values["last_name"] == "Hughes"


def test_an_empty_file_or_one_of_column_names_only_is_a_problem() -> None:
    assert _messages(ImportKind.STAFF, "\n\n") == [
        "Row 1: the first row should hold the column names, and it is empty"
    ]
    assert _messages(ImportKind.STAFF, "Staff Code,Forename,Surname\n") == [
        "Row 2: the file has column names but no rows"
    ]


def test_parents_rows_need_the_pupils_upn_and_give_good_values() -> None:
    text = (DATA / "sims_contacts.csv").read_text(encoding="cp1252")
    parsed = parse(ImportKind.PARENTS, text, TODAY)
    assert parsed.problems == []
    first = parsed.rows[0].values
    assert first["child"] == "H801200001001" and first["first_name"] == "Rachel"  # not the pupil's names
    assert first["relationship"] == Relationship.MOTHER and first["parental_responsibility"] is True
    assert parsed.rows[4].values["relationship"] == Relationship.GRANDPARENT
    assert parsed.rows[4].values["contact_order"] == 2
    bad = (
        "Contact Forename,Contact Surname,UPN,Priority,Parental Responsibility\n"
        "Rachel,Hughes,,first,perhaps\n"
    )
    assert sorted(_messages(ImportKind.PARENTS, bad)) == [
        "Row 2, Parental Responsibility: perhaps: write Yes or No",
        "Row 2, Priority: first is not a whole number from 1 to 99",
        "Row 2, UPN: missing",
    ]
