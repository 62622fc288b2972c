"""Token ids of every oddseq.neural network, in one place that does not import torch
(the count term in _counts and the models in _models use them without a network):
padding, an event type the fit never saw, the start, a hidden event (masked
objective) and the end; the fitted event types follow from ``N_SPECIAL``."""

PAD, UNKNOWN, START, MASK, END = 0, 1, 2, 3, 4
N_SPECIAL = 5
