"""Helpers for the link worker evaluation book: data contract, validation,
synthetic data, analysis and the build pipeline."""

import os
import sys

# Every process of a build (linkbook, pool workers, kernels, Sphinx) imports this package
# before nbformat, whose jsonschema would import the optional rfc3987-syntax package and
# compile its 38 grammars: about 1 s of CPU per process, to check the "iri" string format,
# which no notebook schema uses. Without it jsonschema leaves that one format unchecked.
sys.modules.setdefault("rfc3987_syntax", None)
# nbformat validates every notebook it reads or writes (a worker writes each executed notebook
# twice, Sphinx reads each once): with fastjsonschema, one of nbformat's own dependencies, a
# site notebook validates in about a sixth of the time jsonschema takes, with the same verdict.
os.environ.setdefault("NBFORMAT_VALIDATOR", "fastjsonschema")

__version__ = "0.1.0"
