"""The reviewed part of the drug vocabulary: what no published drug dictionary gives us.

`drug-named-entity-recognition` (MIT, built from MeSH, DrugBank, Medline Plus and Wikipedia)
supplies the brand and generic names of single drugs; `scripts/build_drug_vocabulary.py` reads
it and writes `drugs.json` beside this file. It has no drug classes that match how reviewers and
attorneys speak (opioids, NSAIDs, muscle relaxants), and none of the combination brands,
compounding kits and medical foods common in workers' compensation requests, so those are
listed here, reviewed by hand. Names are lower case; a product's generics are its ingredients.
"""

# Class key -> (label, words a user may type for the class, member generics).
DRUG_CLASSES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "opioid": (
        "Opioids",
        ("opioid", "opioids", "opiate", "opiates", "narcotic", "narcotics",
         "opioid analgesic", "pain pills"),
        ("hydrocodone", "oxycodone", "tramadol", "tapentadol", "morphine", "hydromorphone",
         "oxymorphone", "methadone", "buprenorphine", "fentanyl", "codeine", "meperidine",
         "levorphanol"),
    ),
    "nsaid": (
        "NSAIDs",
        ("nsaid", "nsaids", "anti-inflammatory", "anti-inflammatories", "antiinflammatory",
         "nonsteroidal anti-inflammatory", "non-steroidal anti-inflammatory"),
        ("ibuprofen", "naproxen", "diclofenac", "meloxicam", "celecoxib", "etodolac",
         "nabumetone", "ketoprofen", "flurbiprofen", "fenoprofen", "indomethacin", "ketorolac",
         "piroxicam", "oxaprozin", "diflunisal", "sulindac"),
    ),
    "muscle_relaxant": (
        "Muscle relaxants",
        ("muscle relaxant", "muscle relaxants", "muscle relaxer", "muscle relaxers",
         "antispasmodic", "antispasmodics", "antispasticity"),
        ("cyclobenzaprine", "tizanidine", "methocarbamol", "carisoprodol", "baclofen",
         "orphenadrine", "metaxalone", "chlorzoxazone", "dantrolene"),
    ),
    "ppi": (
        "Proton pump inhibitors",
        ("ppi", "ppis", "proton pump inhibitor", "proton pump inhibitors"),
        ("omeprazole", "pantoprazole", "esomeprazole", "lansoprazole", "rabeprazole",
         "dexlansoprazole"),
    ),
    "h2_blocker": (
        "H2 blockers",
        ("h2 blocker", "h2 blockers", "h2 antagonist", "h2 receptor antagonist"),
        ("ranitidine", "famotidine", "cimetidine", "nizatidine"),
    ),
    "gi_protection": (
        "Stomach protection",
        ("stomach protection", "gi protection", "gastroprotection", "gastroprotective",
         "gi prophylaxis", "antacid", "antacids"),
        ("omeprazole", "pantoprazole", "esomeprazole", "lansoprazole", "rabeprazole",
         "dexlansoprazole", "ranitidine", "famotidine", "cimetidine", "nizatidine",
         "misoprostol", "sucralfate"),
    ),
    "sleep_aid": (
        "Sleep aids",
        ("sleep aid", "sleep aids", "sleep medication", "sleep medications", "sleeping pill",
         "sleeping pills", "hypnotic", "hypnotics", "insomnia medication"),
        ("zolpidem", "eszopiclone", "zaleplon", "temazepam", "trazodone", "ramelteon",
         "suvorexant", "doxepin", "diphenhydramine"),
    ),
    "anticonvulsant": (
        "Anticonvulsants",
        ("anticonvulsant", "anticonvulsants", "antiepileptic", "antiepileptics",
         "anti-epileptic", "anti-epilepsy drug", "aed", "aeds", "neuropathic pain medication"),
        ("gabapentin", "pregabalin", "topiramate", "carbamazepine", "oxcarbazepine",
         "lamotrigine", "levetiracetam", "divalproex", "valproic acid"),
    ),
    "antidepressant": (
        "Antidepressants",
        ("antidepressant", "antidepressants", "ssri", "ssris", "snri", "snris",
         "tricyclic", "tricyclics"),
        ("duloxetine", "amitriptyline", "nortriptyline", "venlafaxine", "desvenlafaxine",
         "sertraline", "fluoxetine", "citalopram", "escitalopram", "paroxetine", "bupropion",
         "trazodone", "mirtazapine", "milnacipran", "doxepin"),
    ),
    "benzodiazepine": (
        "Benzodiazepines",
        ("benzodiazepine", "benzodiazepines", "benzo", "benzos", "anxiolytic", "anxiolytics"),
        ("alprazolam", "clonazepam", "diazepam", "lorazepam", "temazepam", "chlordiazepoxide"),
    ),
    "topical_analgesic": (
        "Topical analgesics",
        ("topical analgesic", "topical analgesics", "topical", "topicals", "compound cream",
         "compounded cream", "compounded topical", "pain cream", "pain patch",
         "transdermal"),
        ("lidocaine", "capsaicin", "menthol", "methyl salicylate", "camphor", "terocin",
         "lidopro", "medrox", "menthoderm", "ketophene", "cyclophene", "flector", "pennsaid"),
    ),
    "antiemetic": (
        "Antiemetics",
        ("antiemetic", "antiemetics", "anti-nausea", "nausea medication"),
        ("ondansetron", "promethazine", "metoclopramide", "prochlorperazine"),
    ),
    "laxative": (
        "Laxatives",
        ("laxative", "laxatives", "stool softener", "stool softeners",
         "constipation medication"),
        ("docusate", "sennosides", "senna", "polyethylene glycol", "lactulose", "bisacodyl"),
    ),
    "medical_food": (
        "Medical foods",
        ("medical food", "medical foods", "nutritional supplement"),
        ("theramine", "sentra", "sentra am", "sentra pm", "trepadone", "gabadone", "appetrex",
         "percura", "hypertensa"),
    ),
}

