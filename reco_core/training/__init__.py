"""Training: the item universe, pairs, popularities, the LightFM model and the run they form."""
