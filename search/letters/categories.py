"""Classify a disputed request into the treatment category vocabulary of the state's IMR search.

`classify_request("Norco 10/325mg #90")` -> ("Pharmaceuticals", "Opioids"). Rules are tried in
order and the first that matches wins, so the order encodes precedence: "Urine drug screen" is
a test before it is a drug, "Chiropractic physiotherapy" is chiropractic before physical therapy,
"Spine surgery evaluation" is a consultation before it is surgery, and a TENS unit is equipment
while "electrical stimulation 1 times 8" is a therapy.

"Associated surgical service: Cold therapy unit" is classified by what is requested (DMEPOS >
Cold/Heat Therapy), not as surgery: the prefix only says the item goes with a surgery, and users
look for cold therapy units under equipment whatever the reason they were asked for.
"""

from __future__ import annotations

import functools
import re

OTHER = "Other"

# The drop-down of the official search, in its order: (category, subcategories).
CATEGORIES: list[tuple[str, list[str]]] = [
    (
        "Diagnostic Testing",
        [
            "MRI",
            "CT",
            "X-ray",
            "EMG/NCV",
            "Ultrasound",
            "Bone Scan",
            "Lab",
            "Urine Drug Screen",
            "Cardiac Testing",
            "Sleep Study",
            "Functional Capacity Evaluation",
            "Other Diagnostic",
        ],
    ),
    (
        "DMEPOS",
        [
            "TENS/Electrical Stimulation Unit",
            "Brace/Orthotic",
            "Cold/Heat Therapy",
            "Mobility Aid",
            "Home Equipment",
            "Compression",
            "Exercise Equipment",
            "Other DME",
        ],
    ),
    ("Evaluation & Management (E&M)", ["Office Visit", "Consultation", "Referral"]),
    ("Home Health Services", ["Home Health Aide", "Skilled Nursing", "Skilled Nursing Facility"]),
    (
        "Injection",
        [
            "Epidural Steroid",
            "Facet",
            "Radiofrequency Ablation",
            "Trigger Point",
            "Joint",
            "PRP",
            "Nerve Block",
            "Botox",
            "Other Injection",
        ],
    ),
    (
        "Pharmaceuticals",
        [
            "Opioids",
            "NSAID",
            "Muscle Relaxant",
            "Topical Analgesics",
            "Anticonvulsants",
            "Antidepressants",
            "Benzodiazepines",
            "Sleep Aids",
            "Proton Pump Inhibitors",
            "Gastrointestinal",
            "Medical Foods",
            "Other Medications",
        ],
    ),
    (
        "Programs",
        ["Functional Restoration", "Work Hardening", "Weight Loss", "Detoxification", "Gym"],
    ),
    ("Psych Services", ["Evaluation", "Therapies", "Biofeedback"]),
    (
        "Rehabilitation",
        [
            "Physical Therapy",
            "Chiropractic",
            "Acupuncture",
            "Occupational Therapy",
            "Massage",
            "Aquatic Therapy",
        ],
    ),
    (
        "Surgery",
        [
            "Spine",
            "Knee",
            "Shoulder",
            "Hand/Wrist",
            "Elbow",
            "Hip",
            "Foot/Ankle",
            "Hernia",
            "Spinal Cord Stimulator",
            "Assistant Surgeon",
            "Inpatient Stay",
            "Other Surgery",
        ],
    ),
    (
        "Therapies",
        ["Electrical Stimulation", "Shockwave", "Traction", "Laser", "Other Therapies"],
    ),
    ("Transportation", []),
    (OTHER, []),
]


def _lower_compile(pattern: str) -> re.Pattern[str]:
    """Compile for lower-cased text: matching without re.IGNORECASE is several times faster."""
    lowered = re.sub(r"\(\?P|\\.|[A-Z]", _lower_letter, pattern)
    return re.compile(lowered)


def _lower_letter(match: re.Match[str]) -> str:
    # Escapes such as \S or \W, and "(?P", keep their case: lower-cased they mean something else.
    text = match.group(0)
    return text if len(text) > 1 else text.lower()


# --- drugs --------------------------------------------------------------------------------------


# Brand and generic names per drug class, as requests write them.
def _names(text: str) -> list[str]:
    """Comma-separated names (regex fragments allowed), wrapped freely over lines."""
    return [" ".join(name.split()) for name in text.split(",") if name.strip()]


