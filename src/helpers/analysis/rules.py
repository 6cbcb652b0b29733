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
