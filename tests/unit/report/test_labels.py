"""Report-style labels for excerpts ("Site 4 health professional 07"), for any identifier scheme."""

from __future__ import annotations

import pandas as pd

from support import EMBEDDED
from helpers.report.labels import numbering, participant_labels, segment_labels, site_labels


def test_labels_of_the_embedded_data_follow_the_report_style():
    sites = pd.read_csv(EMBEDDED / "sites.csv", dtype=str)
    people = pd.read_csv(EMBEDDED / "participants.csv", dtype=str)
    labels = participant_labels(people, sites)
    assert labels["S4-HP07"] == "Site 4 health professional 07"
    assert labels["S1-PT06"] == "Site 1 patient 06"
    assert labels["S2-LW01"] == "Site 2 link worker 01"
    assert len(set(labels.values())) == len(people)


def test_ids_without_numbers_are_numbered_in_natural_order():
    sites = pd.DataFrame({"site_id": ["oxford", "bristol"]})
    people = pd.DataFrame({"participant_id": ["pt-b", "pt-a", "gp-x"], "site_id": ["oxford", "oxford", "bristol"],
                           "group": ["patient", "patient", "health_professional"]})
    assert site_labels(sites) == {"bristol": "Site 1", "oxford": "Site 2"}
    assert participant_labels(people, sites) == {"pt-a": "Site 2 patient 01", "pt-b": "Site 2 patient 02",
                                                "gp-x": "Site 1 health professional 01"}


def test_repeated_trailing_numbers_fall_back_to_ranks():
    assert numbering(["A-1", "B-1", "C-2"]) == {"A-1": 1, "B-1": 2, "C-2": 3}
    assert numbering(["P2", "P10", "P9"]) == {"P2": 2, "P9": 9, "P10": 10}
    assert numbering(["x2", "x10", "y"]) == {"x2": 1, "x10": 2, "y": 3}  # natural order, not string order


def test_segment_labels_by_source():
    sites = pd.DataFrame({"site_id": ["S3"]})
    people = pd.DataFrame({"participant_id": ["S3-LW01", "S3-VS08"], "site_id": ["S3", "S3"],
                           "group": ["link_worker", "voluntary_sector"]})
    segments = pd.DataFrame({
        "segment_id": ["a", "b", "c", "d"], "site_id": ["S3"] * 4,
        "source": ["interview", "debrief", "observation", "document"],
        "participant_id": ["S3-VS08", "S3-LW01", "S3-LW01", None]})
    labels = segment_labels(segments, people, sites)
    assert labels.to_dict() == {"a": "Site 3 voluntary sector 08", "b": "Site 3 link worker 01 (debrief)",
                                "c": "Site 3 fieldwork observation", "d": "Site 3 document"}


def test_the_article_follows_the_sound_of_the_first_letter():
    from helpers.report.labels import with_article
    assert with_article("allied health professional") == "An allied health professional"
    assert with_article("GP") == "A GP"
    assert with_article("practice nurse", capital=False) == "a practice nurse"
    assert with_article("outreach worker", capital=False) == "an outreach worker"


def test_no_generated_excerpt_puts_a_before_a_vowel():
    import re
    segments = pd.read_csv(EMBEDDED / "segments.csv", dtype=str)
    wrong = segments["text"].str.contains(r"(?:^|[\s\]])A [aeiouAEIOU]", regex=True)
    assert not wrong.any(), segments.loc[wrong, "text"].iloc[0]
    assert segments["text"].str.contains("An allied health professional").any()
    assert not segments["text"].str.contains(re.escape("A allied")).any()
