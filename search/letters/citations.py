"""Normalise the guideline paragraphs of an IMR letter into Citation objects.

Input is the text after "Claims Administrator guideline:" or "MAXIMUS guideline:". Letters cite
in a few house styles:

    Decision based on MTUS Chronic Pain Treatment Guidelines <topic> Page(s): 23, 100-102
    Decision based on MTUS ACOEM Chapter 15 Stress Related Conditions Page(s): 398
    Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain ...
    Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) <Chapter>, <Topic>
    Decision based on Non-MTUS Citation ACOEM ..., 3rd ed., Low Back Disorders, pg. 607
    ... and Other Medical Treatment Guidelines <anything>

Names vary a lot between letters, so guidelines, chapters and sections are mapped onto small
canonical vocabularies (exported below, in facet order) to make facet values stable.

"No medical evidence cited" yields no citation and the FLAG_NO_EVIDENCE letter-level flag; the
index shows source "None" for a party with no citation at all.
"""

from __future__ import annotations

import itertools
import re

from search.letters.domain import (
    ACOEM,
    FLAG_MTUS_AS_NON_MTUS,
    FLAG_NO_EVIDENCE,
    FLAG_NOT_MTUS,
    MTUS,
    ODG,
    OTHER,
    Citation,
    GuidelineText,
)

# --- vocabularies -------------------------------------------------------------------------------

# MTUS guidelines (8 CCR 9792.22-9792.26), canonical short name -> regex of the names letters use.
_MTUS_GUIDELINE_PATTERNS: list[tuple[str, str]] = [
    ("Chronic Pain", r"Chronic Pain (?:Medical )?Treatment(?: Guidelines?)?|Chronic Pain"),
    ("Low Back", r"Low Back Complaints|Low Back"),
    ("Neck and Upper Back", r"Neck (?:and|&) Upper Back Complaints|Neck (?:and|&) Upper Back"),
    ("Shoulder", r"Shoulder Complaints"),
    ("Elbow", r"Elbow (?:Complaints|Disorders)"),
    ("Forearm, Wrist, and Hand", r"Forearm,? Wrist,? (?:and|&) Hand Complaints"),
    ("Knee", r"Knee Complaints"),
    ("Ankle and Foot", r"Ankle (?:and|&) Foot Complaints"),
    ("Stress Related Conditions", r"Stress[- ]Related Conditions"),
    ("General Approaches", r"General Approaches"),
    ("Acupuncture", r"Acupuncture (?:Medical )?Treatment(?: Guidelines)?"),
    ("Postsurgical Treatment", r"Post-?surgical Treatment(?: Guidelines)?"),
    ("Opioid Treatment", r"Opioids? Treatment(?: Guidelines)?"),
]
MTUS_GUIDELINES: list[str] = [name for name, _ in _MTUS_GUIDELINE_PATTERNS]

# ACOEM 2nd edition chapters adopted into the 2004 MTUS: chapters 1-7 are "General Approaches".
ACOEM_CHAPTER_TO_MTUS: dict[int, str] = {
    **{chapter: "General Approaches" for chapter in range(1, 8)},
    8: "Neck and Upper Back",
    9: "Shoulder",
    10: "Elbow",
    11: "Forearm, Wrist, and Hand",
    12: "Low Back",
    13: "Knee",
    14: "Ankle and Foot",
    15: "Stress Related Conditions",
}
_GENERAL_APPROACHES_CHAPTERS: dict[int, str] = {
    1: "Prevention",
    2: "General Approach to Initial Assessment and Documentation",
    3: "Initial Approaches to Treatment",
    4: "Work-Relatedness",
    5: "Cornerstones of Disability Prevention and Management",
    6: "Pain, Suffering, and the Restoration of Function",
    7: "Independent Medical Examinations and Consultations",
}

