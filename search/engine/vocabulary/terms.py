"""Lay and anatomical terms: what attorneys type -> the words the letters use.

One way: a query for the lay term also searches the letters' words (a query for "cervical"
does not widen to "neck", which letters use for the complaint as often as for the request).
Each entry is reviewed against how the posted letters name the treatment; the abbreviation
table in search/engine/analysis.py (CBT, ESI, MRI ...) works both ways beside it.
"""

LAY_TERMS: dict[str, tuple[str, ...]] = {
    # Body regions
    "neck": ("cervical",),
    "low back": ("lumbar", "lumbosacral"),
    "lower back": ("lumbar", "lumbosacral"),
    "back": ("lumbar", "thoracic", "spine"),
    "mid back": ("thoracic",),
    "upper back": ("thoracic",),
    "spine": ("spinal", "lumbar", "cervical", "thoracic"),
    "arm": ("upper extremity", "upper extremities"),
    "leg": ("lower extremity", "lower extremities"),
    "wrist": ("carpal",),
    # Devices and supplies
    "brace": ("orthosis", "orthotic", "support", "splint"),
    "back brace": ("lumbar support", "lumbosacral orthosis", "lso", "back support"),
    "cold therapy": ("cryotherapy", "cold unit", "cold therapy unit", "ice machine",
                     "vascutherm", "game ready", "polar care"),
    "ice machine": ("cryotherapy", "cold therapy unit"),
    "heat": ("thermotherapy", "hot pack", "heat wrap"),
    "nerve stimulator": ("tens", "neurostimulator"),
    "walker": ("ambulation aid",),
    # Services and specialties
    "chiro": ("chiropractic", "chiropractor", "manipulation"),
    "chiropractor": ("chiropractic", "manipulation"),
    "psych": ("psychological", "psychiatric", "psychotherapy", "psychology", "psychiatry"),
    "therapy sessions": ("physical therapy", "psychotherapy"),
    "ortho": ("orthopedic", "orthopaedic"),
    "pain management": ("pain medicine", "pain specialist"),
    "assistant surgeon": ("surgical assistant", "assistant at surgery", "physician assistant",
                          "co-surgeon"),
    "pa": ("physician assistant",),
    "surgery assistant": ("assistant surgeon", "surgical assistant"),
    "nerve test": ("emg", "ncv", "electromyography", "nerve conduction"),
    "nerve conduction": ("ncv", "ncs"),
    "pre-op": ("preoperative", "pre-operative", "medical clearance"),
    "preop": ("preoperative", "pre-operative", "medical clearance"),
    "labs": ("laboratory", "lab", "blood work", "cbc", "metabolic panel"),
    "blood work": ("laboratory", "labs", "cbc"),
    "post-op": ("postoperative", "post-operative"),
    "postop": ("postoperative", "post-operative"),
    "injection": ("injections", "block", "esi"),
    "shots": ("injection", "injections"),
    "x-ray": ("radiograph", "radiographs", "x-rays"),
    "xray": ("x-ray", "radiograph"),
    "home health": ("home health care", "home care", "home health aide"),
    "gym": ("gym membership", "fitness", "health club"),
    "weight loss": ("weight loss program", "weight reduction"),
    "sleep study": ("polysomnography", "polysomnogram"),
}
