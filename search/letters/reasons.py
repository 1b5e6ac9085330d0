"""Why a decision went the way it did: the reasons a reviewer gives, read from the rationale.

Pure Python (no Django). A small taxonomy of the reasons IMR reviewers state, each with a
plain-English label and a definition, found by rules over the rationale's sentences in the
wording of the MTUS, ODG and ACOEM guidelines and of the reviewers who apply them. No model:
the reviewers write in a narrow, formulaic register, and rules keep every reason traceable to
the one sentence that states it (kept as evidence, shown to readers highlighted).

An upheld item gets the deficiencies the denial turned on; an overturned item the reasons the
reviewer found the treatment necessary. An item may have several reasons, or none found.
These are the reviewers' own words, sorted; they are not advice and not a prediction.

Measured against hand labels: `manage.py reasons_eval` (BENCHMARKS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from search.letters import domain


@dataclass(frozen=True)
class Reason:
    code: str  # facet value, stored on the item
    label: str  # what readers see
    definition: str  # what counts, in plain English
    outcome: str  # the outcome whose rationale states it (domain.UPHELD or OVERTURNED)


REASONS: tuple[Reason, ...] = (
    Reason("no_functional_improvement", "No documented functional improvement",
           "The records do not show objective functional improvement, pain relief or other "
           "benefit from the prior course of the same treatment.", domain.UPHELD),
    Reason("exceeds_guideline_limits", "More than the guideline allows",
           "The number of sessions, quantity or duration asked for (with what was already "
           "given) goes beyond what the guideline recommends.", domain.UPHELD),
    Reason("short_term_only", "Not for long-term use",
           "The guideline recommends the treatment only for short-term use, and the use has "
           "gone or would go beyond that.", domain.UPHELD),
    Reason("not_recommended", "Not recommended by the guideline",
           "The guideline does not recommend the treatment (or a part of it, such as one "
           "drug of a compound) for this condition, or calls it experimental.", domain.UPHELD),
    Reason("no_red_flags", "No red flags or neurological findings",
           "For imaging, testing or a referral: no red flags, no neurological deficit or "
           "nerve compromise, or no change in the condition, is documented.", domain.UPHELD),
    Reason("conservative_care_not_tried", "Conservative or first-line care not tried",
           "The records do not show that conservative care, first-line treatment or a "
           "required trial was tried and failed (or it is still helping).", domain.UPHELD),
    Reason("findings_not_documented", "Indication not documented",
           "The diagnosis, examination findings, risk factors or other indication the "
           "guideline requires for this treatment are not documented.", domain.UPHELD),
    Reason("opioid_monitoring", "Opioid monitoring not documented",
           "Urine drug screens, a pain agreement, risk screening or other monitoring the "
           "guideline requires for continued opioids are not documented.", domain.UPHELD),
    Reason("home_exercise", "A home exercise program would do",
           "The reviewer expects the worker to continue with a home exercise program instead "
           "of more supervised therapy.", domain.UPHELD),
    Reason("request_incomplete", "Request incomplete",
           "The request does not say how many, how often, how long, which body part or what "
           "exactly is asked for.", domain.UPHELD),
    Reason("primary_not_certified", "The procedure it goes with was not certified",
           "An associated service (clearance, post-operative care, equipment) falls with the "
           "surgery or procedure it was for.", domain.UPHELD),
    Reason("rationale_not_documented", "No rationale for the request",
           "The treating provider's reason for this particular treatment is not documented.",
           domain.UPHELD),
    Reason("criteria_met", "Guideline criteria met",
           "The reviewer found the guideline's criteria for the treatment met.",
           domain.OVERTURNED),
    Reason("improvement_documented", "Functional improvement documented",
           "The records show improvement from the earlier treatment, so more is supported.",
           domain.OVERTURNED),
    Reason("within_guideline_limits", "Within guideline limits",
           "The amount or duration asked for is within what the guideline allows.",
           domain.OVERTURNED),
)
REASONS_BY_CODE = {r.code: r for r in REASONS}
REASON_CODES = tuple(REASONS_BY_CODE)


def reason_label(code: str) -> str:
    reason = REASONS_BY_CODE.get(code)
    return reason.label if reason else code


@dataclass(frozen=True)
class FoundReason:
    code: str
    evidence: str  # the rationale's sentence that states it, as written

    @property
    def label(self) -> str:
        return reason_label(self.code)

    def as_json(self) -> dict:
        return {"reason": self.code, "label": self.label, "evidence": self.evidence}


# Sentences end at . ! ? before a capital or a quote; a few abbreviations do not end one.
# A closing quotation mark stays with its sentence (quotations are told apart by them).
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”']))\s+(?=[\"“(]?[A-Z])")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|Dr|vs|No|approx|Fig|al|ie|eg)\.$", re.I)

# A negation: the reviewer says something is missing.
_NEG = (r"(?:\bno\b|\bnot\b|\bnor\b|n't\b|\black\b|\blacking\b|\babsence\b|\babsent\b|"
        r"\bwithout\b|\bunclear\b|\buncertain\b|\bfailed to\b|\bfails to\b|\bneither\b|"
        r"\binadequate\b|\binsufficient\b|\bsilent\b|\byet to\b)")
_NEGATION = re.compile(_NEG, re.I)
# A request for a test, imaging or a referral, where missing findings are the imaging kind.
_DIAGNOSTIC_REQUEST = re.compile(
    r"\b(?:MRI|MRA|MR\b|CT\b|x-?rays?|radiograph|imaging|scan|EMG|NCV|NCS|nerve conduction|"
    r"electro\w*|EEG|SSEP|arthrogram|myelogram|discogram|sonogram|DEXA|ultrasound (?:of|study)|"
    r"diagnostic ultrasound|surgeon|surgery eval\w*|consult\w*|referral|specialist|TOC)\b", re.I)

_PROCEDURE = re.compile(r"\b(?:injections?|ESI|epidural|block|arthroscopy|surgery|repair)\b", re.I)


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


class _Negated:
    """The pattern within `reach` characters after a negation, in the same clause. The pattern
    alone is looked for first: most sentences lack it, and the joint pattern, which tries every
    span after every negation, is some fifty times slower. A parenthesis ends the span: "(not
    a surface study)" negates nothing outside it."""

    def __init__(self, pattern: str, reach: int = 140):
        self.alone = _rx(pattern)
        self.joint = _rx(_NEG + rf"[^.;:()]{{0,{reach}}}?" + pattern)

    def search(self, sentence: str) -> re.Match | None:
        return self.joint.search(sentence) if self.alone.search(sentence) else None