# Section names cited under MTUS guidelines. Several contain commas, so splitting a section list
# tries these names first and falls back on commas only for names it does not know.
MTUS_SECTIONS: list[str] = [
    # ACOEM-based body-part chapters and General Approaches (2004/2007)
    "Summary",
    "Special Studies",
    "Diagnostic Criteria",
    "Initial Care",
    "Physical Methods",
    "Surgical Considerations",
    "General Approach",
    "Recommendations",
    "Radial Head Fracture",
    "Work-Relatedness",
    "Activity Alteration",
    "Follow-up Visits",
    "Medications",
    "Red Flags",
    "Prevention",
    "General Approach to Initial Assessment and Documentation",
    "Initial Approaches to Treatment",
    "Cornerstones of Disability Prevention and Management",
    "Pain, Suffering, and the Restoration of Function",
    "Independent Medical Examinations and Consultations",
    # Postsurgical Treatment body regions
    "Forearm, Wrist, & Hand",
    "Neck & Upper Back",
    "Elbow & Upper Arm",
    "Hip, Pelvis and Thigh (femur and patella)",
    "Ankle & Foot",
    "Carpal Tunnel Syndrome",
    # Chronic Pain Medical Treatment Guidelines topics
    "Acetaminophen (APAP)",
    "Acupuncture",
    "Anti-inflammatory medications",
    "Antidepressants for chronic pain",
    "Antiepilepsy drugs (AEDs)",
    "Antiepilepsy drugs (AEDs) for pain",
    "Antispasmodics",
    "Aquatic therapy",
    "Baclofen (Lioresal)",
    "Behavioral interventions",
    "Benzodiazepines",
    "Biofeedback",
    "Botulinum toxin (Botox; Myobloc)",
    "Buprenorphine",
    "Capsaicin, topical",
    "Carisoprodol (Soma)",
    "Celebrex (celecoxib)",
    "Chronic pain programs (functional restoration programs)",
    "Chronic pain programs, early intervention",
    "Chronic pain programs, intensity",
    "Chronic pain programs, opioids",
    "Cognitive behavioral therapy",
    "Cyclobenzaprine (Flexeril)",
    "Detoxification",
    "Diabetic neuropathy",
    "Drug testing",
    "Duloxetine (Cymbalta)",
    "Electrodiagnostic testing (EMG/NCS)",
    "Epidural steroid injections (ESIs)",
    "Exercise",
    "Facet blocks",
    "Fentanyl",
    "Flector patch (diclofenac epolamine)",
    "Functional improvement measures",
    "Functional restoration programs (FRPs)",
    "Gabapentin (Neurontin)",
    "Glucosamine (and Chondroitin Sulfate)",
    "H-wave stimulation (HWT)",
    "Home health services",
    "Hydrocodone/Acetaminophen",
    "Injection with anaesthetics and/or steroids",
    "Insomnia treatment",
    "Interferential Current Stimulation (ICS)",
    "Intrathecal drug delivery systems (IDDSs) & medications",
    "Ketamine",
    "Ketoprofen",
    "Lidocaine",
    "Lidoderm (lidocaine patch)",
    "Lyrica (pregabalin)",
    "Manual therapy & manipulation",
    "Massage therapy",
    "Medications for chronic pain",
    "Meloxicam (Mobic)",
    "Methadone",
    "Muscle relaxants (for pain)",
    "Naproxen (Naprosyn, EC-Naprosyn, EC-Naprosyn, Anaprox, Anaprox DS [otc], Naprelan)",
    "Neuromuscular electrical stimulation (NMES devices)",
    "NSAIDs (non-steroidal anti-inflammatory drugs)",
    "NSAIDs, GI symptoms & cardiovascular risk",
    "NSAIDs, hypertension and renal function",
    "NSAIDs, specific drug list & adverse effects",
    "Office visits",
    "Opioids, criteria for use",
    "Opioids, dosing",
    "Opioids, long-term assessment",
    "Opioids, specific drug list",
    "Opioids, steps to avoid misuse/addiction",
    "Opioids, screening for risk of addiction (tests)",
    "Opioids, pain treatment agreement",
    "Opioids, differentiation: dependence & addiction",
    "Opioids for neuropathic pain",
    "Orphenadrine (Norflex)",
    "Percutaneous electrical nerve stimulation (PENS)",
    "Physical medicine treatment",
    "Proton Pump Inhibitors (PPIs)",
    "Psychological evaluations",
    "Psychological treatment",
    "Spinal cord stimulators (SCS)",
    "Salicylate topicals",
    "TENS, chronic pain (transcutaneous electrical nerve stimulation)",
    "TENS, post operative pain (transcutaneous electrical nerve stimulation)",
    "Tizanidine (Zanaflex)",
    "Topical analgesics",
    "Tramadol (Ultram)",
    "Transcutaneous electrotherapy",
    "Trigger point injections",
    "Ultrasound, therapeutic",
    "Weaning of medications",
    "Work conditioning, work hardening",
    # Opioid Treatment Guidelines (2016), numbered sections
    "1.3 Opioids for Acute Pain: Severe Acute Injuries",
    "1.4 Opioids for Acute Pain: Opioids for Post-operative Pain",
    "2. Opioids for Subacute Pain",
    "3.3.6 Opioids for Chronic Pain and Chronic Opioid Treatment: Use of Urine Drug Testing (UDT)",
    "3.3.9 Opioids for Chronic Pain and Chronic Opioid Treatment: "
    "Maintenance of Chronic Opioid Treatment",
    "4.1 Tapering Opioids: Indications for Tapering Opioids",
]

# Spellings seen in letters for the same section, lower-cased.
_MTUS_SECTION_ALIASES: dict[str, str] = {
    "diagnositc criteria": "Diagnostic Criteria",
    "cognitive bahavioral therapy": "Cognitive behavioral therapy",
    "cognitive behavioral therapy (cbt)": "Cognitive behavioral therapy",
    "cbt": "Cognitive behavioral therapy",
    "physical therapy": "Physical medicine treatment",
    "psychological treatments": "Psychological treatment",
    "work-relatedness": "Work-Relatedness",
    "work relatedness": "Work-Relatedness",
}