DRUGS: dict[str, list[str]] = {
    "Opioids": _names(
        r"""
        norco, hydrocodone, vicodin, lortab, hycet, zohydro, hysingla, percocet, oxycodone,
        oxycontin, roxicodone, roxicet, endocet, xtampza, nalocet, primlev, xartemis, tramadol,
        ultram, ultracet, conzip, synapryn, nucynta, tapentadol, kadian, morphine, ms contin,
        mscontin, avinza, embeda, dilaudid, hydromorphone, exalgo, opana, oxymorphone, fentanyl,
        duragesic, fentora, actiq, subsys, methadone, butrans, buprenorphine, suboxone, zubsolv,
        belbuca, subutex, codeine, tylenol #3, tylenol #4, tylenol with codeine, demerol,
        meperidine, levorphanol, talwin, pentazocine, opioids?, narcotics?
        """
    ),
    "Benzodiazepines": _names(
        r"""
        klonopin, clonazepam, xanax, alprazolam, valium, diazepam, ativan, lorazepam, librium,
        chlordiazepoxide, tranxene, clorazepate, oxazepam, benzodiazepines?
        """
    ),
    "Muscle Relaxant": _names(
        r"""
        flexeril, cyclobenzaprine, amrix, fexmid, soma, carisoprodol, skelaxin, metaxalone,
        zanaflex, tizanidine, baclofen, lioresal, robaxin, methocarbamol, norflex, orphenadrine,
        parafon, chlorzoxazone, lorzone, dantrolene, tabradol, muscle relaxants?
        """
    ),
    "NSAID": _names(
        r"""
        motrin, ibuprofen, advil, naproxen, naprosyn, anaprox, aleve, naprelan, celebrex,
        celecoxib, mobic, meloxicam, diclofenac, voltaren, arthrotec, cambia, zipsor, zorvolex,
        relafen, nabumetone, etodolac, lodine, daypro, oxaprozin, indomethacin, indocin,
        ketorolac, toradol, ketoprofen, feldene, piroxicam, duexis, vimovo, sulindac, clinoril,
        diflunisal, salsalate, fenoprofen, nalfon, flurbiprofen, ansaid, nsaids?,
        anti-?inflammator(?:y|ies)
        """
    ),
    "Topical Analgesics": _names(
        r"""
        lidoderm, terocin, flector, pennsaid, capsaicin, lidopro, menthoderm, medrox, dendracin,
        theraflex, cyclophene, ketophene, synovacin, bengay, biofreeze, salonpas, methyl
        salicylate, camphor, menthol, lidocaine, ultracin, keratek, compound(?:ed)?, topicals?
        """
    ),
    "Anticonvulsants": _names(
        r"""
        neurontin, gabapentin, gralise, horizant, fanatrex, lyrica, pregabalin, topamax,
        topiramate, tegretol, carbamazepine, trileptal, oxcarbazepine, lamictal, lamotrigine,
        depakote, divalproex, keppra, levetiracetam, zonegran, zonisamide, anticonvulsants?,
        antiepileptics?
        """
    ),
    "Antidepressants": _names(
        r"""
        cymbalta, duloxetine, elavil, amitriptyline, nortriptyline, pamelor, remeron,
        mirtazapine, trazodone, desyrel, wellbutrin, bupropion, prozac, fluoxetine, zoloft,
        sertraline, paxil, paroxetine, celexa, citalopram, lexapro, escitalopram, effexor,
        venlafaxine, pristiq, desvenlafaxine, savella, milnacipran, trintellix, brintellix,
        vortioxetine, viibryd, vilazodone, doxepin, imipramine, desipramine, antidepressants?
        """
    ),
    "Sleep Aids": _names(
        r"""
        ambien, zolpidem, lunesta, eszopiclone, sonata, zaleplon, dalmane, flurazepam, restoril,
        temazepam, halcion, triazolam, belsomra, suvorexant, rozerem, ramelteon, silenor,
        melatonin, dicopanol, diphenhydramine, intermezzo, edluar, sleep aids?, hypnotics?
        """
    ),
    "Proton Pump Inhibitors": _names(
        r"""
        prilosec, omeprazole, protonix, pantoprazole, nexium, esomeprazole, prevacid,
        lansoprazole, aciphex, rabeprazole, dexilant, dexlansoprazole, zegerid, ppis?, proton
        pump inhibitors?
        """
    ),
    "Gastrointestinal": _names(
        r"""
        ranitidine, zantac, famotidine, pepcid, cimetidine, tagamet, deprizine, ondansetron,
        zofran, promethazine, phenergan, metoclopramide, reglan, senna, senokot, sennosides,
        colace, docusate, miralax, lactulose, bisacodyl, dulcolax, amitiza, lubiprostone,
        movantik, naloxegol, relistor, methylnaltrexone, linzess, carafate, sucralfate,
        misoprostol, cytotec, laxatives?, stool softeners?, antiemetics?
        """
    ),
    "Medical Foods": _names(
        r"""
        theramine, sentra, trepadone, gabadone, appetrex, percura, hypertensa, medical foods?
        """
    ),
    "Other Medications": _names(
        r"""
        tylenol, acetaminophen, apap, fioricet, butalbital, imitrex, sumatriptan, maxalt,
        rizatriptan, relpax, topamax, prednisone, medrol, methylprednisolone, dexamethasone,
        provigil, modafinil, nuvigil, armodafinil, adderall, ritalin, seroquel, quetiapine,
        abilify, aripiprazole, risperdal, risperidone, zyprexa, olanzapine, latuda, buspirone,
        buspar, hydroxyzine, vistaril, atarax, lithium, prazosin, clonidine, propranolol,
        lisinopril, metformin, insulin, testosterone, androgel, viagra, sildenafil, cialis,
        tadalafil, levitra, keflex, cephalexin, antibiotics?, ambrisentan, vitamin(?:
        [a-z]\d*)?, b12, supplements?, glucosamine, chondroitin, naloxone, narcan, nicotine,
        chantix, varenicline, topical steroids?, medications?, meds, prescriptions?, refills?,
        tablets?, capsules?, tabs?, caps?, pills?, oral suspension, solution
        """
    ),
}

