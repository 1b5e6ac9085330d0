"""Synthetic IMR final determination letters for benchmarks, demos and tests.

Letters follow the posted layout (header table, determination sections, one block per disputed
item) as a PDF text extractor gives it: wrapped lines ending in a space, form feeds between pages.
Every letter says it is synthetic, uses `SY` case numbers, and is written from this module's own
templates and vocabulary. Each letter comes with `expected`, the facts the generator chose, so a
parser can be checked against them.

Letter `i` depends only on `(seed, i)`, so any slice of a corpus can be regenerated on its own.

    python -m search.synthetic --count 1000 --seed 0 --out /tmp/letters
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SYNTHETIC_NOTICE = "SYNTHETIC LETTER - generated test data, not a real IMR decision."

LINE_WIDTH = 95  # about what the posted PDFs hold per line
PAGE_LINES = 50
OVERTURN_RATE = 0.11
MODIFIED_REQUEST_RATE = 0.06
MIN_RATIONALE_WORDS, MAX_RATIONALE_WORDS = 80, 300

FIRST_DECISION = date(2013, 7, 1)  # IMR began deciding disputes in mid-2013
LAST_DECISION = date(2026, 10, 31)
SECTION_ERA = date(2016, 7, 1)  # later letters cite MTUS by section, earlier ones by page


@dataclass(frozen=True)
class SyntheticLetter:
    case_number: str
    text: str
    expected: dict


# --- Reviewers ----------------------------------------------------------------------------------

# Specialty combinations a reviewer may list, grouped by the kind of dispute they suit.
_GENERAL_REVIEWERS = [
    ("Preventive Medicine", "Occupational Medicine"),
    ("Family Practice",),
    ("Internal Medicine",),
    ("Occupational Medicine",),
    ("Physical Medicine & Rehabilitation",),
    ("Physical Medicine & Rehabilitation", "Pain Management"),
    ("Anesthesiology", "Pain Management"),
    ("Internal Medicine", "Hospice & Palliative Medicine"),
    ("Preventive Medicine", "Occupational Medicine", "Medical Toxicology"),
    ("Family Practice", "Sports Medicine"),
    ("Pain Management",),
    ("Neurology",),
]
_REVIEWERS_BY_CATEGORY = {
    "Psych Services": [("Psychiatry",), ("Psychology",), ("Psychiatry", "Neurology")],
    "Surgery": [
        ("Orthopedic Surgery",),
        ("Orthopedic Surgery", "Sports Medicine"),
        ("Neurological Surgery",),
        ("Orthopedic Surgery", "Hand Surgery"),
        ("Plastic Surgery", "Hand Surgery"),
        ("Podiatry",),
    ],
    "Rehabilitation": [("Chiropractic",), ("Acupuncture",), ("Physical Therapy",)],
    "Injection": [("Anesthesiology", "Pain Management"), ("Physical Medicine & Rehabilitation",)],
    "Diagnostic Testing": [("Neurology",), ("Orthopedic Surgery",), ("Internal Medicine",)],
}
_DENTAL_REVIEWERS = [("Dentistry",)]

_STATES = [
    "California", "Texas", "New York", "Florida", "Arizona", "Pennsylvania", "North Carolina",
    "New Jersey", "Ohio", "Illinois", "Washington", "Oregon", "Virginia", "Maryland", "Nevada",
    "Colorado", "Georgia", "Massachusetts", "Michigan", "Utah", "Louisiana", "West Virginia",
]

# --- Body regions: what a request is about, and the guideline chapters that cover it ------------

# region phrase, MTUS guideline, ACOEM chapter and pages, ODG chapter as written, ODG normalised
_REGIONS = [
    ("lumbar spine", "Low Back Complaints", "Chapter 12", "303-305",
     ["Low Back - Lumbar & Thoracic (Acute & Chronic)", "Low Back Chapter", "Low Back"],
     "Low Back"),
    ("cervical spine", "Neck and Upper Back Complaints", "Chapter 8", "177-179",
     ["Neck and Upper Back (Acute & Chronic)", "Neck and Upper Back Chapter"],
     "Neck and Upper Back"),
    ("right shoulder", "Shoulder Complaints", "Chapter 9", "207-209",
     ["Shoulder (Acute & Chronic)", "Shoulder Chapter"], "Shoulder"),
    ("left shoulder", "Shoulder Complaints", "Chapter 9", "207-209",
     ["Shoulder (Acute & Chronic)", "Shoulder Chapter"], "Shoulder"),
    ("right knee", "Knee Complaints", "Chapter 13", "341-343",
     ["Knee & Leg (Acute & Chronic)", "Knee Chapter"], "Knee & Leg"),
    ("left knee", "Knee Complaints", "Chapter 13", "341-343",
     ["Knee & Leg (Acute & Chronic)", "Knee Chapter"], "Knee & Leg"),
    ("right wrist", "Forearm, Wrist, and Hand Complaints", "Chapter 11", "268-269",
     ["Forearm, Wrist, & Hand (Acute & Chronic)", "Forearm, Wrist and Hand Chapter"],
     "Forearm, Wrist & Hand"),
    ("bilateral hands", "Forearm, Wrist, and Hand Complaints", "Chapter 11", "265-266",
     ["Carpal Tunnel Syndrome (Acute & Chronic)"], "Carpal Tunnel Syndrome"),
    ("left elbow", "Elbow Complaints", "Chapter 10", "40-42",
     ["Elbow (Acute & Chronic)", "Elbow Chapter"], "Elbow"),
    ("right ankle", "Ankle and Foot Complaints", "Chapter 14", "371-372",
     ["Ankle & Foot (Acute & Chronic)", "Ankle and Foot Chapter"], "Ankle & Foot"),
    ("left hip", "General Approaches", "Chapter 7", "127",
     ["Hip & Pelvis (Acute & Chronic)", "Hips & Pelvis Chapter"], "Hip & Pelvis"),
    ("head", "General Approaches", "Chapter 7", "127",
     ["Head (trauma, headaches, etc.)", "Head Chapter"], "Head"),
]
_REGION_WEIGHTS = [30, 16, 8, 5, 7, 5, 5, 4, 4, 4, 3, 2]
_PAIN_CHAPTERS = (["Pain (Chronic)", "Pain Chapter", "Pain"], "Pain (Chronic)")
_MENTAL_CHAPTERS = (["Mental Illness & Stress", "Mental Illness and Stress Chapter"],
                    "Mental Illness & Stress")
_MTUS_STRESS = ("Stress Related Conditions", "Chapter 15", "398-404")

# --- Requests -----------------------------------------------------------------------------------

# Drugs by official subcategory: name and strengths. Quantities are added per request.
_DRUGS = {
    "Opioids": [
        ("Norco", ["10/325mg", "5/325mg", "7.5/325mg"]), ("Percocet", ["10/325mg", "5/325mg"]),
        ("Oxycodone", ["15mg", "30mg", "10mg"]), ("OxyContin", ["20mg", "40mg"]),
        ("Tramadol", ["50mg"]), ("Tramadol ER", ["150mg", "100mg"]), ("Ultram", ["50mg"]),
        ("Hydrocodone/APAP", ["10/325mg", "7.5/325mg"]), ("Nucynta", ["50mg", "75mg"]),
        ("Morphine sulfate ER", ["15mg", "30mg"]), ("Butrans patch", ["10mcg/hr", "5mcg/hr"]),
        ("Tylenol with Codeine #3", ["300/30mg"]), ("Methadone", ["10mg"]),
    ],
    "NSAID": [
        ("Naproxen sodium", ["550mg"]), ("Anaprox DS", ["550mg"]), ("Ibuprofen", ["800mg"]),
        ("Motrin", ["800mg", "600mg"]), ("Meloxicam", ["15mg", "7.5mg"]), ("Celebrex", ["200mg"]),
        ("Diclofenac sodium ER", ["100mg"]), ("Voltaren", ["75mg"]), ("Nabumetone", ["750mg"]),
        ("Etodolac", ["400mg"]), ("Relafen", ["500mg"]),
    ],
    "Benzodiazepines": [
        ("Xanax", ["0.5mg", "1mg"]), ("Alprazolam", ["0.25mg"]), ("Klonopin", ["1mg"]),
        ("Clonazepam", ["0.5mg"]), ("Valium", ["5mg"]), ("Diazepam", ["10mg"]),
        ("Ativan", ["1mg"]), ("Lorazepam", ["0.5mg"]),
    ],
    "Muscle Relaxant": [
        ("Cyclobenzaprine", ["7.5mg", "10mg"]), ("Flexeril", ["10mg"]), ("Tizanidine", ["4mg"]),
        ("Zanaflex", ["4mg"]), ("Baclofen", ["10mg", "20mg"]), ("Methocarbamol", ["750mg"]),
        ("Robaxin", ["500mg"]), ("Soma", ["350mg"]), ("Carisoprodol", ["350mg"]),
        ("Skelaxin", ["800mg"]), ("Orphenadrine ER", ["100mg"]),
    ],
    "Topical Analgesics": [
        ("Lidoderm 5% patch", [""]), ("Lidocaine 5% patches", [""]),
        ("Voltaren 1% gel", ["100g"]), ("Flector 1.3% patch", [""]), ("Terocin patches", [""]),
        ("Capsaicin 0.075% cream", ["60g"]),
        ("Menthoderm gel", ["120ml"]), ("Pennsaid 2% solution", ["112g"]),
        ("Ketoprofen 10% cream", ["120g"]),
    ],
    "Anticonvulsants": [
        ("Gabapentin", ["600mg", "300mg"]), ("Neurontin", ["300mg"]), ("Lyrica", ["75mg", "50mg"]),
        ("Pregabalin", ["150mg"]), ("Topiramate", ["50mg"]), ("Keppra", ["500mg"]),
    ],
    "Proton Pump Inhibitors": [
        ("Omeprazole", ["20mg"]), ("Prilosec", ["20mg"]), ("Pantoprazole", ["40mg"]),
        ("Protonix", ["40mg"]), ("Nexium", ["40mg"]), ("Lansoprazole", ["30mg"]),
    ],
    "Sleep Aids": [
        ("Ambien", ["10mg", "5mg"]), ("Zolpidem", ["10mg"]), ("Ambien CR", ["12.5mg"]),
        ("Lunesta", ["3mg"]), ("Eszopiclone", ["2mg"]), ("Sonata", ["10mg"]),
        ("Restoril", ["15mg"]),
    ],
    "Antidepressants": [
        ("Cymbalta", ["60mg", "30mg"]), ("Duloxetine", ["30mg"]), ("Amitriptyline", ["25mg"]),
        ("Sertraline", ["50mg"]), ("Nortriptyline", ["10mg"]), ("Wellbutrin XL", ["150mg"]),
        ("Trazodone", ["50mg"]),
    ],
}
_DRUG_WEIGHTS = {
    "Opioids": 30, "NSAID": 12, "Muscle Relaxant": 15, "Topical Analgesics": 14,
    "Anticonvulsants": 8, "Proton Pump Inhibitors": 8, "Benzodiazepines": 4, "Sleep Aids": 5,
    "Antidepressants": 4,
}
_COMPOUND_INGREDIENTS = [
    "Flurbiprofen 20%", "Lidocaine 5%", "Gabapentin 10%", "Cyclobenzaprine 2%", "Baclofen 2%",
    "Ketoprofen 10%", "Capsaicin 0.025%", "Menthol 2%", "Camphor 2%", "Amitriptyline 5%",
    "Tramadol 8%", "Dexamethasone 0.2%",
]
_DRUG_QUANTITIES = [30, 60, 60, 90, 90, 120, 180, 20, 45]

# Subcategory names follow the official search's drop-down (see search/categories.py).
_SESSION_THERAPIES = {
    "Physical Therapy": ["physical therapy", "physiotherapy"],
    "Aquatic Therapy": ["aquatic therapy"],
    "Occupational Therapy": ["occupational therapy"],
    "Chiropractic": ["chiropractic treatment", "chiropractic manipulation"],
    "Acupuncture": ["acupuncture", "electro-acupuncture"],
    "Massage": ["massage therapy"],
}
_SESSION_WEIGHTS = [46, 4, 8, 18, 20, 4]
_FREQUENCIES = [(2, 6), (2, 4), (3, 4), (1, 6), (2, 3), (3, 3), (1, 8)]

_PSYCH_REQUESTS = [
    ("Therapies", "{n} sessions of cognitive behavioral therapy", [6, 8, 10, 12]),
    ("Therapies", "Cognitive behavioral therapy, {n} sessions", [4, 6, 12]),
    ("Therapies", "Individual psychotherapy, {n} sessions", [6, 8, 12]),
    ("Therapies", "Group psychotherapy {n} sessions", [6, 10]),
    ("Biofeedback", "Biofeedback therapy, {n} sessions", [4, 6]),
    ("Evaluation", "Psychological evaluation", None),
    ("Evaluation", "Psychiatric consultation", None),
    ("Evaluation", "Psychological testing", None),
]

_LEVELS = ["L3-L4", "L4-L5", "L5-S1", "L4-L5 and L5-S1", "C5-C6", "C6-C7", "C4-C5 and C5-C6"]
_INJECTION_REQUESTS = [
    ("Epidural Steroid", "Lumbar epidural steroid injection at {lumbar}"),
    ("Epidural Steroid", "Transforaminal epidural steroid injection, bilateral {lumbar}"),
    ("Epidural Steroid", "Cervical epidural steroid injection at {cervical}"),
    ("Facet", "Facet joint injections at {lumbar}"),
    ("Facet", "Medial branch block, bilateral {lumbar}"),
    ("Radiofrequency Ablation", "Radiofrequency ablation at {lumbar}"),
    ("Trigger Point", "Trigger point injections, {n} injections to the trapezius"),
    ("Trigger Point", "Trigger point injections to the lumbar paraspinal muscles"),
    ("Joint", "Corticosteroid injection to the {region}"),
    ("Joint", "Synvisc injection to the {region}"),
    ("PRP", "Platelet rich plasma injection to the {region}"),
]
_JOINT_REGIONS = {"shoulder", "knee", "wrist", "elbow", "ankle", "hip"}

# Per region key: surgery subcategory and procedures.
_SURGERIES = {
    "lumbar spine": ("Spine", ["Lumbar fusion at {lumbar}", "Lumbar microdiscectomy at {lumbar}",
                               "Lumbar laminectomy at {lumbar}"]),
    "cervical spine": ("Spine", ["Anterior cervical discectomy and fusion at {cervical}",
                                 "Cervical disc arthroplasty at {cervical}"]),
    "shoulder": ("Shoulder", ["{side} shoulder arthroscopy with subacromial decompression",
                              "{side} shoulder rotator cuff repair",
                              "{side} shoulder distal clavicle excision"]),
    "knee": ("Knee", ["{side} knee arthroscopic partial meniscectomy",
                      "{side} total knee arthroplasty",
                      "{side} knee anterior cruciate ligament reconstruction"]),
    "wrist": ("Hand/Wrist", ["{side} carpal tunnel release", "{side} trigger finger release",
                             "{side} de Quervain's release"]),
    "hands": ("Hand/Wrist", ["Bilateral carpal tunnel release",
                             "Right endoscopic carpal tunnel release"]),
    "elbow": ("Elbow", ["{side} lateral epicondyle release", "{side} cubital tunnel release"]),
    "ankle": ("Foot/Ankle", ["{side} ankle arthroscopy with debridement",
                             "{side} plantar fascia release"]),
    "hip": ("Hip", ["{side} hip arthroscopy with labral repair", "{side} total hip arthroplasty"]),
    "head": ("Other Surgery", ["Occipital nerve decompression"]),
}
# (official category, subcategory, service); these follow a surgery in the same letter
_ASSOCIATED_SERVICES = [
    ("DMEPOS", "Cold/Heat Therapy", "Cold therapy unit"),
    ("DMEPOS", "Cold/Heat Therapy", "Cold therapy unit, 7 day rental"),
    ("DMEPOS", "Cold/Heat Therapy", "Cryotherapy unit, 14 day use"),
    ("DMEPOS", "Brace/Orthotic", "Post-operative brace"),
    ("DMEPOS", "Brace/Orthotic", "Shoulder sling with abduction pillow"),
    ("Surgery", "Assistant Surgeon", "Assistant surgeon"),
    ("Surgery", "Inpatient Stay", "Inpatient stay, 2 days"),
    ("Rehabilitation", "Physical Therapy", "Post-operative physical therapy, 12 sessions"),
    ("Evaluation & Management (E&M)", "Consultation", "Pre-operative medical clearance"),
    ("Diagnostic Testing", "Lab", "Pre-operative labs: CBC, CMP, PT/INR"),
]

_DIAGNOSTIC_REQUESTS = [
    ("MRI", "MRI of the {region} without contrast", 30),
    ("MRI", "Magnetic resonance imaging of the {region}", 8),
    ("MRI", "Repeat MRI of the {region}", 4),
    ("CT", "CT scan of the {region}", 6),
    ("X-ray", "X-rays of the {region}, 3 views", 8),
    ("X-ray", "X-ray of the {region}", 6),
    ("EMG/NCV", "EMG/NCV of the bilateral lower extremities", 12),
    ("EMG/NCV", "EMG/NCV of the bilateral upper extremities", 8),
    ("EMG/NCV", "Nerve conduction study of the right upper extremity", 3),
    ("Urine Drug Screen", "Urine drug screen", 8),
    ("Lab", "Laboratory tests: CBC, CMP and hepatic function panel", 4),
    ("Lab", "Genetic testing for opioid metabolism", 2),
    ("Ultrasound", "Diagnostic ultrasound of the {region}", 3),
    ("Bone Scan", "Bone scan of the {region}", 2),
    ("Functional Capacity Evaluation", "Functional capacity evaluation", 4),
]

_DMEPOS_REQUESTS = [
    ("TENS/Electrical Stimulation Unit", "TENS unit, 30 day rental", 8),
    ("TENS/Electrical Stimulation Unit", "Purchase of a TENS unit", 5),
    ("TENS/Electrical Stimulation Unit", "TENS unit supplies: electrodes and batteries", 3),
    ("TENS/Electrical Stimulation Unit", "Interferential stimulator unit, 1 month trial", 4),
    ("Brace/Orthotic", "{brace}", 12),
    ("Cold/Heat Therapy", "Cold therapy unit, 7 day rental", 4),
    ("Cold/Heat Therapy", "Hot/cold therapy unit for the {region}", 3),
    ("Mobility Aid", "Front wheeled walker", 2),
    ("Home Equipment", "Orthopedic mattress", 1),
    ("Home Equipment", "Shower chair", 1),
]
_BRACES = {
    "lumbar spine": "Lumbar support brace", "cervical spine": "Soft cervical collar",
    "shoulder": "Shoulder immobilizer", "knee": "Hinged knee brace for the {region}",
    "wrist": "Wrist splint for the {region}", "hands": "Night splints for the bilateral hands",
    "elbow": "Counterforce elbow brace", "ankle": "Ankle stabilizing brace",
    "hip": "Hip abduction brace", "head": "Soft cervical collar",
}

_SIMPLE_REQUESTS = {
    "Programs": [
        ("Functional Restoration", "Functional restoration program, {n} hours", [80, 160]),
        ("Functional Restoration", "Functional restoration program evaluation", None),
        ("Work Hardening", "Work hardening program, {n} sessions", [10, 12]),
        ("Weight Loss", "Medically supervised weight loss program, {n} weeks", [10, 12]),
    ],
    "Evaluation & Management (E&M)": [
        ("Office Visit", "Follow-up office visit in {n} weeks", [4, 6]),
        ("Office Visit", "Follow up visit with the treating physician", None),
        ("Consultation", "Pain management consultation", None),
        ("Consultation", "Orthopedic surgeon consultation for the {region}", None),
        ("Referral", "Referral to a neurologist", None),
    ],
    "Home Health Services": [
        ("Home Health Aide", "Home health care {n} hours a day, 5 days a week for 4 weeks",
         [2, 4, 6]),
        ("Home Health Aide", "Home health aide, {n} hours per week", [8, 12]),
        ("Skilled Nursing", "Home health nursing visits, {n} visits", [4, 6]),
    ],
    "Transportation": [
        ("", "Transportation to and from medical appointments", None),
        ("", "Round trip transportation for {n} therapy visits", [6, 12]),
    ],
    # The official drop-down has no dental entry; dental disputes fall under Other.
    "Other": [
        ("", "Dental crowns, {n} teeth", [2, 3]),
        ("", "Periodontal scaling and root planing, 4 quadrants", None),
    ],
}

_CATEGORY_WEIGHTS = {
    "Pharmaceuticals": 46, "Rehabilitation": 13, "Diagnostic Testing": 12, "Injection": 7,
    "DMEPOS": 6, "Surgery": 4, "Psych Services": 4, "Evaluation & Management (E&M)": 4,
    "Programs": 2, "Home Health Services": 1, "Transportation": 0.6, "Other": 0.4,
}

# --- MTUS and ODG topics per subcategory: (Chronic Pain topic, pages, ODG topic) ---------------

_CHRONIC_PAIN_TOPICS = {
    "Opioids": [("Opioids, criteria for use", "76-80", "Opioids"),
                ("Opioids, specific drug list", "91-94", "Opioids"),
                ("Opioids, long-term assessment", "88-89", "Opioids")],
    "NSAID": [("NSAIDs (non-steroidal anti-inflammatory drugs)", "67-68", "NSAIDs"),
              ("Anti-inflammatory medications", "22", "NSAIDs")],
    "Benzodiazepines": [("Benzodiazepines", "24", "Benzodiazepines")],
    "Muscle Relaxant": [("Muscle relaxants (for pain)", "63-66", "Muscle relaxants"),
                        ("Cyclobenzaprine (Flexeril)", "41-42", "Muscle relaxants")],
    "Topical Analgesics": [("Topical Analgesics", "111-113", "Topical analgesics"),
                           ("Lidoderm (lidocaine patch)", "56-57", "Lidoderm")],
    "Anticonvulsants": [("Antiepilepsy drugs (AEDs)", "16-22", "Anti-epilepsy drugs")],
    "Proton Pump Inhibitors": [("NSAIDs, GI symptoms & cardiovascular risk", "68-69",
                                "Proton pump inhibitors (PPIs)")],
    "Sleep Aids": [("Insomnia treatment", "", "Insomnia treatment")],
    "Antidepressants": [("Antidepressants for chronic pain", "13-16", "Antidepressants")],
    "Physical Therapy": [("Physical Medicine", "98-99", "Physical therapy")],
    "Aquatic Therapy": [("Aquatic therapy", "22", "Aquatic therapy")],
    "Occupational Therapy": [("Physical Medicine", "98-99", "Physical therapy")],
    "Chiropractic": [("Manual therapy & manipulation", "58-60", "Manipulation")],
    "Acupuncture": [("Acupuncture", "", "Acupuncture")],
    "Massage": [("Massage therapy", "60", "Massage")],
    "Therapies": [("Behavioral interventions", "23", "Cognitive therapy for depression"),
                  ("Psychological treatment", "101-102", "Psychotherapy guidelines")],
    "Biofeedback": [("Biofeedback", "24-25", "Biofeedback")],
    "Evaluation": [("Psychological evaluations", "100-101", "Psychological evaluations")],
    "Epidural Steroid": [("Epidural steroid injections (ESIs)", "46",
                          "Epidural steroid injections")],
    "Facet": [("Facet joint diagnostic blocks", "", "Facet joint medial branch blocks")],
    "Radiofrequency Ablation": [("Radiofrequency neurotomy", "", "Facet joint radiofrequency")],
    "Trigger Point": [("Trigger point injections", "122", "Trigger point injections")],
    "TENS/Electrical Stimulation Unit": [
        ("Transcutaneous electrotherapy", "114-116", "TENS"),
        ("Interferential Current Stimulation (ICS)", "118-120", "Interferential current"),
    ],
    "Functional Restoration": [("Functional restoration programs (FRPs)", "49",
                                "Functional restoration programs")],
    "Work Hardening": [("Work conditioning, work hardening", "125", "Work conditioning")],
    "Urine Drug Screen": [("Drug testing", "43", "Urine drug testing")],
    "Home Health Aide": [("Home health services", "51", "Home health services")],
    "Skilled Nursing": [("Home health services", "51", "Home health services")],
}
_ODG_ONLY_TOPICS = {
    "MRI": "MRIs (magnetic resonance imaging)", "CT": "CT (computed tomography)",
    "X-ray": "Radiography (x-rays)", "EMG/NCV": "Electrodiagnostic studies (EDS)",
    "Lab": "Preoperative lab testing", "Ultrasound": "Ultrasound, diagnostic",
    "Bone Scan": "Bone scan", "Functional Capacity Evaluation": "Fitness for duty",
    "Brace/Orthotic": "Back brace, post operative", "Cold/Heat Therapy":
    "Continuous-flow cryotherapy", "Mobility Aid": "Walking aids", "Home Equipment":
    "Durable medical equipment (DME)", "Joint": "Corticosteroid injections",
    "PRP": "Platelet-rich plasma (PRP)", "Office Visit": "Office visits",
    "Consultation": "Office visits", "Referral": "Office visits",
    "Transportation": "Transportation (to & from appointments)",
    "Assistant Surgeon": "Surgical assistant", "Inpatient Stay": "Hospital length of stay (LOS)",
    "Weight Loss": "Lifestyle modifications", "Other": "Dental trauma treatment",
}
_PAIN_CHAPTER_SUBCATEGORIES = {
    "Opioids", "NSAID", "Benzodiazepines", "Muscle Relaxant", "Topical Analgesics",
    "Anticonvulsants", "Proton Pump Inhibitors", "Sleep Aids", "Antidepressants",
    "TENS/Electrical Stimulation Unit", "Functional Restoration", "Urine Drug Screen",
    "Home Health Aide", "Skilled Nursing", "Transportation", "Trigger Point", "Biofeedback",
}

# --- Vocabulary for narrative text --------------------------------------------------------------

_PREFIXES = [
    "neuro", "myo", "arthro", "spondylo", "chondro", "osteo", "fascio", "teno", "radiculo",
    "cervico", "lumbo", "sacro", "thoraco", "syno", "peri", "para", "epi", "hyper", "hypo",
    "dys", "brachio", "costo", "capsulo", "disco", "facet", "ligamento", "musculo", "angio",
    "plexo", "sclero", "fibro", "kinesio", "proprio", "noci", "algo", "sensori", "vaso", "glio",
    "meningo", "scapulo",
]
_MIDDLES = ["", "", "", "a", "o", "i", "lam", "ten", "cor", "vert", "phas", "trop", "glyc",
            "desm", "chron", "path", "ment", "plas", "troph", "stat"]
_SUFFIXES = [
    "pathy", "itis", "algia", "osis", "plasty", "desis", "genic", "tomy", "lysis", "trophic",
    "spasm", "metry", "graphy", "ectasia", "malacia", "sthenia", "kinesia", "esthesia", "dynia",
    "cele", "ostomy", "rrhaphy", "scopy", "plegia", "paresis", "tonia", "ptosis", "stasis",
    "gram", "oid",
]
_PSEUDO_TERM_COUNT = 3000

_FINDINGS = [
    "tenderness to palpation", "guarding", "reduced range of motion",
    "a positive straight leg raise", "diminished sensation", "muscle spasm", "crepitus",
    "decreased grip strength", "an antalgic gait",
    "swelling", "a positive Spurling test", "a positive Tinel sign", "weakness on resisted motion",
    "paraspinal hypertonicity", "painful arc of motion", "joint line tenderness",
]
_ACTIVITIES = [
    "lifting", "bending", "prolonged sitting", "standing", "walking", "reaching overhead",
    "gripping", "driving", "sleeping", "climbing stairs", "household chores", "typing",
]
_DIAGNOSES = [
    "lumbar radiculopathy", "cervical radiculopathy", "lumbar disc protrusion", "cervical strain",
    "lumbar sprain", "rotator cuff tendinopathy", "shoulder impingement syndrome",
    "medial meniscus tear", "knee osteoarthritis", "carpal tunnel syndrome",
    "lateral epicondylitis", "plantar fasciitis", "chronic pain syndrome",
    "myofascial pain syndrome", "major depressive disorder",
    "generalized anxiety disorder", "insomnia", "post-traumatic headaches", "hip labral tear",
    "complex regional pain syndrome", "degenerative disc disease", "thoracic outlet syndrome",
]
_OCCUPATIONS = [
    "warehouse worker", "nurse", "truck driver", "custodian", "teacher", "police officer",
    "correctional officer", "retail clerk", "carpenter", "office assistant", "firefighter",
    "cook", "farm laborer", "bus driver", "mechanic", "caregiver", "electrician", "cashier",
]
_PRIOR_TREATMENTS = [
    "physical therapy", "chiropractic care", "acupuncture", "home exercise", "surgery",
    "activity modification", "opioid analgesics", "NSAIDs", "muscle relaxants", "bracing",
    "epidural injections", "psychotherapy", "topical creams", "a TENS unit", "work restrictions",
]

# Narrative sentence templates. Slots: {t} pseudo-medical term, {f} finding, {a} activity,
# {d} diagnosis, {p} prior treatment, {n} small number.
_CLINICAL_TEMPLATES = [
    "The most recent progress note describes {t} with pain rated {n}/10 and difficulty with {a}.",
    "Examination showed {f} and {f2}, with a {t} pattern noted by the treating provider.",
    "The treating physician documented {f} and recommended continued {p}.",
    "Prior care has included {p} and {p2}, with only partial relief reported.",
    "The records list {d} along with {t} as working diagnoses.",
    "Pain was reported to worsen with {a} and to ease somewhat with rest and {p}.",
    "A later visit noted {t} and persistent {f}, without new neurologic deficit.",
    "The injured worker remains on modified duty and reports trouble with {a}.",
    "Imaging reports in the file mention {t} and mild {t2} without acute findings.",
    "The provider's notes are brief and do not quantify change in {a} or in pain scores.",
    "Subjective complaints include aching pain, stiffness and episodes of {t}.",
    "The file contains {n} progress reports that repeat {f} with little interval change.",
    "Functional gains from earlier {p} were not described in measurable terms.",
    "There is a reported history of {t} that predates the industrial claim.",
    "Medication side effects including sedation and {t} were mentioned at one visit.",
    "Work status was temporary total disability for part of the period under review.",
    "No red flag findings such as {t} or progressive weakness were documented.",
    "The worker reported that {p} allowed better tolerance for {a}.",
    "A pain contract and prescription monitoring report are not clearly present in the file.",
    "Sleep disturbance and mood changes were attributed in part to {d}.",
    "Comorbid {t} was noted by the primary treating physician.",
    "Range of motion was limited by pain, and {f} was again recorded.",
    "The reviewer notes that the request for authorization cites {t} and {t2}.",
    "The submitted notes do not explain why {p} stopped.",
]
# Guideline reasoning templates, by direction. {x} is the treatment topic.
_SUPPORT_TEMPLATES = [
    "Guidelines support {x} when there is documented functional improvement and less pain.",
    "Use of {x} is an accepted option for {d} once first-line measures have failed.",
    "The records show objective benefit from {x}, including better tolerance for {a}.",
    "A limited course of {x} is consistent with guideline recommendations for this condition.",
    "The documentation meets the criteria set out for {x}, including a clear treatment plan.",
    "The provider documented measurable gains and a reduced need for other care with {x}.",
    "Given {f} and failed conservative care, {x} is reasonable at this stage.",
    "The requested quantity of {x} falls within the range the guidelines allow.",
]
_DENY_TEMPLATES = [
    "Guidelines support {x} only with documented functional improvement, which is not shown here.",
    "Long-term use of {x} is not recommended in the setting of {d}.",
    "The records do not document objective benefit from prior {x}.",
    "There is no clear rationale for continuing {x} given the lack of measurable progress.",
    "The requested quantity of {x} exceeds what the guidelines recommend without re-evaluation.",
    "The documentation does not establish the criteria the guidelines set for {x}.",
    "Without evidence of {f} or failed first-line care, {x} is not indicated.",
    "The guidelines advise against {x} in the absence of a defined functional goal.",
    "Ongoing use of {x} lacks support in the submitted records.",
]

_SENTENCE_POOL_SIZE = 6000
_REASON_POOL_SIZE = 200  # per treatment topic and direction


def _build_pseudo_terms(rng: random.Random) -> list[str]:
    """Pseudo-medical words; their order is their frequency rank."""
    terms: list[str] = []
    seen: set[str] = set()
    while len(terms) < _PSEUDO_TERM_COUNT:
        word = rng.choice(_PREFIXES) + rng.choice(_MIDDLES) + rng.choice(_SUFFIXES)
        if word not in seen:
            seen.add(word)
            terms.append(word)
    return terms


def _zipf_cumulative(count: int, exponent: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (rank**exponent) for rank in range(1, count + 1)))


_vocabulary_rng = random.Random("imr-synthetic-vocabulary")  # fixed: pools never depend on seed
PSEUDO_TERMS = _build_pseudo_terms(_vocabulary_rng)
_TERM_CUMULATIVE = _zipf_cumulative(len(PSEUDO_TERMS))


def _fill(template: str, rng: random.Random, topic: str = "") -> str:
    """Fill a narrative template; the term slots draw from a Zipf distribution of pseudo-terms."""
    terms = rng.choices(PSEUDO_TERMS, cum_weights=_TERM_CUMULATIVE, k=2)
    return template.format(
        t=terms[0], t2=terms[1], f=rng.choice(_FINDINGS), f2=rng.choice(_FINDINGS),
        a=rng.choice(_ACTIVITIES), d=rng.choice(_DIAGNOSES), p=rng.choice(_PRIOR_TREATMENTS),
        p2=rng.choice(_PRIOR_TREATMENTS), n=rng.randint(2, 9), x=topic,
    )


def _sentence_pool(templates: list[str], size: int, rng: random.Random, topic: str = ""):
    sentences = [_fill(rng.choice(templates), rng, topic) for _ in range(size)]
    return sentences, [s.count(" ") + 1 for s in sentences]


# Sentences are built once; letters pick whole sentences, which keeps generation cheap while
# term frequencies across letters stay skewed (common words everywhere, rare terms in few).
_CLINICAL_POOL, _CLINICAL_WORDS = _sentence_pool(
    _CLINICAL_TEMPLATES, _SENTENCE_POOL_SIZE, _vocabulary_rng
)
# How the rationale names a treatment, by subcategory (by category where there is none).
_REASON_TOPICS = {
    "Opioids": "opioid therapy", "NSAID": "anti-inflammatory medication",
    "Benzodiazepines": "benzodiazepines", "Muscle Relaxant": "muscle relaxants",
    "Topical Analgesics": "topical analgesics", "Anticonvulsants": "anticonvulsant medication",
    "Proton Pump Inhibitors": "a proton pump inhibitor", "Sleep Aids": "hypnotic medication",
    "Antidepressants": "antidepressant medication", "Physical Therapy": "physical therapy",
    "Aquatic Therapy": "aquatic therapy", "Occupational Therapy": "occupational therapy",
    "Chiropractic": "manual therapy", "Acupuncture": "acupuncture", "Massage": "massage therapy",
    "Therapies": "cognitive behavioral therapy", "Biofeedback": "biofeedback",
    "Evaluation": "psychological evaluation", "Epidural Steroid": "epidural steroid injection",
    "Facet": "facet blocks", "Radiofrequency Ablation": "radiofrequency ablation",
    "Trigger Point": "trigger point injections", "Joint": "joint injection",
    "PRP": "platelet rich plasma injection", "MRI": "repeat imaging",
    "CT": "computed tomography", "X-ray": "plain radiographs",
    "EMG/NCV": "electrodiagnostic testing", "Lab": "laboratory testing",
    "Urine Drug Screen": "urine drug testing", "Ultrasound": "diagnostic ultrasound",
    "Bone Scan": "a bone scan",
    "Functional Capacity Evaluation": "a functional capacity evaluation",
    "TENS/Electrical Stimulation Unit": "an electrical stimulation unit",
    "Brace/Orthotic": "bracing", "Cold/Heat Therapy": "cold therapy",
    "Mobility Aid": "a mobility aid", "Home Equipment": "home equipment",
    "Functional Restoration": "a functional restoration program",
    "Work Hardening": "work hardening", "Weight Loss": "a weight loss program",
    "Office Visit": "follow-up visits", "Consultation": "specialist consultation",
    "Referral": "specialist referral", "Home Health Aide": "home health services",
    "Skilled Nursing": "skilled nursing visits", "Transportation": "medical transportation",
    "Spine": "spine surgery", "Shoulder": "shoulder surgery", "Knee": "knee surgery",
    "Hand/Wrist": "hand surgery", "Elbow": "elbow surgery", "Foot/Ankle": "foot and ankle surgery",
    "Hip": "hip surgery", "Other Surgery": "surgical treatment",
    "Assistant Surgeon": "an assistant surgeon", "Inpatient Stay": "inpatient care",
    "Other": "dental treatment",
}
_REASON_POOLS = {
    (subcategory, overturned): _sentence_pool(
        _SUPPORT_TEMPLATES if overturned else _DENY_TEMPLATES, _REASON_POOL_SIZE,
        _vocabulary_rng, topic,
    )[0]
    for subcategory, topic in _REASON_TOPICS.items()
    for overturned in (False, True)
}

# Items per letter: mostly one to three, a long thin tail up to 21.
_ITEM_COUNTS = list(range(1, 22))
_ITEM_COUNT_CUMULATIVE = list(
    itertools.accumulate(0.97 * 0.5**k + (0.03 / 17 if k >= 5 else 0.0) for k in _ITEM_COUNTS)
)


# --- Letter assembly ----------------------------------------------------------------------------


@dataclass
class _Item:
    category: str
    subcategory: str
    request: str  # what the IMR decided on
    heading: str  # as it appears before the outcome
    outcome: str
    original_request: str = ""
    authorized: str = ""
    claims_administrator: dict | None = None
    imr: dict | None = None
    rationale: str = ""


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _side(region: str) -> str:
    # Spine, hands and head have no side; surgical templates that need one default to right.
    first = region.split()[0]
    return first.capitalize() if first in ("right", "left") else "Right"


def _region_key(region: str) -> str:
    return region.split()[-1] if region.split()[-1] != "spine" else region


def _drug_request(rng: random.Random, subcategory: str):
    """A pharmacy request; returns (template with {qty} or fixed text, quantity or None)."""
    if subcategory == "Topical Analgesics" and rng.random() < 0.3:
        ingredients = ", ".join(rng.sample(_COMPOUND_INGREDIENTS, rng.randint(2, 4)))
        return f"Compounded cream: {ingredients}, {rng.choice([120, 180, 240])}gm", None
    name, strengths = rng.choice(_DRUGS[subcategory])
    strength = rng.choice(strengths)
    drug = f"{name} {strength}".strip()
    style = rng.random()
    if style < 0.08:
        form = "PATCH" if "patch" in name.lower() else "TABLETS"
        return f"{drug.upper()} {form} QUANTITY: {{qty}}.00", rng.choice(_DRUG_QUANTITIES)
    if style < 0.16:
        month = rng.randint(1, 12)
        service_date = f"{month:02d}/{rng.randint(1, 28):02d}"
        return f"Retrospective {drug} #{{qty}} (DOS {service_date})", rng.choice(_DRUG_QUANTITIES)
    if style < 0.26:
        refills = rng.choice(["1 refill", "2 refills", "3 refills"])
        return f"{drug} #{{qty}} with {refills}", rng.choice(_DRUG_QUANTITIES)
    if style < 0.34:
        return f"1 prescription of {drug}, #{{qty}}", rng.choice(_DRUG_QUANTITIES)
    separator = ", #" if style < 0.45 else " #"
    return f"{drug}{separator}{{qty}}", rng.choice(_DRUG_QUANTITIES)


def _session_request(rng: random.Random, subcategory: str, region: str):
    therapy = rng.choice(_SESSION_THERAPIES[subcategory])
    style = rng.random()
    if style < 0.35:
        per_week, weeks = rng.choice(_FREQUENCIES)
        return (f"{therapy.capitalize()} {per_week} times a week for {weeks} weeks for the "
                f"{region}"), None
    if style < 0.65:
        return f"{{qty}} sessions of {therapy} for the {region}", rng.choice([6, 8, 12, 18])
    if style < 0.85:
        return f"Additional {therapy}, {{qty}} sessions, {region}", rng.choice([6, 8, 12])
    return f"{therapy.capitalize()}, {{qty}} visits", rng.choice([4, 6, 8, 10, 12])


def _with_count(rng: random.Random, template: str, counts: list[int] | None, region: str) -> str:
    if counts is None:
        return template.format(region=region)
    return template.format(n=rng.choice(counts), region=region)


def _make_request(rng: random.Random, category: str, region: str):
    """(subcategory, request template, quantity or None) for one disputed item."""
    if region == "head" and category not in ("Diagnostic Testing", "Surgery"):
        region = "cervical spine"  # head injuries are treated through the neck
    if category == "Pharmaceuticals":
        subcategory = _pick(rng, _DRUG_WEIGHTS)
        template, quantity = _drug_request(rng, subcategory)
        return subcategory, template, quantity
    if category == "Rehabilitation":
        subcategory = rng.choices(list(_SESSION_THERAPIES), weights=_SESSION_WEIGHTS)[0]
        template, quantity = _session_request(rng, subcategory, region)
        return subcategory, template, quantity
    if category == "Psych Services":
        subcategory, template, counts = rng.choice(_PSYCH_REQUESTS)
        if counts is None:
            return subcategory, template, None
        return subcategory, template.replace("{n}", "{qty}"), rng.choice(counts)
    if category == "Diagnostic Testing":
        entry = rng.choices(_DIAGNOSTIC_REQUESTS, weights=[w for *_, w in _DIAGNOSTIC_REQUESTS])[0]
        return entry[0], entry[1].format(region=region), None
    if category == "Injection":
        subcategory, template = rng.choice(_INJECTION_REQUESTS)
        while subcategory in ("Joint", "PRP") and _region_key(region) not in _JOINT_REGIONS or (
            "Synvisc" in template and "knee" not in region
        ):
            subcategory, template = rng.choice(_INJECTION_REQUESTS)
        text = template.format(
            lumbar=rng.choice(_LEVELS[:4]), cervical=rng.choice(_LEVELS[4:]),
            region=region, n=rng.randint(2, 4),
        )
        return subcategory, text, None
    if category == "Surgery":
        subcategory, procedures = _SURGERIES[_region_key(region)]
        text = rng.choice(procedures).format(
            side=_side(region), lumbar=rng.choice(_LEVELS[:4]), cervical=rng.choice(_LEVELS[4:])
        )
        return subcategory, text, None
    if category == "DMEPOS":
        entry = rng.choices(_DMEPOS_REQUESTS, weights=[w for *_, w in _DMEPOS_REQUESTS])[0]
        brace = _BRACES[_region_key(region)].format(region=region)
        return entry[0], entry[1].format(region=region, brace=brace), None
    subcategory, template, counts = rng.choice(_SIMPLE_REQUESTS[category])
    return subcategory, _with_count(rng, template, counts, region), None


def _citation(rng, party: str, subcategory: str, region_info, decided: date) -> dict:
    """One party's guideline line: the text and the facts a citation parser should find."""
    if rng.random() < (0.45 if party == "Claims Administrator" else 0.12):
        return {
            "text": f"The {party} did not cite any medical evidence for its decision.",
            "sources": [], "no_evidence": True, "mtus_guideline": "", "odg_chapter": "",
        }
    _, mtus_body, acoem_chapter, acoem_pages, odg_spellings, odg_normal = region_info
    topics = _CHRONIC_PAIN_TOPICS.get(subcategory)
    if subcategory in ("Therapies", "Evaluation"):
        odg_spellings, odg_normal = _MENTAL_CHAPTERS
        mtus_body, acoem_chapter, acoem_pages = _MTUS_STRESS
    elif subcategory in _PAIN_CHAPTER_SUBCATEGORIES:
        odg_spellings, odg_normal = _PAIN_CHAPTERS
    odg_topic = topics[0][2] if topics else _ODG_ONLY_TOPICS.get(subcategory, "Procedure Summary")
    parts: list[str] = []
    sources: list[str] = []
    mtus_guideline = ""
    if topics and rng.random() < 0.85:
        topic, pages, _ = rng.choice(topics)
        sources.append("MTUS")
        mtus_guideline = "Chronic Pain"
        if decided >= SECTION_ERA:
            edition = "2016" if decided.year < 2018 else "2017"
            parts.append(
                f"Decision based on MTUS Chronic Pain Medical Treatment {edition}, "
                f"Section(s): {topic}."
            )
        elif pages:
            parts.append(
                f"Decision based on MTUS Chronic Pain Treatment Guidelines {topic} "
                f"Page(s): {pages}."
            )
        else:
            parts.append(f"Decision based on MTUS Chronic Pain Treatment Guidelines {topic}.")
    elif rng.random() < 0.5:
        sources.append("MTUS")
        mtus_guideline = mtus_body.replace(" Complaints", "").replace(", and", " and")
        if decided >= SECTION_ERA:
            parts.append(f"Decision based on MTUS {mtus_body} 2004, Section(s): Summary.")
        else:
            parts.append(
                f"Decision based on MTUS ACOEM {acoem_chapter} {mtus_body} "
                f"Page(s): {acoem_pages}."
            )
    if not parts or rng.random() < 0.45:
        sources.append("ODG")
        chapter = rng.choice(odg_spellings)
        if not parts and rng.random() < 0.3:
            parts.append(f"The {party} did not base their decision on the MTUS.")
        if rng.random() < 0.25:
            updated = f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/{decided.year % 100:02d}"
            chapter += f" (updated {updated})"
        parts.append(
            f"Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) "
            f"{chapter}, {odg_topic}."
        )
    return {
        "text": " ".join(parts), "sources": sources, "no_evidence": False,
        "mtus_guideline": mtus_guideline, "odg_chapter": odg_normal if "ODG" in sources else "",
    }