# ODG (Work Loss Data Institute, later MCG) chapters; the canonical names are the facet values.
_ODG_CHAPTER_PATTERNS: list[tuple[str, str]] = [
    ("Low Back", r"Low Back(?: Pain)?|Lumbar (?:&|and) Thoracic|Thoracic (?:&|and) Lumbar"),
    ("Neck and Upper Back", r"Neck (?:and|&) Upper Back|Neck|Cervical Spine"),
    ("Shoulder", r"Shoulders?"),
    ("Elbow", r"Elbow(?: \(Acute (?:&|and) Chronic\))?"),
    ("Forearm, Wrist & Hand", r"Forearm,? Wrist,? (?:and |& )?Hand|Wrist|Hand"),
    ("Carpal Tunnel Syndrome", r"Carpal Tunnel Syndrome"),
    ("Hip & Pelvis", r"Hips? (?:and|&) Pelvis|Hip"),
    ("Knee & Leg", r"Knee (?:and|&) Leg|Knee"),
    ("Ankle & Foot", r"Ankle (?:and|&) Foot|Foot|Ankle"),
    ("Pain (Chronic)", r"Pain \(Chronic\)|Chronic Pain|Pain"),
    ("Head", r"Head|Traumatic Brain Injury|TBI"),
    ("Mental Illness & Stress", r"Mental Illn?ess? (?:and|&) Stress|Mental Health|Stress"),
    ("Eye", r"Eye"),
    ("Hernia", r"Hernia"),
    ("Pulmonary", r"Pulmonary"),
    ("Burns", r"Burns"),
    ("Diabetes", r"Diabetes"),
    ("Cardiovascular", r"Cardiovascular|Cardiology"),
    (
        "Treatment in Workers' Compensation",
        r"Treatment in Workers'? Comp(?:ensation)?|TWC|ODG Treatment",
    ),
    (
        "Integrated Treatment/Disability Duration Guidelines",
        r"Integrated Treatment/Disability Duration Guidelines",
    ),
    ("Preface", r"Preface"),
]
ODG_CHAPTERS: list[str] = [name for name, _ in _ODG_CHAPTER_PATTERNS]

# ODG topics in one spelling, so "Physical Therapy" and "physical therapy" are one facet value.
ODG_TOPICS: list[str] = [
    "Acupuncture",
    "Behavioral interventions",
    "Benzodiazepines",
    "Biofeedback",
    "Cognitive behavioral therapy",
    "Continuous-flow cryotherapy",
    "CT (computed tomography)",
    "Durable medical equipment (DME)",
    "Electrodiagnostic studies (EDS)",
    "Electrodiagnostic testing (EMG/NCS)",
    "Epidural steroid injections (ESIs)",
    "Facet joint diagnostic blocks",
    "Heat therapy",
    "Home health services",
    "Imaging",
    "Indications for surgery",
    "Lidoderm (lidocaine patch)",
    "Magnetic resonance imaging (MRI)",
    "MRI",
    "MRIs (magnetic resonance imaging)",
    "Muscle relaxants (for pain)",
    "Nerve conduction studies (NCS)",
    "Office visits",
    "Opioids",
    "Physical therapy",
    "Physical therapy guidelines",
    "Physical/Occupational therapy",
    "Platelet-rich plasma (PRP)",
    "Postoperative abduction pillow sling",
    "Preoperative electrocardiogram (ECG)",
    "Preoperative lab testing",
    "Proton pump inhibitors (PPIs)",
    "Psychotherapy guidelines",
    "Shock wave therapy",
    "Skilled nursing facility (SNF) care",
    "Splinting",
    "Surgical assistant",
    "TENS (transcutaneous electrical nerve stimulation)",
    "Topical analgesics",
    "X-ray",
]

# ACOEM Practice Guidelines (3rd edition on) chapters, as cited outside the MTUS.
_ACOEM_CHAPTER_PATTERNS: list[tuple[str, str]] = [
    ("Low Back Disorders", r"Low Back(?: Disorders)?"),
    ("Cervical and Thoracic Spine Disorders", r"Cervical (?:and|&) Thoracic Spine(?: Disorders)?"),
    ("Shoulder Disorders", r"Shoulder(?: Disorders)?"),
    ("Elbow Disorders", r"Elbow(?: Disorders)?"),
    ("Hand, Wrist, and Forearm Disorders", r"Hand,? Wrist,? (?:and|&) Forearm(?: Disorders)?"),
    ("Hip and Groin Disorders", r"Hip (?:and|&) Groin(?: Disorders)?"),
    ("Knee Disorders", r"Knee(?: Disorders)?"),
    ("Ankle and Foot Disorders", r"Ankle (?:and|&) Foot(?: Disorders)?"),
    ("Chronic Pain", r"Chronic Pain"),
    ("Opioids", r"Opioids"),
    ("Traumatic Brain Injury", r"Traumatic Brain Injury"),
    ("Workplace Mental Health", r"(?:Workplace )?Mental Health|Stress"),
    ("Eye", r"Eye"),
]

