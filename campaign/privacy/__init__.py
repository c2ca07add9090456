"""Privacy: the notice, consent records, a supporter's own controls, retention and access."""
