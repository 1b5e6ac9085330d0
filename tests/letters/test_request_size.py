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
    ("Counselling 1 time a week for 10 weeks",
     RequestSize(sessions=10, frequency="1/week", duration="10 weeks")),
    ("Weekly group therapy sessions for 8 weeks",
     RequestSize(sessions=8, frequency="1/week", duration="8 weeks")),
    ("Monthly follow-up visit (in months) quantity: 3",
     RequestSize(frequency="1/month", duration="3 months")),
    ("Biofeedback sessions qty: 5, twice per week", RequestSize(sessions=5, frequency="2/week")),
    ("Aquatic therapy 8-12 sessions", RequestSize(sessions=12)),
    ("Chiropractic care three times five visits (15)",
     RequestSize(sessions=15, frequency="3/week", duration="5 weeks")),
    ("Massage 2 visits per week for 3 weeks",
     RequestSize(sessions=6, frequency="2/week", duration="3 weeks")),
    ("Two (2) CT scans of the wrist", RequestSize(quantity=2)),
    ("Tramadol/APAP 37.5-325mg #90", RequestSize(quantity=90, strength="37.5/325 mg")),
    ("Naproxen/esomeprazole 500-20mg #30", RequestSize(quantity=30, strength="500/20 mg")),
    ("Prednisone 10-20mg taper #21", RequestSize(quantity=21, strength="10-20 mg")),
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