# Opioid transdermal systems are opioids, not topical analgesics.
_OPIOID_PATCH_RE = _lower_compile(r"\b(?:butrans|fentanyl|duragesic|buprenorphine)\b")
# Dosage forms of topical products; a strength in per cent also marks a topical compound.
_TOPICAL_FORM_RE = _lower_compile(
    r"\b(?:creams?|gels?|ointments?|lotions?|topicals?|compound(?:ed)?|liniment|roll-?on)\b"
    r"|\d\s*%"
)
_DOSAGE_RE = _lower_compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|ml|g|grams?|gm|units?)\b|#\s*\d+|\b(?:qty|quantity)\b"
)


def _words(words: list[str]) -> str:
    return r"\b(?:" + "|".join(word.replace(" ", r"\s*") for word in words) + r")\b"


# One pass finds every drug name; a request naming several classes gets the first in DRUGS order
# ("Diclofenac/misoprostol" is an NSAID, "Tylenol #3" an opioid rather than acetaminophen).
_DRUG_CLASSES = [drug_class for drug_class in DRUGS if drug_class != "Topical Analgesics"]
_DRUG_NAMES_RE = _lower_compile(
    r"\b(?:"
    + "|".join(
        f"(?P<c{index}>" + "|".join(n.replace(" ", r"\s*") for n in DRUGS[drug_class]) + ")"
        for index, drug_class in enumerate(_DRUG_CLASSES)
    )
    + r")\b"
)
_OTHER_MEDICATIONS = _DRUG_CLASSES.index("Other Medications")
_TOPICAL_DRUG_RE = _lower_compile(_words(DRUGS["Topical Analgesics"]))

# --- rules --------------------------------------------------------------------------------------

_PHARMACEUTICALS = "Pharmaceuticals"

