"""
The report plugin framework: the `Report` base, its registry, the shared parameters,
and JSON and CSV output. The API and the `report` command are thin layers over it.
"""