# Product names that the dictionary lacks -> the generics they contain. Compounding kits
# (oral suspensions and creams sold to physicians' offices) never name their generic in a
# request, so without these "gabapentin" cannot find a Fanatrex request.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "norco": ("hydrocodone", "acetaminophen"),
    "vicodin": ("hydrocodone", "acetaminophen"),
    "lortab": ("hydrocodone", "acetaminophen"),
    "lorcet": ("hydrocodone", "acetaminophen"),
    "percocet": ("oxycodone", "acetaminophen"),
    "endocet": ("oxycodone", "acetaminophen"),
    "roxicet": ("oxycodone", "acetaminophen"),
    "ultracet": ("tramadol", "acetaminophen"),
    "tylenol with codeine": ("codeine", "acetaminophen"),
    "tylenol #3": ("codeine", "acetaminophen"),
    "fioricet": ("butalbital", "acetaminophen", "caffeine"),
    "soma": ("carisoprodol",),
    "duexis": ("ibuprofen", "famotidine"),
    "vimovo": ("naproxen", "esomeprazole"),
    "arthrotec": ("diclofenac", "misoprostol"),
    "flector": ("diclofenac",),
    "pennsaid": ("diclofenac",),
    "synapryn": ("tramadol",),
    "fanatrex": ("gabapentin",),
    "tabradol": ("cyclobenzaprine",),
    "cyclophene": ("cyclobenzaprine",),
    "deprizine": ("ranitidine",),
    "dicopanol": ("diphenhydramine",),
    "ketophene": ("ketoprofen",),
    "terocin": ("methyl salicylate", "capsaicin", "menthol", "lidocaine"),
    "lidopro": ("lidocaine", "capsaicin", "menthol", "methyl salicylate"),
    "medrox": ("methyl salicylate", "menthol", "capsaicin"),
    "menthoderm": ("methyl salicylate", "menthol"),
}

# Dictionary synonyms that are ordinary words in these letters, or that name another thing
# here ("pt" is physical therapy), are not used as drug names.
NOT_DRUG_NAMES: frozenset[str] = frozenset({
    "pain", "relief", "sleep", "night", "day", "care", "plus", "extra", "strength", "gel",
    "cream", "patch", "tablet", "tablets", "capsule", "oral", "solution", "injection", "pt",
    "ot", "ice", "heat", "rest", "pm", "am", "er", "xr", "sr", "cr", "la", "ds", "hp", "dr",
    "gas", "act", "sure", "calm", "cool", "hot", "cold", "aid", "advance", "active", "comfort",
    "dual", "regular", "mild", "nerve", "tens", "spine", "back", "neck", "knee", "heel",
})