# Publishers and sites cited as "other" evidence, canonical short name -> regex.
_OTHER_PUBLISHER_PATTERNS: list[tuple[str, str]] = [
    ("UpToDate", r"up\s*to\s*date"),
    ("Aetna", r"aetna"),
    ("CMS", r"\bCMS\b|cms\.gov|Medicare|Centers for Medicare"),
    ("FDA", r"\bFDA\b|Food and Drug Administration|fda\.gov|accessdata"),
    ("Medline Plus", r"medline\s*plus"),
    ("PubMed", r"pubmed|ncbi\.nlm\.nih\.gov"),
    ("Drugs.com", r"drugs\.com"),
    ("MDGuidelines", r"mdguidelines|Reed Group|Medical Disability Advisor"),
    ("AANEM", r"AANEM|American Association of Neuromuscular"),
    ("AAOS", r"\bAAOS\b|American Academy of Orthopaedic Surgeons"),
    ("ASIPP", r"ASIPP|American Society of Interventional Pain"),
    ("Cochrane", r"Cochrane"),
    ("National Guideline Clearinghouse", r"Guideline Clearinghouse|guideline\.gov"),
    ("Anthem", r"Anthem"),
    ("Cigna", r"Cigna"),
    ("Blue Cross Blue Shield", r"Blue Cross|Blue Shield|BCBS"),
    ("Hayes", r"\bHayes\b"),
    ("Physicians' Desk Reference", r"Physicians'? Desk Reference|\bPDR\b"),
    ("WebMD", r"WebMD"),
    ("Medscape", r"Medscape"),
    ("Mayo Clinic", r"Mayo Clinic"),
    ("Green's Operative Hand Surgery", r"Green'?s Operative Hand Surgery"),
    ("Campbell's Operative Orthopaedics", r"Campbell'?s Operative Orthop"),
    ("University of Michigan Health System", r"University of Michigan"),
    ("Work Loss Data Institute", r"Work Loss Data Institute"),
]

# --- compiled patterns --------------------------------------------------------------------------


def _alternation(patterns: list[tuple[str, str]]) -> re.Pattern[str]:
    groups = "|".join(f"(?P<g{i}>{pattern})" for i, (_, pattern) in enumerate(patterns))
    return re.compile(groups, re.I)


def _named(match: re.Match[str], patterns: list[tuple[str, str]]) -> str:
    return patterns[int(match.lastgroup[1:])][0]


_MTUS_GUIDELINE_RE = _alternation(_MTUS_GUIDELINE_PATTERNS)
_ODG_CHAPTER_RE = _alternation(_ODG_CHAPTER_PATTERNS)
_ACOEM_CHAPTER_RE = _alternation(_ACOEM_CHAPTER_PATTERNS)
_OTHER_PUBLISHER_RES = [(name, re.compile(p, re.I)) for name, p in _OTHER_PUBLISHER_PATTERNS]

_ODG_TOPIC_CANONICAL: dict[str, str] = {name.lower(): name for name in ODG_TOPICS}
_SECTION_CANONICAL: dict[str, str] = {name.lower(): name for name in MTUS_SECTIONS}
_SECTION_CANONICAL.update(_MTUS_SECTION_ALIASES)
# Longest first, so "NSAIDs, GI symptoms & cardiovascular risk" wins over a plain "NSAIDs".
_KNOWN_SECTION_RE = re.compile(
    r"\s*(?P<name>"
    + "|".join(re.escape(n) for n in sorted(_SECTION_CANONICAL, key=len, reverse=True))
    + r")\s*(?=[,;.]|$)",
    re.I,
)

_NO_EVIDENCE_RE = re.compile(r"did not cite any (?:medical )?evidence", re.I)
_NOT_MTUS_RE = re.compile(
    r"did not base (?:their|his|her|its|the) decision on the MTUS"
    r"|based (?:their|his|her|its|the) decision on recommendation\(?s?\)? outside of the MTUS",
    re.I,
)
# Fragments with nothing to cite: punctuation, or a bare label.
_EMPTY_CITATION_RE = re.compile(r"\W*(?:Decision\s+based\s+on|Sections?(?:\(s\))?:?)?\W*", re.I)
_DECISION_BASED_ON_RE = re.compile(r"Decision\s+based\s+on\s+", re.I)
_NON_MTUS_HEAD_RE = re.compile(r"^Non-\s*MTUS\s+Citations?\s*:?\s*", re.I)
_MTUS_HEAD_RE = re.compile(r"^(?:the\s+)?(?:CA\s+|California\s+)?MTUS\b\s*:?\s*", re.I)
_OTHER_GUIDELINES_RE = re.compile(
    r"\s*\band\s+Other\s+Medical\s+Treatment\s+Guidelines?\b\s*:?\s*", re.I
)
_ODG_NAME_RE = re.compile(
    r"Official\s+Disability\s+Guidelines?(?:\s*\(ODG\))?|\bODG\b(?:\s+Guidelines?)?", re.I
)
_ACOEM_NAME_RE = re.compile(r"\bACOEM\b", re.I)

