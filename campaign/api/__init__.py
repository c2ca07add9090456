"""The API for CRMs and other tools: OSDI petitions and signatures, with keys."""