def _negated(pattern: str, reach: int = 140) -> _Negated:
    return _Negated(pattern, reach)


class _Affirmed(_Negated):
    """The pattern with no negation before it in its clause: "the claimant has sensory
    deficits", not "there are no sensory deficits"."""

    def search(self, sentence: str) -> re.Match | None:
        found = self.alone.search(sentence)
        if found is None or _NEGATION.search(found.group()) or self.joint.search(sentence):
            return None
        return found


# A goal of improvement is not a finding about past treatment.
_FUNCTION = (r"(?<!goals for )(?<!goals for objective )"
             r"(?:functional (?:improvement|benefit|response|gains?)|objective (?:response|"
             r"improvement|functional improvement)|(?:subjective or )?objective improvement|"
             r"improvement in (?:pain|function)|quantified|numerical pain relief|efficacy|"
             r"functional response|functional benefits?|response to (?:prior |previous )?"
             r"(?:therapy|treatment)|patient's response|(?<!would )(?<!could )(?<!will )(?<!to )"
             r"benefit from|documented improvement)")

RULES: dict[str, list[re.Pattern | _Negated]] = {
    "no_functional_improvement": [
        _negated(_FUNCTION),
        _rx(r"\bwere not beneficial\b|\bwithout (?:any )?(?:documentation of )?(?:subjective or )?"
            r"objective improvement"),
        # The result of the earlier course is not in the records.
        _rx(r"\b(?:efficacy|outcome|results?)\b[^.]{0,40}\b(?:was|were|is|are|has|have) not "
            r"(?:been )?(?:provided|documented|included|noted|reported|submitted)\b"),
        _negated(r"\b(?:outcome|results?) of (?:the |any |a |prior |previous |earlier )?"
                 r"(?:\w+ ){0,2}(?:trial|sessions|therapy|treatment)", reach=60),
    ],
    "exceeds_guideline_limits": [
        _rx(r"\b(?:request(?:ed)?|requests|sessions|visits|quantity|duration|therapy|"
            r"acupuncture)\b[^.]{0,60}\b(?:exceeds?|exceeding|in excess of)\b"),
        _rx(r"\b(?:exceed|exceeding|excess)\b[^.]{0,40}\b(?:the )?(?:recommend\w*|guidelines?)"
            r"[^.]{0,30}(?:initial trial|sessions|visits|amount|number)?"),
        _rx(r"\bwould exceed\b|\bis in excess of the guidelines\b"),
        # More than the guideline allows, in other words.
        _rx(r"\b(?:more|greater|higher)\b[^.]{0,30}\bth[ae]n (?:(?:is |are )?(?:recommended|"
            r"allowed|supported)|(?:the )?(?:guidelines?|MTUS|ODG|ACOEM) (?:recommends?|allows?))"
            r"\b|\bsurpass\w*\b[^.]{0,40}\b(?:limit|recommend\w*|guidelines?)"),
        # "No facts to support the full complement of 12 visits": fewer would do.
        _negated(r"\bsupport the full (?:complement|number|amount|course)\b", reach=60),
        # Fewer sessions certified than asked for: the rest is beyond what is supported.
        _rx(r"\b(?:modified|partially certified)\b[^.]{0,30}\b(?:to|for) (?:allow |certify )?"
            r"(?:an? |\d+ |one |two |three |four |five |six )?(?:additional |more |further )?"
            r"(?:\w+ )?(?:sessions|visits|treatments)\b"),
    ],
    "short_term_only": [
        _rx(r"\blong[- ]?term (?:use|usage)\b[^.]{0,40}\bnot (?:be )?(?:recommended|supported|"
            r"warranted)"),
        _rx(r"\bnot (?:recommended|indicated) (?:for )?(?:longer than|long[- ]term|beyond)"),
        _negated(r"\brecommendation for (?:chronic|long[- ]term) use\b", reach=40),
        _rx(r"\b(?:exceed\w*|excess of)\b[^.]{0,40}\b(?:short[- ]term use|recommended treatment "
            r"period)"),
        _rx(r"\buse is recommended for less than \d"),
        _rx(r"\bguidelines limit the use\b|\bwarrant long[- ]term use\b"),
    ],
    "not_recommended": [
        _rx(r"\b(?:guidelines?|MTUS|ODG|ACOEM)\b[^.]{0,40}\b(?:do(?:es)? not recommend|"
            r"no recommendations? of|do(?:es)? not support the use of)\b(?![^.]{0,80}\b(?:until|"
            r"unless|as a primary|first[- ]line|except|in the absence of|without)\b)"
            r"(?! (?:the )?routine\b)"),
        # Not for routine use, or not for long, are narrower than "not recommended".
        _rx(r"\b(?:is|are)(?: deemed| considered| listed as)? [\"“]?not recommended[\"”]? "
            r"(?:for|in)\b(?! (?:the )?routine\b| long[- ]term\b| longer\b| chronic use\b)"
            r"[^.]{0,60}(?:use|arthroscop|low back|neck|shoulder|pain|treatment)"),
        # The reviewer applies it to this case: "pain of that kind, for which it is not
        # recommended"; a drug in topical form the guideline does not support.
        _rx(r"\bfor which (?:this|the|such) (?:\w+ )?(?:is|are) not recommended\b|"
            r"\btopical\w*\b[^.]{0,15}\b(?:is|are) not (?:supported|recommended)\b"),
        _rx(r"\bspecifically do not recommend\b|\bcontains (?:gabapentin|baclofen)\b|"
            r"\bits usage is not supported\b|\bnot recommended beyond the acute\b|"
            r"\bnot recommended for use on\b|\bno (?:recommendations?|evidence) (?:of|for) "
            r"(?:chiropractic|the use)"),
    ],
    "no_red_flags": [
        _negated(r"\bred[- ]?flags?\b"),
        _negated(r"\b(?:(?:focal |significant |definitive |specific )?neurologic(?:al)? "
                 r"(?:deficits?|dysfunction|findings|compromise)|nerve (?:root )?"
                 r"(?:compromise|impairment|dysfunction|compression|entrapment|problem)|"
                 r"tissue insult|neurological exam findings|nerve deficits|nerve problem)"),
        _rx(r"\bneurologic(?:al)? (?:physical )?exam\w*[^.]{0,30}\b(?:normal|unremarkable)"),
        # A normal or negative examination: ACOEM asks for abnormal findings before imaging.
        _rx(r"\b(?:normal|unremarkable|intact|non-?focal)\b[^.]{0,30}\bneurologic\w* exam|"
            r"\b(?:reflexes|strength|sensation|motor function)\b[^.]{0,40}\b(?:are|were|is|was) "
            r"(?:\w+ )?(?:intact|normal|preserved)\b|\bwell[- ]preserved\b[^.]{0,30}"
            r"\b(?:motor|sensory|strength|reflex)|\b(?:testing|tests?|maneuvers?|signs?) "
            r"(?:was|were|is|are) negative\b|\bwith negative\b[^.]{0,30}"
            r"\b(?:testing|tests?|maneuvers?|signs?)\b"),
        _rx(r"\b(?:objective|clinical|exam\w*|physical) findings\b[^.]{0,40}\b(?:do|does|did) not\b"
            r"[^.]{0,20}\b(?:provide|support|warrant|justify|establish)|\bundermin\w*[^.]{0,30}"
            r"\b(?:nerve|neurologic\w*|radicul\w*)"),
        _rx(r"\b(?:findings|complaints)\b[^.]{0,80}\bto (?:warrant|suggest|support)[^.]{0,40}"
            r"(?:imaging|x-?ray|MRI|change in the patient's condition|the need of)"),
        _negated(r"\b(?:failure to improve|additional deterioration|change of symptoms)"),
        # The ACOEM and ODG criteria for imaging and testing, in their own words.
        _negated(r"\b(?:radiculopathy|radicular (?:signs|symptoms|findings)|dermatomal|myotomal|"
                 r"sensory (?:deficits?|loss|changes)|motor (?:deficits?|weakness|loss)|"
                 r"reflex (?:changes|deficits|abnormalities)|progressive neurologic\w*|"
                 r"physiologic evidence|(?:serious|significant) (?:spinal )?pathology|"
                 r"(?:significant |any )?change in (?:symptoms|(?:the )?(?:patient's |claimant's |"
                 r"worker's )?(?:condition|findings|symptoms))|worsening|deteriorat\w+|"
                 r"(?:new|recent) (?:injury|trauma))", reach=100),
        # For a test, missing examination findings are the red-flag kind.
        _negated(r"\b(?:abnormal|objective|physical exam\w*|clinical|significant|positive) "
                 r"(?:neurologic\w* |exam\w* |electrodiagnostic )?(?:findings|signs)\b|"
                 r"\b(?:findings|signs) (?:suggestive|indicative) of\b", reach=100),
        # MRI after plain films (ACOEM, ODG): none on record.
        _negated(r"\b(?:plain (?:films?|radiographs?)|x-?rays?)\b", reach=60),
        _rx(r"\b(?:plain films?|plain radiographs?|x-?rays?)\b[^.]{0,40}\b(?:was|were) not "
            r"(?:\w+ )?(?:noted|provided|performed|documented|done|obtained)\b"),
    ],
    "conservative_care_not_tried": [
        _negated(r"\b(?:fail\w*|tried|exhausted|trial and failure|unresponsive)\b[^.]{0,60}"
                 r"\b(?:conservative|first[- ]line|antidepressants?|anti-?convulsants?|"
                 r"treatment measures|physical therapy|muscle relaxant|injections|"
                 r"conservative management|strength\w* (?:training )?program|primary|"
                 r"acetaminophen|tylenol|over-the-counter|other (?:conservative|treatments?|"
                 r"medications?|modalities))"),
        _negated(r"(?<!authorized )\b(?:conservative (?:care|treatment|therapy|management)|"
                 r"first[- ]line)"),
        # The usual oral form not shown to be unusable (for a topical or liquid form).
        _negated(r"\b(?:intoleran\w*|unable to (?:use|utilize|take|swallow|tolerate)|not able to "
                 r"(?:use|utilize|take|swallow|tolerate)|contraindication)[^.]{0,40}"
                 r"\b(?:oral|pill|tablets?|capsules?)\b"),
        _rx(r"\bnot failed to improve with conservative\b|\bhas yet to complete any conservative"),
        _negated(r"\b30-day home trial\b"),
    ],
    "findings_not_documented": [
        # Single words that a long sentence may mention well away from its negation ("not
        # improving; she was diagnosed with ...") must follow it closely.
        _negated(r"\b(?:gastrointestinal|neuropathic pain|diagnosed with|osteoarthritis|"
                 r"homebound|instability|high risk)", reach=60),
        _negated(r"\b(?:objective (?:functional )?deficits|significant (?:objective |functional )?"
                 r"deficits|functional deficits|muscle spasm|risk factors?|"
                 r"history of bleeding|physical exam\w* (?:evidence|findings "
                 r"(?:indicative|to support|supporting)|to substantiate)|"
                 r"(?:MRI|imaging) (?:or|and/or) electrodiagnostic|severe "
                 r"functional limitation|night time pain|meet any of these criteria|"
                 r"undergoing surgical|initiated into|"
                 r"suspicion of a rare|criteria are not met|significant complaints)"),
        # The condition the guideline names is not shown in this patient.
        _negated(r"\b(?:documentation|evidence|indication)(?: that| indicating(?: that)?)? the "
                 r"(?:patient|claimant|injured worker|worker) (?:has|had|suffers|suffered) "
                 r"(?!been|had|undergone|tried|trialed|failed|exhausted|attempted|completed|"
                 r"received|participated|previously|stopped|recent|significant conservative)",
                 reach=20),
        _negated(r"\b(?:history|diagnosis) of\b|\bto warrant (?:treatment|the medication|its use)|"
                 r"\b(?:is|was|are|were) (?:due to|caused by|secondary to)\b|"
                 r"\bmeet the (?:threshold|level of severity)\b", reach=30),
        _rx(r"\bhas not been diagnosed with\b|\bno indication the patient (?:was diagnosed|had)|"
            r"\bthe treater does not discuss\b|\bdoes not meet any\b|\bnot arthritis|"
            r"\bcriteria are not met\b|\bfunctional limitation was not noted\b"),
    ],
    "opioid_monitoring": [
        _negated(r"\b(?:urine drug (?:screen|test)\w*|pain (?:contract|agreement)|CURES|"
                 r"aberrant|continued monitoring|(?<!cardiovascular )risk assessment)"),
    ],
    "home_exercise": [
        _rx(r"\bhome exercise program\b[^.]{0,40}\b(?:to continue|at this point|"
            r"is not established)"),
        _rx(r"\b(?:above|within the context of|transitioned to|cannot be addressed within)\b"
            r"[^.]{0,40}\b(?:self-directed|independent|home exercise)"),
        _rx(r"\b(?:should|would) have (?:also )?been taught a home\b|\bestablished home "
            r"exercise program\b|\bcannot be done independently\b"),
    ],
    "request_incomplete": [
        _rx(r"\b(?:did not|does not|failed to) (?:specify|indicate the nature)\b|"
            r"\bduration of use was not noted\b|\bno endpoint\b|\bunclear (?:of )?what body part"),
        _rx(r"\bnot specif(?:y|ied) (?:the )?(?:quantity|frequency|duration|amount)"),
    ],
    "primary_not_certified": [
        _rx(r"\b(?:as|since|because) the (?:requested |primary )?(?:surgical intervention|"
            r"surgery|procedure|surgical procedure)\b[^.]{0,40}\b(?:is|was|has been) not "
            r"(?:medically necessary|certified|supported)"),
        # "Given that the naproxen was not medically necessary, the request for the stomach
        # protector is also not": whatever the first item was, this one falls with it.
        _rx(r"\b(?:given that|as|since|because) the [\w ./-]{1,40}? (?:is|was|has been) "
            r"(?:determined to be |found )?not medically necessary\b[^.]{0,80}"
            r"\b(?:is|are) also not\b"),
    ],
    "rationale_not_documented": [
        _negated(r"\b(?:clear |compelling |specific )?rationale\b(?! (?:for this study|"
                 r"provided to support))"),
        _rx(r"\brationale?\b[^.]{0,80}\bnot (?:provided|apparent)\b|\bdoes not address "
            r"medical necessity\b|\bhow (?:the )?[\w ]+ (?:was to|would) (?:benefit|impact|help)\b|"
            r"\b(?:medical necessity|justification) for [^.]{0,30}\b(?:was|were|is|has|have) not "
            r"(?:been )?(?:provided|given|explained|documented)\b"),
        # ACOEM: "specialized treatments or referrals require a rationale for their use"; the
        # reviewers also say the reason or purpose of the request is not given.
        _negated(r"\b(?:reason|purpose|justification) (?:for|of) (?:the|this|a|an|"
                 r"such) (?:request\w*|study|test\w*|referral|consult\w*|device|equipment|"
                 r"medication|prescription|procedure|treatment|item)\b", reach=60),
        _rx(r"\b(?:not clear|unclear|not explained|not stated|not discussed)\b[^.]{0,12}\bwhy\b"),
    ],
    "criteria_met": [
        _rx(r"\b(?:criteria|guidelines?|requirements?)\b[^.]{0,30}\b(?:have been|has been|are|"
            r"were) met\b|\bmeets?\b[^.]{0,30}\bcriteria\b|\bqualifies for\b"),
        _rx(r"\b(?:supportive of|do support|is (?:appropriate|indicated|reasonable|compatible)|"
            r"would be appropriate|was,? thus,? indicated|compatible with|"
            r"would appear to be indicated|"
            r"documentation supported|detail circumstances that would meet|has provided "
            r"medical documentation|is available for a complex|a complete blood count would be|"
            r"would not be appropriate to deny|would be appropriate|red flags were identified)"),
        # The guideline's own "recommended" for this use, findings that warrant it, the
        # procedure it goes with approved.
        _rx(r"\b(?:is|are) [\"“]?recommended[\"”]? (?:in|for|as)\b|\b(?:which|that) warrants?\b|"
            r"\b(?:was|were|is|are) (?:\w+ and )?(?:appropriate|warranted)\b|"
            r"\b(?:has|have) been (?:approved|certified|authorized) (?:to undergo|for)\b|"
            r"\bwould support\b"),
        _Affirmed(r"\b(?:has|had|have|there (?:is|are|was|were))\b[^.]{0,20}\b(?:sensory|motor|"
                  r"neurologic\w*|objective|positive)\b[^.]{0,20}\b(?:deficits?|findings|signs)\b"),
    ],
    "improvement_documented": [
        _rx(r"\b(?:reduction in work restrictions after|is \"?helping|documented (?:functional )?"
            r"improvement|showed benefit)\b"),
        _Affirmed(r"\b(?:it|therapy|treatment|PT|sessions?|medications?) (?:had )?(?:helped|was "
                  r"helpful|were helpful)\b"),
    ],
    "within_guideline_limits": [
        _rx(r"\b(?:duration|number|quantity) of (?:this|the) request is reasonable\b|"
            r"\bwithin (?:the )?guideline (?:limits|recommendations)\b|\bnot in excess of\b|"
            r"\brecommend\w* (?:far |many )?more than (?:the )?(?:\w+ )?(?:sessions|visits)\b"),
    ],
}
# Words without which a reason's rules cannot match (lower case): a sentence lacking all of
# them skips the reason's regular expressions, which are most of the time spent.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "no_functional_improvement": ("function", "efficacy", "quantif", "benefi", "improve",
                                  "relief", "response", "objective", "outcome", "result"),
    "exceeds_guideline_limits": ("exceed", "excess", "modified", "partially certified", "more",
                                 "greater", "higher", "surpass", "full"),
    "short_term_only": ("term", "longer", "less than", "exceed", "excess", "limit", "beyond",
                        "chronic", "short"),
    "not_recommended": ("recommend", "contains", "usage", "evidence", "support", "topical"),
    "no_red_flags": ("red", "neuro", "nerve", "tissue", "finding", "complaint", "deteriorat",
                     "failure to improve", "change", "radicul", "dermatom", "myotom", "sensory",
                     "motor", "reflex", "physiologic", "pathology", "worsening", "injury",
                     "trauma", "signs", "normal", "intact", "preserved", "negative", "undermin",
                     "film", "x-ray", "xray", "radiograph", "reflexes", "strength", "sensation"),
    "conservative_care_not_tried": ("conservative", "first", "fail", "tried", "exhaust",
                                    "trial", "oral", "unresponsive", "pill", "tablet", "capsule"),
    "findings_not_documented": ("gastro", "neuropathic", "diagnos", "arthritis", "homebound",
                                "instability", "risk", "deficit", "spasm", "history", "exam",
                                "imaging", "mri", "limitation", "night", "meet", "undergoing",
                                "initiated", "suspicion", "criteria", "complaints", " has ",
                                " had ", "suffer", "warrant", "due to", "caused by",
                                "secondary to", "treater"),
    "opioid_monitoring": ("urine", "contract", "agreement", "cures", "aberrant", "monitor",
                          "risk"),
    "home_exercise": ("home", "self-directed", "independent"),
    "request_incomplete": ("specif", "duration", "endpoint", "body part"),
    "primary_not_certified": ("surg", "procedure", "also not"),
    "rationale_not_documented": ("rational", "medical necessity", "benefit", "reason",
                                 "purpose", "justification", "why", "how"),
}
# Reasons that say the same as a narrower one found in the same sentence give way to it.
_NARROWER = {"exceeds_guideline_limits": "short_term_only"}