# A new-style MTUS citation: "<Guideline> <year>[, Section(s): ...]"; the next one begins after
# ", and" with another guideline name followed by a year.
_MTUS_YEAR_RE = re.compile(r"\s*(?P<year>(?:19|20)\d\d)\b")
_SECTIONS_LABEL_RE = re.compile(r"^\s*,?\s*Sections?(?:\(s\))?\s*:?\s*", re.I)
_PAGES_LABEL_RE = re.compile(r"\bPages?(?:\(s\))?\s*:?|\bpgs?\.?|\bp\.(?=\s*\d)", re.I)
_PAGE_RE = re.compile(r"\d+(?:\s*[-\u2013]\s*\d+)?")
_ACOEM_OLD_CHAPTER_RE = re.compile(r"^ACOEM(?:\s+Practice\s+Guidelines)?,?\s+Chapter\s+(\d+)", re.I)
_PART_RE = re.compile(r"^(?:part|chapter)\s+(?:\d+|one|two|three|four)$", re.I)
_SEE_ALSO_RE = re.compile(r"^(?:see\s+also|see)\b\s*:?\s*|^(?:topic|sub-?heading)\s*:\s*", re.I)
_EDITION_RE = re.compile(r"\b\d+(?:st|nd|rd|th)\s+(?:ed\b\.?|edition\b)", re.I)

# Edition and version noise in ODG and ACOEM citations; removed before reading chapter and topic.
_ODG_NOISE_RE = re.compile(
    r"\(\s*(?:Lumbar|Thoracic)\s*(?:&|and)\s*(?:Thoracic|Lumbar)(?:,?\s*Acute\s*(?:&|and)\s*Chronic)?\s*\)"
    r"|\(?\s*(?:last\s+)?updated:?\s*(?:\d{1,2}/\d{1,2}/\d{2,4}|\w+\s+\d{1,2},?\s+\d{4}|\d{4})\s*\)?"
    r"|\(?\s*(?:Web|Online|Internet)\s+Version\s*\)?"
    r"|\(?\s*(?:Acute\s*(?:&|and)\s*Chronic)\s*\)?"
    r"|\(?\b\d+(?:st|nd|rd|th)\s+(?:Annual\s+)?Edition\s*\)?"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(?:\d{1,2},?\s+)?\d{4}(?:\s+update)?"
    r"|\bWork\s+Loss\s+Data\s+Institute\b"
    r"|\bTreatment\s+Index\b"
    r"|\btopic\s*:"
    r"|\bChapter\b\s*:?|\bsection\b\s*:?"
    r"|\((?:19|20)\d\d\)"
    r"|(?<![\w/.-])(?:19|20)\d\d(?![\w/.-])",
    re.I,
)
_ODG_LUMBAR_QUALIFIER_RE = re.compile(
    r"^\s*[-,]?\s*\(?(?:Lumbar|Thoracic)\s*(?:&|and)\s*(?:Thoracic|Lumbar)"
    r"(?:,?\s*Acute\s*(?:&|and)\s*Chronic)?\)?",
    re.I,
)
_ODG_NON_TOPICS = {"subheading", "guideline", "guidelines", "and", "the"}
_LEADING_SEPARATORS = " ,;:/-\u2013\u2014."
_TRAILING_SEPARATORS = " ,;:/-\u2013\u2014."


# --- public API ---------------------------------------------------------------------------------


def parse_guideline(raw: str) -> GuidelineText:
    """Parse one party's guideline paragraph into citations and letter-level flags."""
    text = normalise_whitespace(raw)
    result = GuidelineText(raw=text)
    if not text:
        return result
    if _NO_EVIDENCE_RE.search(text):
        result.flags.append(FLAG_NO_EVIDENCE)
    if _NOT_MTUS_RE.search(text):
        result.flags.append(FLAG_NOT_MTUS)

    segments = _DECISION_BASED_ON_RE.split(text)
    if len(segments) == 1:
        # No "Decision based on": a free-text list of sources (early layouts), unless the text
        # only states a flag.
        if not result.flags:
            result.citations.extend(_parse_free_text(text))
    else:
        for segment in segments[1:]:
            result.citations.extend(_parse_segment(segment))

    for citation in result.citations:
        for flag in citation.flags:
            if flag not in result.flags:
                result.flags.append(flag)
    return result


