"""The output metadata key by which a figure tells the book its alt text and name.

`report.figures.show_figure` writes it; `book.sphinx_ext` reads it in every executed
notebook. It has a module of its own so that the Sphinx build reads it without
importing matplotlib, seaborn and SciPy with the figures module (about 2.5 s of CPU
in each process that reads pages).
"""

FIGURE_METADATA = "linkbook_figure"
