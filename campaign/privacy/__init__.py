"""Privacy: the notice, a supporter's own controls, news, retention, erasure and access."""
