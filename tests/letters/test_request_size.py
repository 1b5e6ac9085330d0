"""Request size read from the request text."""

import pytest

from search.letters.request_size import RequestSize, read_request_size, session_bucket


@pytest.mark.parametrize("request_text, expected", [
    ("Physical therapy 2 times a week for 6 weeks",
     RequestSize(sessions=12, frequency="2/week", duration="6 weeks")),
    ("Norco 10/325mg #120", RequestSize(quantity=120, strength="10/325 mg")),
    ("Acupuncture therapy sessions lumbar spine #6", RequestSize(sessions=6)),
    ("PT 2x4 for the knee", RequestSize(sessions=8, frequency="2/week", duration="4 weeks")),
    ("Eight (8) physical therapy sessions", RequestSize(sessions=8)),
    ("Acupuncture, 1 to 2 times per week for 4 weeks",
     RequestSize(sessions=8, frequency="1-2/week", duration="4 weeks")),
    ("Flector 1.3% transdermal patch", RequestSize(strength="1.3%")),
    ("Cold therapy unit, 7-10 day rental", RequestSize(duration="7-10 days")),
    ("Oxycodone ER 20mg #60 day supply: 30",
     RequestSize(quantity=60, duration="30 days", strength="20 mg")),
    ("Wrist braces #2", RequestSize(quantity=2)),
    ("Norco 5/325mg one tablet twice daily 14 days #40",
     RequestSize(quantity=40, frequency="2/day", duration="14 days", strength="5/325 mg")),
    ("MRI of the lumbar spine", RequestSize()),
])
def test_request_sizes(request_text, expected):
    assert read_request_size(request_text) == expected


def test_a_size_as_json_leaves_out_what_the_request_does_not_say():
    assert read_request_size("Norco 10/325mg #120").as_json() == {
        "quantity": 120, "strength": "10/325 mg"}
    assert not read_request_size("Home health evaluation")


@pytest.mark.parametrize("sessions, bucket", [
    (None, ""), (0, ""), (1, "1-6"), (6, "1-6"), (7, "7-12"), (12, "7-12"), (13, "13-24"),
    (24, "13-24"), (25, "more"), (100, "more")])
def test_session_buckets(sessions, bucket):
    assert session_bucket(sessions) == bucket