def _rationale(rng: random.Random, item: _Item) -> str:
    overturned = item.outcome == "overturned"
    named = item.request if item.original_request else item.heading
    quoted = f'"{named}"' if ":" in named else named
    opening = rng.choice([
        f"The request for {quoted} is under review.",
        f"This review concerns {quoted}.",
        f"The treating provider requested {quoted}.",
    ])
    verdict = "is medically necessary" if overturned else "is not medically necessary"
    conclusion = f"Therefore, the request for {quoted} {verdict}."
    reasons = _REASON_POOLS[(item.subcategory or item.category, overturned)]
    first_reason, last_reason = rng.choice(reasons), rng.choice(reasons)
    words = (opening + first_reason + last_reason + conclusion).count(" ") + 4
    target_words = int(rng.triangular(MIN_RATIONALE_WORDS, MAX_RATIONALE_WORDS, 150))
    sentences = [opening, first_reason]
    pool_size, random_fraction = len(_CLINICAL_POOL), rng.random
    while words < target_words:
        index = int(random_fraction() * pool_size)
        if words + _CLINICAL_WORDS[index] > MAX_RATIONALE_WORDS:
            break
        sentences.append(_CLINICAL_POOL[index])
        words += _CLINICAL_WORDS[index]
    sentences += [last_reason, conclusion]
    return "  ".join(sentences)


