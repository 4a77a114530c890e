"""Built-in denoisers trained on real chest CT: their training data, their catalogue and how to load them."""