# Rules that read only a sentence about this case, not a guideline's: "no documentation that
# its use is short-term" is a finding; the guideline's "for the shortest period" is not.
_CASE_RULES: dict[str, list[re.Pattern | _Negated]] = {
    "short_term_only": [
        _negated(r"\b(?:(?<!in the )short[- ]term\b(?![- ]goals)|shortest (?:period|duration)\b)"),
        _rx(r"\b(?:risks?|dangers?) of long[- ]term (?:use|treatment)\b"),
    ],
}
# MTUS: "any compounded product that contains at least one drug (or drug class) that is not
# recommended is not recommended" applies to a request for a compound (several strengths in
# per cent, or the word), not to a single drug.
_COMPOUND_REQUEST = re.compile(r"\bcompound|%[^%]*%", re.I)
_COMPOUND_RULE = _rx(r"\b(?:compound\w*|combination) (?:product|medication|drug|cream)s?\b"
                     r"[^.]{0,40}\bcontain\w*\b[^.]{0,80}\bnot (?:be )?recommended\b")
# A request for the drug test itself: missing monitoring is not the reason given for it.
_DRUG_TEST_REQUEST = re.compile(r"\b(?:urine|drug (?:screen|test)|toxicology)", re.I)


# A sentence that states what a guideline says rather than what this case's records show:
# its negations ("not needed unless conservative care fails") are not the reviewer's findings.
_GUIDELINE_SENTENCE = re.compile(
    r"^(?:(?:(?:additionally|also|moreover|further(?:more)?|in addition),? )?"
    r"(?:per|according to|pursuant to|regarding)\b[^,]{0,60}\b(?:guidelines?|MTUS|ODG|ACOEM)"
    r"|(?:the )?(?:California |CA[- ])?(?:MTUS|ODG|ACOEM|American College|Official Disability|"
    r"Chronic Pain|Guidelines?)\b|(?:when|if|unless|patients (?:should|are|with|without|who|"
    r"in whom)|[\w ]{0,40} (?:is|are) (?:also )?(?:recommended|supported|not recommended|"
    r"not needed)\b))"
    r"|\b(?:guidelines?|MTUS|ODG|ACOEM) (?:also |further )?(?:states?|recommends?|indicates?|"
    r"notes?|supports?|discusses|do not|does not|limits?|advise)\b"
    # What a test or treatment is for in general: "EMG can be helpful when there are ...".
    r"|\b(?:can|may) be (?:helpful|useful|considered|indicated)\b[^.]{0,80}\b(?:when|if|in "
    r"(?:patients|cases))\b|\bshould be reserved for\b", re.I)
