"""The data layer: the data contract, reading and validating a dataset directory, and the reference tables."""