# (category, subcategory, pattern); first match wins. Services whose names contain drug words
# ("urine drug screen", "medication management", "lidocaine injection") come before drug names.
_EARLY_RULE_SOURCES: list[tuple[str, str, str]] = [
    # Things that are unambiguous whatever else the request mentions.
    (
        "Transportation",
        "",
        r"\btransport(?:ation)?\b|\btaxi\b|\bmileage\b|\buber\b|\blyft\b"
        r"|\bride(?:s)? to\b|\bambulance\b",
    ),
    (
        "Home Health Services",
        "Skilled Nursing Facility",
        r"\bskilled nursing facility\b|\bSNF\b|\bnursing home\b|\bassisted living\b",
    ),
    (
        "Home Health Services",
        "Skilled Nursing",
        r"\bhome (?:health )?(?:nurs(?:e|ing)|RN)\b|\bskilled nursing\b|\b(?:daily )?RN\b|"
        r"\bnurse visits?\b|\bwound care\b",
    ),
    (
        "Home Health Services",
        "Home Health Aide",
        r"\bhome (?:health|aide|care|assistance|help|services?)\b|\bin[- ]home\b|\bcaregiver\b|"
        r"\bhousekeep|\bhomemaker\b|\battendant care\b|\bhealth aide\b",
    ),
    ("Evaluation & Management (E&M)", "Office Visit", r"\bmedication management\b"),
    (
        "Programs",
        "Functional Restoration",
        r"\bfunctional restoration\b|\bFRP\b|\bHELP program\b|\b(?:chronic )?pain (?:management )?"
        r"program\b|\binterdisciplinary\b|\bmultidisciplinary\b",
    ),
    ("Programs", "Work Hardening", r"\bwork (?:hardening|conditioning)\b"),
    (
        "Programs",
        "Weight Loss",
        r"\bweight (?:loss|reduction|management)\b|\bLindora\b|"
        r"\bnutritionist\b|\bdietitian\b",
    ),
    (
        "Programs",
        "Detoxification",
        r"\bdetox(?:ification)?\b|\bdetoxify\b|\brehab(?:ilitation)? "
        r"(?:for|from) (?:opioids?|narcotics?)",
    ),
    ("Programs", "Gym", r"\bgym\b|\b(?:pool|health club|fitness) membership\b|\bYMCA\b"),
    # Psychological services.
    ("Psych Services", "Biofeedback", r"\bbiofeedback\b|\bneurofeedback\b"),
    (
        "Psych Services",
        "Evaluation",
        r"\bpsych(?:ological|iatric|ology|o)?\s*(?:diagnostic\s+)?(?:eval(?:uation)?s?|consult(?:ation)?s?"
        r"|testing|tests?|assessments?|interview)\b|\bneuropsych(?:ological)?\b|\bMMPI\b",
    ),
    (
        "Psych Services",
        "Therapies",
        r"\bpsychotherap|\bcognitive[- ]behaviou?ral\b|\bCBT\b|\bbehaviou?ral (?:therapy|medicine|"
        r"interventions?|pain management)\b|"
        r"\bpsych(?:ological|iatric|ology)?\s+(?:treatment|sessions?|"
        r"therapy|visits?|follow[- ]?ups?|care|services?)\b|\bcounsell?ing\b|\bhypnotherap|"
        r"\brelaxation training\b|\bgroup therapy\b|\bpsychiatr|\bpsycholog",
    ),
    # Injections, before drugs (lidocaine, steroids) and before surgery (joint names).
    (
        "Injection",
        "Epidural Steroid",
        r"\bepidural\b|\bESIs?\b|\btransforaminal\b|\binterlaminar\b|\bcaudal\b",
    ),
    (
        "Injection",
        "Radiofrequency Ablation",
        r"\bradio\s*frequency\b|\bRFA\b|\brhizotomy\b|\bneurotomy\b|\bablation\b",
    ),
    ("Injection", "Facet", r"\bfacet\b|\bmedial branch\b|\bMBBs?\b"),
    ("Injection", "Trigger Point", r"\btrigger point\b|\bTPIs?\b"),
    ("Injection", "PRP", r"\bPRP\b|\bplatelet[- ]rich\b|\bstem cell\b"),
    ("Injection", "Botox", r"\bbotox\b|\bbotulinum\b|\bmyobloc\b|\bdysport\b"),
    (
        "Injection",
        "Nerve Block",
        r"\b(?:nerve|stellate|ganglion|sympathetic|occipital|suprascapular|genicular|plexus)"
        r"(?:\s+\w+)?\s+blocks?\b|\bnerve blocks?\b|\bblocks?\b",
    ),
    (
        "Injection",
        "Joint",
        r"\b(?:synvisc|orthovisc|euflexxa|supartz|hyalgan|gel-?one|monovisc|durolane|hyaluron\w*|"
        r"viscosupplement\w*)\b|\b(?:intra-?articular|sacroiliac|SI joint|cortisone|corticosteroid|"
        r"steroid)\b.*\binjections?\b|\b(?:knee|shoulder|hip|joint|wrist|elbow|ankle|subacromial)\b.*"
        r"\binjections?\b",
    ),
    (
        "Injection",
        "Other Injection",
        r"\binjections?\b|\binjectables?\b|\binfusions?\b|\bIM\b|"
        r"\bIV\b|\bshots?\b",
    ),
    # Diagnostic tests.
    (
        "Diagnostic Testing",
        "Urine Drug Screen",
        r"\burine (?:drug|tox|test|screen)|\bdrug (?:screen|test)|\bUDS\b|\bUDT\b|"
        r"\btoxicology\b",
    ),
    (
        "Diagnostic Testing",
        "EMG/NCV",
        r"\bEMG\b|\bNCV\b|\bNCS\b|\bnerve conduction\b|\belectromyogra|\belectrodiagnostic\b|"
        r"\bSSEPs?\b|\bsomatosensory\b|\bEDS\b",
    ),
    ("Diagnostic Testing", "MRI", r"\bMRI?s?\b|\bMRA\b|\bmagnetic resonance\b|\barthrogram\b"),
    ("Diagnostic Testing", "CT", r"\bCT\b|\bCAT scan\b|\bcomputed tomography\b|\bmyelogra"),
    (
        "Diagnostic Testing",
        "X-ray",
        r"\bx-?\s?rays?\b|\bradiographs?\b|\bradiology\b|\bfilms\b|\bfluoroscop\w*\s+(?:study|exam)",
    ),
    (
        "Diagnostic Testing",
        "Bone Scan",
        r"\bbone (?:scan|density)\b|\bDEXA\b|\bnuclear\b|"
        r"\bscintigra",
    ),
    ("Diagnostic Testing", "Sleep Study", r"\bsleep (?:study|studies|test)\b|\bpolysomnogra"),
    (
        "Diagnostic Testing",
        "Cardiac Testing",
        r"\bEKGs?\b|\bECGs?\b|\belectrocardiogra|\bechocardiogra|\bstress test\b|\bholter\b",
    ),
    (
        "Diagnostic Testing",
        "Ultrasound",
        r"\b(?:diagnostic|doppler)\b.*\bultrasound\b|"
        r"\bultrasound\b(?!.*\b(?:therap\w*|times|sessions?|visits?|x\s*\d|\d+\s*x))|\bsonogra|"
        r"\bdoppler\b|\bduplex\b",
    ),
    (
        "Diagnostic Testing",
        "Functional Capacity Evaluation",
        r"\bfunctional capacity\b|\bFCE\b|\bphysical performance\b",
    ),
    (
        "Diagnostic Testing",
        "Lab",
        r"\blabs?\b|\blaboratory\b|\bCBC\b|\bBMP\b|\bCMP\b|\bchem(?:istry)? panel\b|\bPT/PTT\b|"
        r"\bPTT\b|\bINR\b|\bUA\b|\burinalysis\b|\bblood (?:work|test|draw|panel)s?\b|"
        r"\b(?:hepatic|renal|liver|kidney|metabolic|lipid|thyroid) (?:function|panel|profile)|"
        r"\bHbA1c\b|\bA1C\b|\bvitamin d level|\bgenetic test|\bDNA test|\bcultures?\b|"
        r"\bpathology\b|\bbiops(?:y|ies)\b|\bpregnancy test\b|\btype and (?:screen|cross)\b",
    ),
    (
        "Diagnostic Testing",
        "Other Diagnostic",
        r"\bEEG\b|\belectroencephalogra|\bdiscogra|\bvideonystagmogra|\bVNG\b|\baudiogra|"
        r"\bhearing test\b|\bvisual field\b|\bpulmonary function\b|\bspirometry\b|\bquantitative "
        r"sensory\b|\bdiagnostic\b|\bimaging\b|\bscans?\b|\bstudy\b|\bstudies\b|\btesting\b",
    ),
    # Rehabilitation.
    (
        "Rehabilitation",
        "Chiropractic",
        r"\bchiropract\w*|\bmanipulation\b(?! under)|\bCMT\b|\bmanual therapy\b|"
        r"\bmyofascial release\b",
    ),
    ("Rehabilitation", "Acupuncture", r"\bacupuncture\b|\belectro-?acupuncture\b|\bcupping\b"),
    (
        "Rehabilitation",
        "Aquatic Therapy",
        r"\baqua(?:tic)?\s*therapy\b|\bpool therapy\b|"
        r"\bhydrotherapy\b",
    ),
    ("Rehabilitation", "Occupational Therapy", r"\boccupational therap|\bOT\b|\bhand therap"),
    ("Rehabilitation", "Massage", r"\bmassage\b"),
    (
        "Rehabilitation",
        "Physical Therapy",
        r"\bphysical therap|\bPT\b|\bphysio\w*|\btherapeutic exercise\b|\bhome exercise\b|"
        r"\bphysical medicine\b|\brehabilitation\b|\brehab\b|\bexercise program\b|"
        r"\bwork simulation\b|\bmcKenzie\b|\bpilates\b|\byoga\b",
    ),
    # Visits, consultations and referrals, before surgery ("spine surgery evaluation").
    (
        "Evaluation & Management (E&M)",
        "Referral",
        r"\brefer(?:ral|red)?\b|\bTOC\b|\btransfer of care\b",
    ),
    (
        "Evaluation & Management (E&M)",
        "Consultation",
        r"\bconsult(?:ation|s)?\b|\beval(?:uation)?s?\b|\bclearance\b|\bsecond opinion\b|"
        r"\bassessments?\b|\bspecialist\b",
    ),
]