# Sentences that apply a guideline to this case, whatever they quote.
_CASE_OPENING = re.compile(
    r"^(?:as|given|since|because|however|therefore|in this case|here|thus|"
    r"the (?:patient|claimant|injured worker|documentation|records?))\b", re.I)
# "Guidelines have been met": the reviewer's judgment of this case, not a quotation.
_JUDGED = re.compile(r"\b(?:have|has|are|were) (?:not )?(?:been )?met\b|\bwould support\b", re.I)
# Reasons a guideline's own sentence can state (what it does not recommend, and for how long).
_FROM_GUIDELINE_SENTENCES = {"short_term_only", "not_recommended", "within_guideline_limits"}


def is_guideline_sentence(sentence: str) -> bool:
    if _CASE_OPENING.search(sentence) or _JUDGED.search(sentence):
        return False
    return bool(_GUIDELINE_SENTENCE.search(sentence))


_QUOTE_MARK = re.compile(r"[\"“”]")


def _inside_quotation(sentences: list[str]) -> list[bool]:
    """Whether each sentence begins inside or with a quotation: a guideline's words the reviewer
    quotes at length ("... Written documentation should be provided ..."), whose negations
    are not findings about the case. Only when the rationale's quotation marks pair up: an
    odd count (an inch mark, a quotation left open) says nothing reliable."""
    marks = [len(_QUOTE_MARK.findall(s)) for s in sentences]
    if sum(marks) % 2:
        return [False] * len(sentences)
    inside, seen = [], 0
    for sentence, count in zip(sentences, marks, strict=True):
        inside.append(seen % 2 == 1 or bool(_QUOTE_MARK.match(sentence)))
        seen += count
    return inside