def _build_items(rng: random.Random, count: int, region_info, decided: date) -> list[_Item]:
    region = region_info[0]
    items: list[_Item] = []
    surgery_outcome = ""
    while len(items) < count:
        if surgery_outcome and rng.random() < 0.6:
            category, subcategory, request = rng.choice(_ASSOCIATED_SERVICES)
            outcome = surgery_outcome
            # The heading names the surgery link; the request is the service itself.
            item = _Item(category, subcategory, request,
                         f"Associated surgical service: {request}", outcome)
            quantity = None
        else:
            category = _pick(rng, _CATEGORY_WEIGHTS)
            subcategory, request, quantity = _make_request(rng, category, region)
            outcome = "overturned" if rng.random() < OVERTURN_RATE else "upheld"
            if category == "Surgery":
                surgery_outcome = outcome
            item = _Item(category, subcategory, request, request, outcome)
        if quantity is not None:
            if quantity >= 4 and rng.random() < MODIFIED_REQUEST_RATE:
                authorized = rng.randint(1, quantity - 1)
                item.original_request = request.format(qty=quantity)
                item.authorized = request.format(qty=authorized)
                item.request = request.format(qty=quantity - authorized)
                item.heading = (
                    f"{item.original_request} was the original request. {item.authorized} was "
                    f"authorized by the claims administrator. The remaining IMR eligible portion "
                    f"of the original request, {item.request} is"
                )
            else:
                item.request = item.heading = request.format(qty=quantity)
        topic_key = subcategory or category
        item.claims_administrator = _citation(rng, "Claims Administrator", topic_key,
                                              region_info, decided)
        item.imr = _citation(rng, "Expert Reviewer", topic_key, region_info, decided)
        item.rationale = _rationale(rng, item)
        items.append(item)
    return items


def _reviewer(rng: random.Random, items: list[_Item]) -> tuple[list[str], list[str]]:
    lead = items[0].category
    if items[0].category == "Other":  # only dental requests fall under Other
        choices = _DENTAL_REVIEWERS
    elif lead in _REVIEWERS_BY_CATEGORY and rng.random() < 0.7:
        choices = _REVIEWERS_BY_CATEGORY[lead]
    else:
        choices = _GENERAL_REVIEWERS
    specialties = list(rng.choice(choices))
    states = ["California"] if rng.random() < 0.45 else []
    for state in rng.sample(_STATES[1:], rng.choice([1, 1, 1, 2])):
        states.append(state)
    if len(states) > 3:
        states = states[:3]
    rng.shuffle(states)
    return specialties, states


def _wrap(paragraph: str, width: int = LINE_WIDTH) -> list[str]:
    """Greedy word wrap; much cheaper than textwrap for text without tabs or long words."""
    lines = []
    while len(paragraph) > width:
        cut = paragraph.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = paragraph.find(" ", width)
            if cut < 0:
                break
        lines.append(paragraph[:cut])
        paragraph = paragraph[cut + 1 :]
    lines.append(paragraph)
    return lines


def _long_date(value: date) -> str:
    return f"{value:%B} {value.day}, {value.year}"


def _summary(rng: random.Random, age: int, sex: str, injured: date, items: list[_Item],
             region: str, ur_denied: date) -> list[str]:
    age_phrase = f"{age}-year-old" if rng.random() < 0.6 else f"{age} year old"
    diagnoses = rng.sample(_DIAGNOSES, 2)
    first = items[0].request
    rare_terms = rng.sample(PSEUDO_TERMS, 2)  # uniform draw: the long tail of rare words
    opening = (
        f"This summary is synthetic: it was generated as test data and describes no real person. "
        f"The injured worker is a {age_phrase} {sex} {rng.choice(_OCCUPATIONS)} who reported an "
        f"industrial injury to the {region} on {_long_date(injured)}. "
        f"Diagnoses include {diagnoses[0]} and {diagnoses[1]}, with {rare_terms[0]} noted on one "
        f"examination and {rare_terms[1]} mentioned in a later report."
    )
    body = "  ".join(rng.sample(_CLINICAL_POOL, rng.randint(3, 7)))
    closing = (
        f"In a utilization review decision dated {_long_date(ur_denied)}, the claims administrator "
        f"denied or modified the request for {first}. The injured worker then applied for "
        f"Independent Medical Review."
    )
    return [opening, body + "  " + closing]


_METHOD_PARAGRAPH = (
    "An expert reviewer received the full case file from MAXIMUS Federal Services. The reviewer "
    "has no ties to the employer, the injured worker, the treating providers or the claims "
    "administrator, has practiced clinically for over five years and still practices at least 24 "
    "hours each week. The reviewer was chosen for clinical experience, training and expertise in a "
    "specialty that evaluates or treats the condition and the disputed services, and knows the "
    "laws, regulations and strength-of-evidence hierarchy that govern Independent Medical Review."
)


