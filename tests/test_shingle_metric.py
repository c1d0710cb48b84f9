"""The benchmark metric on tiny hand-made cases, and against the published reference scores."""

from __future__ import annotations

import pytest

from benchmarks.shingle_metric import PageScore, aggregate, evaluate, score_page, shingles, tokens


def test_tokens_are_unicode_words() -> None:
    assert tokens("Курск, 28 апреля — «Kursk»; naïve_word!") == [
        "Курск",
        "28",
        "апреля",
        "Kursk",
        "naïve_word",
    ]
    assert tokens(None) == []


def test_shingles_are_a_multiset_of_four_tokens() -> None:
    found = shingles("a b c d a b c d")
    assert found[("a", "b", "c", "d")] == 2
    assert sum(found.values()) == 5
    assert shingles("a b c") == {("a", "b", "c"): 1}  # shorter texts are one shingle
    assert shingles("") == {}


def test_identical_texts() -> None:
    assert score_page("one two three four five", "one two three four five") == PageScore(1, 0, 0)


def test_counts_are_normalised_per_page() -> None:
    # 2 expected shingles; the prediction has them plus 2 extra: tp=2, fp=2, fn=0.
    page = score_page("a b c d e", "a b c d e f g")
    assert page == PageScore(0.5, 0.5, 0.0)
    # The same proportions on a page ten times longer weigh the same.
    long = score_page(" ".join(f"w{i}" for i in range(23)), " ".join(f"w{i}" for i in range(43)))
    assert long.tp == pytest.approx(0.5) and long.fp == pytest.approx(0.5)


def test_missed_text_is_false_negative() -> None:
    page = score_page("a b c d e f", "a b c d")
    assert page == PageScore(pytest.approx(1 / 3), 0.0, pytest.approx(2 / 3))


def test_repeated_shingles_count_with_multiplicity() -> None:
    page = score_page("x y z w x y z w", "x y z w")  # 5 expected, 1 predicted, 1 shared
    assert page == PageScore(pytest.approx(0.2), 0.0, pytest.approx(0.8))


def test_empty_prediction_scores_in_recall_only() -> None:
    score = aggregate([score_page("a b c d", ""), score_page("a b c d", "a b c d")])
    assert score.precision == 1.0  # the empty page has tp + fp = 0: not in the precision mean
    assert score.recall == 0.5
    assert score.f1 == pytest.approx(2 * 0.5 / 1.5)


def test_nothing_expected_and_nothing_predicted_is_perfect() -> None:
    page = score_page("", "")
    assert page.empty
    assert aggregate([page]).f1 == 1.0


def test_evaluate_treats_a_missing_page_as_empty() -> None:
    score = evaluate(
        {"a": "one two three four", "b": "five six seven eight"}, {"a": "one two three four"}
    )
    assert score.pages == 2
    assert score.recall == 0.5 and score.precision == 1.0


def test_reference_outputs_score_as_published(shared_data) -> None:
    from benchmarks.eval_extraction import check_metric, load_pages

    root = shared_data / "extraction" / "zyte"
    ok, lines = check_metric(root, load_pages(root))
    assert ok, "\n".join(lines)
    assert all("MISMATCH" not in line for line in lines), "\n".join(lines)


def test_eval_script_prints_its_figures(shared_data, capsys) -> None:
    from benchmarks.eval_extraction import main

    assert main(["--data", str(shared_data / "extraction" / "zyte"), "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "trafilatura" in out and "OK" in out
    for figure in ("newscrawl: P ", "F1 ", "empty results: ", "strategies: ", "pages/s"):
        assert figure in out