def normalise_whitespace(text: str) -> str:
    text = (text or "").replace("\u00a0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    # Line breaks in the PDFs split hyphenated words: "Non- MTUS" was "Non-MTUS".
    return re.sub(r"\bNon-\s+MTUS", "Non-MTUS", text)


def canonical_section(name: str) -> str:
    """The vocabulary spelling of an MTUS section, else the name tidied (shouting lowered)."""
    name = name.strip(_TRAILING_SEPARATORS + " ").strip()
    known = _SECTION_CANONICAL.get(name.lower())
    if known:
        return known
    if name.isupper() and len(name) > 4:
        name = name.capitalize()
    return name[:1].upper() + name[1:]


def split_sections(text: str) -> list[str]:
    """Split a comma-separated section list, keeping known names that contain commas whole."""
    sections: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _KNOWN_SECTION_RE.match(text, pos)
        if match:
            piece = match.group("name")
            pos = match.end()
        else:
            next_comma = _next_separator(text, pos)
            piece = text[pos:next_comma]
            pos = next_comma
        pos = _skip_separators(text, pos)
        piece = piece.strip(_TRAILING_SEPARATORS)
        if piece:
            sections.append(piece)
    return sections


# --- segments -----------------------------------------------------------------------------------


def _parse_segment(segment: str) -> list[Citation]:
    """One "Decision based on ..." segment: MTUS, or Non-MTUS (ODG, ACOEM, others)."""
    segment = segment.strip()
    non_mtus = _NON_MTUS_HEAD_RE.match(segment)
    if non_mtus:
        return _parse_non_mtus(segment[non_mtus.end() :])
    mtus = _MTUS_HEAD_RE.match(segment)
    if mtus:
        return _parse_mtus(segment[mtus.end() :], raw=segment)
    return _parse_free_text(segment)


def _parse_free_text(text: str) -> list[Citation]:
    """Text without house-style markers: one citation per sentence that names a source."""
    citations: list[Citation] = []
    for sentence in re.split(r"(?<=[a-z)\]])\.\s+(?=[A-Z])", text):
        sentence = sentence.strip()
        if _EMPTY_CITATION_RE.fullmatch(sentence) or _NO_EVIDENCE_RE.search(sentence):
            continue
        if _NOT_MTUS_RE.search(sentence):
            continue
        mtus = re.search(r"\bMTUS\b", sentence)
        if mtus and not _ODG_NAME_RE.search(sentence):
            citations.extend(_parse_mtus(sentence[mtus.end() :].lstrip(" :"), raw=sentence))
        else:
            citations.extend(_parse_non_mtus(sentence))
    return citations


def _parse_non_mtus(text: str) -> list[Citation]:
    citations: list[Citation] = []
    parts = _OTHER_GUIDELINES_RE.split(text)
    for index, part in enumerate(parts):
        part = part.strip(" .")
        if not part:
            continue
        if index > 0:
            citations.append(_other_citation(part))
            continue
        for piece in _split_on_repeated_odg(part):
            citations.extend(_parse_non_mtus_piece(piece))
    return citations


def _split_on_repeated_odg(text: str) -> list[str]:
    """Split "ODG Low Back, PT. Official Disability Guidelines (ODG) PT Guidelines." in two."""
    starts = [m.start() for m in _ODG_NAME_RE.finditer(text)]
    starts = [s for s in starts if s > 0 and re.search(r"[.,;]\s*$", text[:s])]
    bounds = [0, *starts, len(text)]
    pieces = (text[a:b].strip(" ,;.") for a, b in itertools.pairwise(bounds))
    return [piece for piece in pieces if piece]


def _parse_non_mtus_piece(piece: str) -> list[Citation]:
    mtus = _MTUS_HEAD_RE.match(piece)
    if mtus:
        # "Non-MTUS Citation MTUS: CHRONIC PAIN MEDICAL TREATMENT GUIDELINES, ..."
        citations = _parse_mtus(piece[mtus.end() :], raw=piece)
        for citation in citations:
            citation.flags.append(FLAG_MTUS_AS_NON_MTUS)
        return citations
    has_odg = bool(_ODG_NAME_RE.search(piece))
    acoem = _ACOEM_NAME_RE.search(piece)
    if acoem and not has_odg:
        return [_acoem_citation(piece)]
    if has_odg:
        citations = []
        odg_at = _ODG_NAME_RE.search(piece).start()
        if acoem and acoem.start() < odg_at:
            # "ACOEM guidelines and the Official Disability Guidelines": both, no detail.
            citations.append(Citation(source=ACOEM, raw=piece[:odg_at].strip(" ,;.")))
            piece = piece[odg_at:]
        return citations + _odg_citations(piece)
    if _ODG_CHAPTER_RE.match(piece) and not _looks_like_reference(piece):
        # "Non-MTUS Citation Shoulder (Acute & Chronic), Physical Therapy": an ODG chapter.
        return _odg_citations(piece)
    return [_other_citation(piece)]


def _looks_like_reference(text: str) -> bool:
    return bool(re.search(r"https?://|www\.|\bet al\b|\bJ\b\.|Journal", text, re.I))


# --- MTUS ---------------------------------------------------------------------------------------


def _parse_mtus(text: str, raw: str) -> list[Citation]:
    """MTUS citation(s) after the "MTUS" marker; several guidelines may follow each other."""
    text = text.strip(" .")
    heads = _mtus_heads(text)
    if not heads:
        return [_mtus_citation("", text, raw=raw)]
    citations = []
    for index, (start, end, guideline) in enumerate(heads):
        stop = heads[index + 1][0] if index + 1 < len(heads) else len(text)
        body = text[end:stop]
        body = re.sub(r"(?:,\s*|\s+)and\s*$|[\s,]+$", "", body)
        fragment = text[start:stop].strip(" ,.")
        fragment = re.sub(r",?\s+and$", "", fragment)
        citations.append(_mtus_citation(guideline, body, raw=fragment if len(heads) > 1 else raw))
    return citations


def _mtus_heads(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical guideline) of every guideline name that opens a citation."""
    heads: list[tuple[int, int, str]] = []
    old_chapter = _ACOEM_OLD_CHAPTER_RE.match(text)
    if old_chapter:
        chapter = int(old_chapter.group(1))
        return [(0, old_chapter.end(), f"ACOEM {chapter}")]
    first = _MTUS_GUIDELINE_RE.match(text)
    if not first:
        return heads
    heads.append((0, first.end(), _named(first, _MTUS_GUIDELINE_PATTERNS)))
    # Later guidelines only count when followed by an edition year, which keeps section names
    # such as "Forearm, Wrist, & Hand" (a Postsurgical section) from opening a citation.
    for joint in re.finditer(r",?\s+and\s+", text):
        match = _MTUS_GUIDELINE_RE.match(text, joint.end())
        if match and _MTUS_YEAR_RE.match(text, match.end()):
            heads.append((joint.start(), match.end(), _named(match, _MTUS_GUIDELINE_PATTERNS)))
    return heads


def _mtus_citation(guideline: str, body: str, raw: str) -> Citation:
    citation = Citation(source=MTUS, raw=raw.strip(" ."))
    sections: list[str] = []
    if guideline.startswith("ACOEM "):
        chapter = int(guideline.split()[1])
        guideline = ACOEM_CHAPTER_TO_MTUS.get(chapter, "")
        if chapter in _GENERAL_APPROACHES_CHAPTERS:
            sections.append(_GENERAL_APPROACHES_CHAPTERS[chapter])
        # The chapter title that follows the number repeats the guideline name.
        title = _MTUS_GUIDELINE_RE.match(body.strip())
        if title:
            body = body.strip()[title.end() :]
    citation.guideline = guideline

    year = _MTUS_YEAR_RE.match(body)
    if year:
        citation.edition = year.group("year")
        body = body[year.end() :]
    body = re.sub(r"^\s*Guidelines?\b", "", body, flags=re.I)

    pages_at = _PAGES_LABEL_RE.search(body)
    if pages_at:
        citation.pages = _pages(body[pages_at.end() :])
        body = body[: pages_at.start()]
    body = _SECTIONS_LABEL_RE.sub("", body).strip(" ,.;:")

    for name in split_sections(body):
        name = _SEE_ALSO_RE.sub("", name).strip()
        if not name or _PART_RE.match(name):
            continue
        if re.fullmatch(r"\d+(?:\s*-\s*\d+)?", name):
            # "Elbow Complaints 2007, Section(s): 326" and "..., THERAPY, 23" give a page.
            citation.pages.append(re.sub(r"\s+", "", name))
            continue
        sections.append(canonical_section(name))
    citation.sections = _unique(sections)
    return citation


def _pages(text: str) -> list[str]:
    text = _PAGES_LABEL_RE.sub(" ", text)
    return _unique(re.sub(r"\s*[-\u2013]\s*", "-", page) for page in _PAGE_RE.findall(text))


# --- ODG ----------------------------------------------------------------------------------------


def _odg_citations(piece: str) -> list[Citation]:
    """ODG citation(s): a chapter then topics; a later chapter name opens another citation."""
    raw = piece.strip(" .")
    text = _ODG_NAME_RE.sub(" ", raw)
    # Noise often sits between chapter and topic ("Knee Chapter Indications for surgery"), so it
    # becomes a separator.
    text = _ODG_NOISE_RE.sub(" ; ", text)
    text = re.sub(r"\(\s*\)", " ", text)
    text = normalise_whitespace(text).strip(_LEADING_SEPARATORS)

    citations: list[Citation] = []
    current: Citation | None = None
    for index, token in enumerate(_odg_tokens(text)):
        chapter, topic = _odg_chapter_and_topic(token, first=index == 0)
        if chapter:
            current = Citation(source=ODG, guideline=chapter, raw=raw)
            citations.append(current)
        if topic:
            if current is None:
                current = Citation(source=ODG, raw=raw)
                citations.append(current)
            if topic not in current.sections:
                current.sections.append(topic)
    if not citations:
        citations.append(Citation(source=ODG, raw=raw))
    # Several chapters repeating nothing but a shared topic ("Shoulder Chapter, Hand Chapter,
    # Physical therapy"): the topic belongs to each chapter.
    if len(citations) > 1 and not citations[0].sections and citations[-1].sections:
        for citation in citations[:-1]:
            if not citation.sections:
                citation.sections = list(citations[-1].sections)
    return _merge_same_chapter(citations)


def _odg_tokens(text: str) -> list[str]:
    """Comma/semicolon separated tokens, keeping chapter names with commas whole."""
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        chapter = _ODG_CHAPTER_RE.match(text, pos)
        start = pos
        if chapter:
            pos = chapter.end()
        paren_depth = 0
        while pos < len(text):
            char = text[pos]
            if char in "([":
                paren_depth += 1
            elif char in ")]":
                paren_depth = max(0, paren_depth - 1)
            elif char in ",;" and paren_depth == 0:
                break
            pos += 1
        token = text[start:pos].strip(_LEADING_SEPARATORS)
        if token:
            tokens.append(token)
        pos = _skip_separators(text, pos)
    return tokens


def _odg_chapter_and_topic(token: str, first: bool) -> tuple[str, str]:
    match = _ODG_CHAPTER_RE.match(token)
    # A chapter name must stand alone or be followed by a separator, not be a topic's first
    # word ("Knee - Platelet-rich plasma" names the chapter; a later "Neck pain" is a topic).
    if match and _chapter_ends_cleanly(token, match, first):
        chapter = _named(match, _ODG_CHAPTER_PATTERNS)
        rest = token[match.end() :]
        if chapter == "Low Back":
            qualifier = _ODG_LUMBAR_QUALIFIER_RE.match(rest)
            if qualifier:
                rest = rest[qualifier.end() :]
        return chapter, _odg_topic(rest)
    return "", _odg_topic(token)


def _chapter_ends_cleanly(token: str, match: re.Match[str], first: bool) -> bool:
    rest = token[match.end() :]
    if not rest.strip() or match.group(0).endswith(")"):
        return True
    if re.match(r"\s*(?:[-/:\u2013\u2014(]|,)", rest):
        return True
    if re.match(r"\s+(?:Lumbar|Thoracic|Guidelines?)\b", rest, re.I):
        return True
    # Right after the ODG name, a capitalised chapter opens the citation: "ODG Head CT".
    return first and match.group(0)[:1].isupper() and bool(re.match(r"\s+[A-Z]", rest))


def _odg_topic(text: str) -> str:
    topic = text.strip(_LEADING_SEPARATORS)
    topic = _SEE_ALSO_RE.sub("", topic)
    if topic.startswith("(") and topic.endswith(")") and topic.count("(") == 1:
        topic = topic[1:-1]
    topic = topic.strip(_TRAILING_SEPARATORS)
    if not topic or re.fullmatch(r"[\W\d_]+", topic) or topic.lower() in _ODG_NON_TOPICS:
        return ""
    known = _ODG_TOPIC_CANONICAL.get(topic.lower())
    if known:
        return known
    if topic.isupper() and len(topic) > 4:
        topic = topic.capitalize()
    return topic[:1].upper() + topic[1:]


def _merge_same_chapter(citations: list[Citation]) -> list[Citation]:
    merged: list[Citation] = []
    for citation in citations:
        same = next((c for c in merged if c.guideline == citation.guideline), None)
        if same is None:
            merged.append(citation)
        else:
            same.sections.extend(s for s in citation.sections if s not in same.sections)
    return merged


# --- ACOEM and others ---------------------------------------------------------------------------


def _acoem_citation(piece: str) -> Citation:
    raw = piece.strip(" .")
    citation = Citation(source=ACOEM, raw=raw)
    text = raw
    edition = _EDITION_RE.search(text)
    if edition:
        citation.edition = re.sub(r"(?i)\s*edition", " ed.", edition.group(0)).replace("..", ".")
        if not citation.edition.endswith("."):
            citation.edition += "."
        text = text[: edition.start()] + text[edition.end() :]
    pages_at = _PAGES_LABEL_RE.search(text)
    if pages_at:
        citation.pages = _pages(text[pages_at.end() :])
        text = text[: pages_at.start()]
    text = re.sub(
        r"\bACOEM\b|Occupational Medicine Practice Guidelines?|Practice Guidelines?|"
        r"\bGuidelines?\b|\bThird Edition\b|\bChapter\b|\bed\.|\(\s*\)|(?<!\w)(?:19|20)\d\d(?!\w)",
        " ",
        text,
        flags=re.I,
    )
    text = normalise_whitespace(text).strip(_LEADING_SEPARATORS)
    chapter = _ACOEM_CHAPTER_RE.search(text)
    if chapter:
        citation.guideline = _named(chapter, _ACOEM_CHAPTER_PATTERNS)
        text = text[chapter.end() :]
    for name in re.split(r"\s*[,;/]\s*", text):
        name = name.strip(_TRAILING_SEPARATORS)
        if name and not re.fullmatch(r"(?i)disorders?|and|the", name):
            citation.sections.append(name[:1].upper() + name[1:])
    citation.sections = _unique(citation.sections)
    return citation


def _other_citation(piece: str) -> Citation:
    raw = piece.strip(" .")
    return Citation(source=OTHER, guideline=_publisher(raw), raw=raw)


def _publisher(text: str) -> str:
    for name, pattern in _OTHER_PUBLISHER_RES:
        if pattern.search(text):
            return name
    return ""


# --- helpers ------------------------------------------------------------------------------------


def _next_separator(text: str, pos: int) -> int:
    depth = 0
    for index in range(pos, len(text)):
        char = text[index]
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char in ",;" and depth == 0:
            return index
    return len(text)


def _skip_separators(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " ,;":
        pos += 1
    return pos


def _unique(values) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen
