"""Groups that act together: the entity-object graph and dense, lockstep blocks in it.

:class:`GroupDetector` finds order-brushing rings, click farms and accounts sharing
devices: FRAUDAR's camouflage-resistant greedy peeling (static) and dense blocks of the
entity x (object, time bin) graph (lockstep), each judged by a null model of
independent entities.
"""

from ._detector import GroupDetector, fraudar_weights
from ._graph import EntityObjectGraph
from ._null import block_significance, log10_poisson_sf

__all__ = [
    "EntityObjectGraph",
    "GroupDetector",
    "block_significance",
    "fraudar_weights",
    "log10_poisson_sf",
]