# After drug names: "take 1 tab 1 hour before exam" is a drug, not a visit.
_LATE_RULE_SOURCES: list[tuple[str, str, str]] = [
    (
        "Evaluation & Management (E&M)",
        "Office Visit",
        r"\boffice visits?\b|\bfollow[- ]?up\b|\bvisits?\b|\bexam(?:ination)?\b|\bappointments?\b|"
        r"\bre-?check\b|\bE&M\b|\bE/M\b",
    ),
    # Durable medical equipment, prosthetics, orthotics and supplies.
    (
        "DMEPOS",
        "TENS/Electrical Stimulation Unit",
        r"\bTENS\b|\bEMS\b|\bH-?wave\b|\binterferential\b|\bIF unit\b|\bIFC\b|\bNMES\b|"
        r"\b(?:muscle|electrical|neuromuscular)\s+stim\w*\s+unit\b|\bstim(?:ulator)? unit\b|"
        r"\belectrodes?\b|\bbone (?:growth )?stimulator\b",
    ),
    (
        "DMEPOS",
        "Cold/Heat Therapy",
        r"\bcold\b|\bcryo\w*|\bice\b|\bheat(?:ing)? (?:pad|wrap|unit|therapy|pack)|\bhot\b|"
        r"\bthermo\w*|\bvascutherm\b|\bpolar care\b|\bgame ready\b|\bvasopneumatic\b|"
        r"\bcoolcare\b|\bheat\b",
    ),
    (
        "DMEPOS",
        "Brace/Orthotic",
        r"\bbraces?\b|\bsplints?\b|\bortho(?:sis|ses|tics?)\b|\b(?:ultra)?slings?\b|\bcollar\b|"
        r"\b(?:back|lumbar|lumbosacral|wrist|knee|ankle|arch|abdominal)\s+(?:supports?|binders?|belts?)"
        r"|\bsupports?\b|\binsoles?\b|\bshoe inserts?\b|\bheel (?:cups?|lifts?)\b|\bLSO\b|\bTLSO\b|"
        r"\bCAM (?:walker|boot)\b|\bwalking boot\b|\bimmobilizer\b|\bsleeves?\b|\bshoes?\b|"
        r"\bprosthe\w*",
    ),
    (
        "DMEPOS",
        "Compression",
        r"\bcompression\b|\bTED hose\b|\bstockings?\b|\bwraps?\b|\bDVT\b|\bSCDs?\b",
    ),
    (
        "DMEPOS",
        "Mobility Aid",
        r"\bwheel\s*chairs?\b|\bwalkers?\b|\bcanes?\b|\bcrutch(?:es)?\b|\bscooters?\b|"
        r"\brollator\b|\bknee scooter\b|\bpower chair\b|\bmobility\b",
    ),
    (
        "DMEPOS",
        "Home Equipment",
        r"\bhospital bed\b|\bbeds?\b|\bcommode\b|"
        r"\b(?:shower|bath|tub|transfer)\b.*\b(?:chair|bench|seat)\b|\bshower\b|"
        r"\braised toilet\b|\btoilet\b|\bgrab bars?\b|\bpillows?\b|"
        r"\bmattress\b|\bwork\s*station\b|\bsit[- ]stand\b|\bdesk\b|\bergonomic\b|\bchair\b|"
        r"\breacher\b|\bgrabber\b|\bhome modification\b|\bramp\b|\blift chair\b|\bhoyer\b|"
        r"\bstair\s*lift\b|\bCPAP\b|\bBiPAP\b|\boxygen\b|\bnebulizer\b|\bglucometer\b",
    ),
    (
        "DMEPOS",
        "Exercise Equipment",
        r"\bexercise (?:equipment|kit|bike|ball)|\bstationary bike\b|\btreadmill\b|"
        r"\btheraband\b|\bresistance bands?\b|\bpulley\b|\bweights\b|\bpedal exerciser\b",
    ),
    # Other therapies.
    (
        "Therapies",
        "Electrical Stimulation",
        r"\be-?stim\b|\belectrical stimulation\b|\belectric(?:al)? muscle stim|\bPENS\b|\bPNT\b|"
        r"\bscrambler\b|\bcalmare\b",
    ),
    ("Therapies", "Shockwave", r"\bshock\s*wave\b|\bESWT\b"),
    ("Therapies", "Traction", r"\btraction\b|\bdecompression therapy\b|\bspinal decompression\b"),
    (
        "Therapies",
        "Laser",
        r"\blaser\b(?!.*\b(?:surgery|discectomy|spine)\b)|\bLLLT\b|"
        r"\bphotobiomodulation\b",
    ),
    (
        "Therapies",
        "Other Therapies",
        r"\bultrasound\b|\bhyperbaric\b|\binfrared\b|\bparaffin\b|\bdiathermy\b|"
        r"\biontophoresis\b|\bphonophoresis\b|\bkinesio\b|\btaping\b|\bdry needling\b|"
        r"\bvestibular\b|\bspeech therapy\b|\bcognitive (?:therapy|rehab)\b|\btherapy\b",
    ),
    (
        "DMEPOS",
        "Other DME",
        r"\bDME\b|\bdurable medical equipment\b|\bCPM\b|\bcontinuous passive motion\b|\bunit\b|"
        r"\bdevice\b|\bsupplies\b|\bkit\b|\bpads?\b|\bpurchase\b|\brental\b|\bhearing aids?\b|"
        r"\bglasses\b|\bmonitor\b",
    ),
]