def split_sentences(text: str) -> list[str]:
    parts: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if parts and _ABBREVIATIONS.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            parts.append(piece)
    return [p for p in parts if p]


def find_reasons(rationale: str, outcome: str, request: str = "") -> list[FoundReason]:
    """The reasons this item's rationale states, in taxonomy order, each with the first
    sentence that states it; [] when none is found."""
    split = split_sentences(rationale)
    sentences = [(s, quoted or is_guideline_sentence(s), s.lower())
                 for s, quoted in zip(split, _inside_quotation(split), strict=True)]
    diagnostic = bool(_DIAGNOSTIC_REQUEST.search(request)) and not _PROCEDURE.search(request)
    compound = bool(_COMPOUND_REQUEST.search(request))
    found: list[FoundReason] = []
    for reason in REASONS:
        if reason.outcome != outcome:
            continue
        if reason.code == "opioid_monitoring" and _DRUG_TEST_REQUEST.search(request):
            continue
        evidence = _first_match(reason.code, sentences)
        if evidence is None and compound and reason.code == "not_recommended":
            evidence = next((s for s, _, _ in sentences if _COMPOUND_RULE.search(s)), None)
        if evidence is None:
            continue
        # Missing findings for a test or imaging are the "no red flags" kind, for a treatment
        # the "indication not documented" kind.
        if reason.code == "no_red_flags" and not diagnostic:
            continue
        if reason.code == "findings_not_documented" and diagnostic:
            continue
        found.append(FoundReason(reason.code, evidence))
    codes = {f.code for f in found}
    return [f for f in found if not _said_narrower(f, codes)]


def _said_narrower(found: FoundReason, codes: set[str]) -> bool:
    """Its sentence also states the narrower reason found for the item."""
    narrower = _NARROWER.get(found.code)
    if narrower not in codes:
        return False
    return _first_match(narrower, [(found.evidence, False, found.evidence.lower())]) is not None


def _first_match(code: str, sentences: list[tuple[str, bool, str]]) -> str | None:
    """The first sentence a rule of `code` matches; sentences are (text, is a guideline's,
    text in lower case)."""
    triggers = _TRIGGERS.get(code)
    for sentence, quoted, lower in sentences:
        if quoted and code not in _FROM_GUIDELINE_SENTENCES:
            continue
        if triggers and not any(word in lower for word in triggers):
            continue
        if any(rule.search(sentence) for rule in RULES[code]):
            return sentence
        if not quoted and any(rule.search(sentence) for rule in _CASE_RULES.get(code, ())):
            return sentence
    return None


def reasons_as_json(rationale: str, outcome: str, request: str = "") -> list[dict]:
    """What an item stores: [{"reason": code, "evidence": sentence}]."""
    return [{"reason": f.code, "evidence": f.evidence}
            for f in find_reasons(rationale, outcome, request)]
