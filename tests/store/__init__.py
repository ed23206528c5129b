"""One Store contract suite, run against every backend (see ``contract.py``)."""