# Surgery-related services: tried before the body part of an operation, and on their own last.
_SURGERY_RULE_SOURCES: list[tuple[str, str, str]] = [
    (
        "Surgery",
        "Spinal Cord Stimulator",
        r"\bspinal cord stim\w*|\bSCS\b|\bdorsal column\b|\bintrathecal\b|\bpain pump\b",
    ),
    (
        "Surgery",
        "Assistant Surgeon",
        r"\bassistant surgeon\b|\bsurgical assist\w*|\bco-?surgeon\b|\bPA-C\b|\bassist(?:ant)?\b",
    ),
    (
        "Surgery",
        "Inpatient Stay",
        r"\binpatient\b|\bhospital (?:stay|admission)\b|\b(?:\d+|one|two|three)[- ]days? "
        r"(?:stay|inpatient|hospital)|\bLOS\b|\blength of stay\b|\bovernight\b|\banesthesia\b|"
        r"\banesthesiologist\b|\bfacility fees?\b|\boutpatient surgery center\b|\bASC\b",
    ),
]

_SURGERY_WORDS_RE = _lower_compile(
    r"\b(?:surg\w*|operative|arthroscop\w*|repair|release|fusion|decompression|reconstruction|"
    r"replacement|arthroplasty|fixation|ORIF|removal of hardware|hardware removal|implant\w*|"
    r"debridement|excision|resection|transposition|tenodesis|manipulation under anesthesia|MUA|"
    r"RCR|SLAP|ACL|TKA|TKR|THA|THR|kyphoplasty|vertebroplasty|procedure|amputation|graft\w*)\b"
)
# Operation names by suffix: "meniscectomy", "laminotomy", "acromioplasty", "arthrodesis".
_SURGERY_SUFFIX_RE = _lower_compile(r"(?:ectomy|otomy|plasty|odesis)\b")
_BODY_PART_RULES: list[tuple[str, str]] = [
    ("Hernia", r"\bhernia\w*"),
    (
        "Spine",
        r"\b(?:lumbar|lumbosacral|cervical|thoracic|spin(?:e|al)|lamin\w*|foramin\w*|"
        r"disc\w*|disk\w*|vertebr\w*|[LTC]\d(?:-[LTCS]?\d)?|S1|sacr\w*|kyphoplasty|back|neck)\b",
    ),
    ("Knee", r"\b(?:knees?|menisc\w*|ACL|PCL|MCL|patell\w*|TKA|TKR|tibial plateau)\b"),
    (
        "Shoulder",
        r"\b(?:shoulders?|rotator|RCR|labr\w*|SLAP|acromi\w*|subacromial|clavic\w*|"
        r"biceps|glenohumeral|AC joint)\b",
    ),
    (
        "Hand/Wrist",
        r"\b(?:hands?|wrists?|fingers?|thumbs?|carpal|trigger finger|de quervain\w*|"
        r"radius|distal radius|metacarp\w*|TFCC|digit\w*|dupuytren\w*|ganglion)\b",
    ),
    ("Elbow", r"\b(?:elbows?|epicondyl\w*|cubital|ulnar nerve|olecranon|radial head)\b"),
    ("Hip", r"\b(?:hips?|acetabul\w*|femor\w*|THA|THR|labral)\b"),
    (
        "Foot/Ankle",
        r"\b(?:ankles?|foot|feet|toes?|plantar|bunion\w*|achilles|hallux|calcane\w*|"
        r"heel|morton\w*)\b",
    ),
]