def _header_lines(case_number: str, dates: dict, priority: str) -> list[str]:
    # pypdf reads the two-column header table row by row, label then value.
    fmt = "{:%m/%d/%Y}".format
    return [
        "",
        f"Case Number: {case_number} ",
        f"Date Assigned: {fmt(dates['date_assigned'])} Date of Injury:  "
        f"{fmt(dates['date_of_injury'])}",
        f"Decision Date: {fmt(dates['decision_date'])} UR Denial Date:  "
        f"{fmt(dates['ur_denial_date'])}",
        f"Priority:  {priority} Application",
        "Received: ",
        fmt(dates["application_received"]),
        "",
        SYNTHETIC_NOTICE,
        "",
    ]


def build_letter(index: int, seed: int = 0) -> SyntheticLetter:
    """Letter number `index` of the corpus for `seed`."""
    if not 0 <= index < 10_000_000:
        raise ValueError("case numbers hold seven digits: index must be in 0..9,999,999")
    rng = random.Random(seed * 4_294_967_296 + index)
    span = (LAST_DECISION - FIRST_DECISION).days
    decided = FIRST_DECISION + timedelta(days=rng.randrange(span + 1))
    assigned = decided - timedelta(days=rng.randint(7, 40))
    received = assigned - timedelta(days=rng.randint(1, 10))
    ur_denied = received - timedelta(days=rng.randint(3, 30))
    injured = ur_denied - timedelta(days=rng.randint(30, 5000))
    dates = {
        "decision_date": decided, "date_assigned": assigned, "application_received": received,
        "ur_denial_date": ur_denied, "date_of_injury": injured,
    }
    priority = "Expedited" if rng.random() < 0.04 else "Standard"
    case_number = f"SY{assigned.year % 100:02d}-{index:07d}"
    age = min(75, max(19, int(rng.gauss(47, 11))))
    sex = "female" if rng.random() < 0.45 else "male"
    region_info = rng.choices(_REGIONS, weights=_REGION_WEIGHTS)[0]
    count = _ITEM_COUNTS[
        bisect.bisect(_ITEM_COUNT_CUMULATIVE, rng.random() * _ITEM_COUNT_CUMULATIVE[-1])
    ]
    items = _build_items(rng, count, region_info, decided)
    specialties, states = _reviewer(rng, items)

    lines = _header_lines(case_number, dates, priority)
    lines += ["HOW THE IMR FINAL DETERMINATION WAS MADE", *_wrap(_METHOD_PARAGRAPH), ""]
    state_separator = "," if rng.random() < 0.6 else ", "
    lines += [
        "The Expert Reviewer has the following credentials:",
        f"State(s) of Licensure: {state_separator.join(states)}",
        *_wrap(f"Certification(s)/Specialty: {', '.join(specialties)}"),
        "",
        "CLINICAL CASE SUMMARY",
        *_wrap("The expert reviewer prepared this clinical case summary after reviewing the case "
               "file and the medical records in it:"),
        "",
    ]
    for paragraph in _summary(rng, age, sex, injured, items, region_info[0], ur_denied):
        lines += _wrap(paragraph)
    lines.append("")
    lines.append("")
    page_starts = [0, len(lines)]  # the decisions start on a new page, as in posted letters
    lines += [
        "IMR ISSUES, DECISIONS AND RATIONALES",
        "Each disputed item or service and the final decision on it are listed below:",
        "",
    ]
    separator = ":  " if rng.random() < 0.7 else ": "
    for item in items:
        lines += _wrap(f"{item.heading}{separator}{item.outcome.capitalize()}")
        lines.append("")
        lines += _wrap(f"Claims Administrator guideline: {item.claims_administrator['text']}")
        lines.append("")
        lines += _wrap(f"MAXIMUS guideline: {item.imr['text']}")
        lines.append("")
        lines += _wrap(f"Decision rationale: {item.rationale}")
        lines.append("")

    next_break = page_starts[1] + PAGE_LINES
    while next_break < len(lines):
        page_starts.append(next_break)
        next_break += PAGE_LINES
    for start in page_starts[1:]:
        lines[start] = "\f" + lines[start]
    text = " \n".join(lines) + " \n"

    expected = {
        "synthetic": True,
        "case_number": case_number,
        **dates,
        "priority": priority,
        "age": age,
        "sex": sex,
        "specialties": specialties,
        "licensure": states,
        "body_region": region_info[0],
        "items": [(item.request, item.outcome, item.category) for item in items],
        "item_details": [
            {
                "heading": item.heading,
                "request": item.request,
                "outcome": item.outcome,
                "category": item.category,
                "subcategory": item.subcategory,
                "original_request": item.original_request,
                "authorized": item.authorized,
                "claims_administrator_guideline": item.claims_administrator,
                "imr_guideline": item.imr,
            }
            for item in items
        ],
    }
    return SyntheticLetter(case_number=case_number, text=text, expected=expected)


def generate_letters(count: int, seed: int = 0, start: int = 0) -> Iterator[SyntheticLetter]:
    """Letters `start` .. `start + count - 1` of the corpus for `seed`."""
    for index in range(start, start + count):
        yield build_letter(index, seed)


def write_corpus(directory: Path, count: int, seed: int = 0) -> int:
    """Write `<case_number>.txt` files for the ingest command; returns how many were written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = 0
    for letter in generate_letters(count, seed):
        (directory / f"{letter.case_number}.txt").write_text(letter.text, encoding="utf-8")
        written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write synthetic IMR letters as text files.")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="directory for the .txt files")
    args = parser.parse_args(argv)
    written = write_corpus(args.out, args.count, args.seed)
    print(f"wrote {written} synthetic letters to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
