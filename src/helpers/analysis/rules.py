"""The analysis rules' constants and parameters, declared once, in one light module.

The notebooks and the statistics modules use them, and the methods chapter quotes
them (through `helpers.book.substitutions`) without importing the scientific stack.
Change a value here and every notebook job re-runs: this module is part of every
job's key.
"""

GP_WINDOW_MONTHS = 6  # GP contacts are compared over this many calendar months either side of referral
GP_BASELINE_MONTHS = (-12, -7)  # the earlier baseline: months before the pre-referral run-up
GP_ANTICIPATION_MONTHS = 4  # months just before referral given their own level in the segmented model
GP_MODEL_MONTHS = 12  # the segmented model uses this many months either side of referral
# The confirmatory family: pooled change in one measure per construct the evaluation set out to
# measure (personal well-being: life satisfaction; self-efficacy: the GSE total). Their pooled
# p-values are Holm-adjusted together; every other test is secondary or exploratory (BH q).
PRIMARY_OUTCOMES = ("ons_life_satisfaction", "gse_total")
MISSING_IMPUTATIONS = 50  # multiple imputations of missing follow-up scores
MISSING_DELTAS = (0.25, 0.5, 1.0, 1.5, 2.0)  # unfavourable shifts (score points) for the MNAR delta rows
MISSING_SEED = 20211101
MIN_PAIRS = 5  # fewer pairs: means only, no test or interval
GSE_MIN_ANSWERED = 7  # GSE total needs at least this many of the 10 items
EMBEDDEDNESS_THRESHOLDS = (-1 / 3, 1 / 3)  # below: bolted on; above: belonging; between: fitting in
BOOTSTRAP_SAMPLES = 4000  # resamples for the embeddedness interval
BOOTSTRAP_SEED = 20211101
COMMUNITY_SEED = 1  # Louvain community detection
# Judging a CMOC from its evidence (helpers.analysis.cmoc). Evidence is weighed by the realist
# judgements of relevance and rigour where cmoc_evidence.csv records them: a cited segment's weight is
# the product of its two weights; an unjudged segment weighs as "high".
EVIDENCE_WEIGHTS = {"high": 1.0, "moderate": 0.5, "low": 0.25}
CMOC_MIN_PEOPLE = 3  # fewer distinct people behind the cited segments: "insufficient evidence"
CMOC_MIN_SITES = 3  # pooled (ALL) verdicts need evidence from at least this many sites
CMOC_CONFIRM_SHARE = 0.75  # weighted share of support among supporting + refuting: at least this confirms,
#                            at most 1 - this refutes, in between is contested
CMOC_REFINE_SHARE = 0.2  # refining weight at least this share of all cited weight ...
CMOC_REFINE_MIN_SEGMENTS = 2  # ... and at least this many refining segments: the CMOC is "refined"
EMBEDDEDNESS_SPLIT_POLARISATION = 0.5  # a "fitting in" site whose segment scores vary at least this much
#                                        (variance, 0 = one level .. 1 = half bolted on, half belonging) is split
AGREEMENT_BOOTSTRAP_SAMPLES = 2000  # resamples of segments for the inter-coder agreement intervals
AGREEMENT_SEED = 20211102
COMMUNITY_RUNS = 100  # Louvain runs (seeds COMMUNITY_SEED, COMMUNITY_SEED + 1, ...) behind the consensus
BROKERAGE_PERMUTATIONS = 1000  # label permutations for the brokerage null
BROKERAGE_SEED = 20211103