def _compile(sources: list[tuple[str, str, str]]) -> list[tuple[str, str, re.Pattern[str]]]:
    return [(category, sub, _lower_compile(pattern)) for category, sub, pattern in sources]


_EARLY_RULES = _compile(_EARLY_RULE_SOURCES)
_LATE_RULES = _compile(_LATE_RULE_SOURCES)
_SURGERY_RULES = _compile(_SURGERY_RULE_SOURCES)
_BODY_PARTS = [(name, _lower_compile(pattern)) for name, pattern in _BODY_PART_RULES]

# Words that say nothing about the category; removed before matching.
_PREFIX_RE = _lower_compile(
    r"^\s*(?:associated surgical services?|associated services?|labs? to include|"
    r"retrospective(?: request)?|retro|prospective|concurrent|request(?:ed)? for|"
    r"purchase of|rental of|one|1)\s*[:\-]?\s*"
)
_DOS_RE = _lower_compile(r"\(?\bDOS\b:?\s*[\d/]+\)?|\bper \d{1,2}/\d{1,2}/\d{2,4} order\b")


def classify_request(request: str) -> tuple[str, str]:
    """(category, subcategory) of a requested treatment; ("Other", "") when nothing matches."""
    return _classify(_clean(request))


# Requests repeat a lot across letters ("MRI of the lumbar spine", "Norco 10/325mg #90").
@functools.lru_cache(maxsize=65536)
def _classify(text: str) -> tuple[str, str]:
    if not text:
        return OTHER, ""
    match = _first_match(_EARLY_RULES, text)
    if match:
        return match
    drug = _drug_class(text)
    if drug:
        return _PHARMACEUTICALS, drug
    surgery = _SURGERY_WORDS_RE.search(text) or _SURGERY_SUFFIX_RE.search(text)
    if surgery and not _NOT_SURGERY_RE.search(text):
        return _first_match(_SURGERY_RULES, text) or ("Surgery", _body_part(text))
    match = _first_match(_LATE_RULES, text) or _first_match(_SURGERY_RULES, text)
    if match:
        return match
    if _DOSAGE_RE.search(text):
        return _PHARMACEUTICALS, "Other Medications"
    return OTHER, ""


