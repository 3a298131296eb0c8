"""The artifact store: what a training run writes, how it is verified, resolved and promoted."""
