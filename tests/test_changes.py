"""What a member changed against its representative: numbers, name spellings, added sentences."""

from __future__ import annotations

from pipelines.changes import Changes, compare, names

REPRESENTATIVE = (
    "According to Kim Yen Un, a researcher at the Centre for Korean Studies, 11,000 North Korean "
    "soldiers took part. Vladimir Putin thanked Pyongyang for its support."
)
REWRITE = (
    "Kim Yeon-un, a researcher at the Centre for Korean Studies, says 50,000 North Korean "
    "soldiers took part. Vladimir Putin thanked Pyongyang for its support. Kim Jong Un praised "
    "the troops for liberating the region."
)


def test_numbers_that_differ_are_listed_both_ways() -> None:
    changes = compare(REPRESENTATIVE, REWRITE, same_language=True)
    assert changes.numbers_added == ["50,000"]
    assert changes.numbers_missing == ["11,000"]


def test_a_respelled_name_is_paired_and_another_person_is_not() -> None:
    changes = compare(REPRESENTATIVE, REWRITE, same_language=True)
    assert changes.names_respelled == [("Kim Yen Un", "Kim Yeon-un")]  # not Kim Jong Un


def test_added_sentences_are_listed_in_the_same_language_only() -> None:
    same = compare(REPRESENTATIVE, REWRITE, same_language=True)
    assert same.sentences_added == ["Kim Jong Un praised the troops for liberating the region."]
    assert compare(REPRESENTATIVE, REWRITE, same_language=False).sentences_added == []


def test_a_translation_reports_its_transliterated_names() -> None:
    russian = "Ким Ен Ун заявил, что 11 тысяч военных участвовали. Владимир Путин поблагодарил."
    english = "Kim Yen Un said 11,000 soldiers took part. Vladimir Putin thanked them."
    changes = compare(russian, english, same_language=False)
    assert changes.numbers_added == [] and changes.numbers_missing == []
    assert ("Ким Ен Ун", "Kim Yen Un") in changes.names_respelled


def test_an_exact_copy_has_no_changes_and_changes_round_trip_as_json() -> None:
    assert not compare(REPRESENTATIVE, REPRESENTATIVE, same_language=True)
    changes = compare(REPRESENTATIVE, REWRITE, same_language=True)
    assert Changes.from_json(changes.to_json()) == changes
    assert Changes.from_json(None) == Changes()


def test_names_are_runs_of_capitalised_words() -> None:
    found = names(
        "Yesterday Vladimir Putin met Kim Jong Un. The talks ended. Officials in Kursk said so."
    )
    assert {"Vladimir Putin", "Kim Jong Un", "Kursk"} <= found
    assert "Yesterday" not in found and "Officials" not in found