def _first_match(rules, text: str) -> tuple[str, str] | None:
    for category, subcategory, pattern in rules:
        if pattern.search(text):
            return category, subcategory
    return None


# Surgery words that name something else: "post-op physical therapy", "cold therapy unit".
_NOT_SURGERY_RE = _lower_compile(
    r"\bpost-?\s?op\w*|\bpre-?\s?op\w*|\bphysical therap|\bPT\b|\bchiropract|\bacupunct|"
    r"\bbraces?\b|\bslings?\b|\bunit\b|\bcold\b|\bcryo|\bwraps?\b|\bpillow|\bsupport\b|"
    r"\bwalker\b|\bcommode\b|\bchair\b|\btherapy\b"
)


def _clean(request: str) -> str:
    text = " ".join((request or "").split()).lower()
    previous = None
    while previous != text:
        previous = text
        text = _PREFIX_RE.sub("", text)
    return _DOS_RE.sub(" ", text).strip()


def _drug_class(text: str) -> str:
    if _OPIOID_PATCH_RE.search(text):
        return "Opioids"
    if _TOPICAL_DRUG_RE.search(text):
        return "Topical Analgesics"
    found = {int(match.lastgroup[1:]) for match in _DRUG_NAMES_RE.finditer(text)}
    if _TOPICAL_FORM_RE.search(text) and (found - {_OTHER_MEDICATIONS} or _DOSAGE_RE.search(text)):
        return "Topical Analgesics"
    named = found - {_OTHER_MEDICATIONS}
    if named:
        return _DRUG_CLASSES[min(named)]
    if found and _DOSAGE_RE.search(text):
        return "Other Medications"
    return ""


def _body_part(text: str) -> str:
    for name, pattern in _BODY_PARTS:
        if pattern.search(text):
            return name
    return "Other Surgery"


# --- the official drop-down as facet values -----------------------------------------------------

_OFFICIAL: dict[str, tuple[str, dict[str, str]]] = {
    category.lower(): (category, {sub.lower(): sub for sub in subcategories})
    for category, subcategories in CATEGORIES
}


def official_category(category: str, subcategory: str = "") -> tuple[str, str]:
    """(category, subcategory) spelled as the state's drop-down spells them.

    Case and spacing are forgiven; a category not on the list becomes "Other", a subcategory
    not listed under its category is dropped (the item still counts under the category).
    """
    key = " ".join((category or "").split()).lower()
    official, subs = _OFFICIAL.get(key, (OTHER, {}))
    sub = subs.get(" ".join((subcategory or "").split()).lower(), "")
    return official, sub


def category_choices() -> list[str]:
    """Every value of the official drop-down, in its order: "Pharmaceuticals", then
    "Pharmaceuticals > Opioids" and the other subcategories, and so on."""
    out: list[str] = []
    for category, subcategories in CATEGORIES:
        out.append(category)
        out.extend(f"{category} > {sub}" for sub in subcategories)
    return out


def official_category_value(value: str) -> str | None:
    """A category facet value typed in any case ("pharmaceuticals > opioids") -> its official
    spelling; None when it is not on the list."""
    category, _, subcategory = (value or "").partition(">")
    official, sub = official_category(category.strip(), subcategory.strip())
    if official.lower() != " ".join(category.split()).lower():
        return None
    if subcategory.strip() and not sub:
        return None
    return f"{official} > {sub}" if sub else official
