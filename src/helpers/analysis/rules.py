"""The analysis rules' constants, in one light module.

The statistics modules use them, and the methods chapter quotes them (through
`helpers.book.substitutions`) without importing the heavy scientific stack.
"""

MIN_PAIRS = 5  # fewer pairs: means only, no test or interval
GSE_MIN_ANSWERED = 7  # GSE total needs at least this many of the 10 items
EMBEDDEDNESS_THRESHOLDS = (-1 / 3, 1 / 3)  # below: bolted on; above: belonging; between: fitting in
BOOTSTRAP_SAMPLES = 4000  # resamples for the embeddedness interval
BOOTSTRAP_SEED = 20211101
COMMUNITY_SEED = 1  # Louvain community detection
