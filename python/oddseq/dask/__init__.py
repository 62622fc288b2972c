"""The one call on Dask: an event log too large for one machine in, the ranked table out.

``oddseq.dask.detect_anomalies(ddf, entity=..., event=..., time=...)`` takes a
``dask.dataframe`` (from Parquet or CSV files) and runs :func:`oddseq.detect_anomalies`'s
analysis on the cluster Dask is connected to, with the same C++ kernels in every
worker. Install with ``pip install "oddseq[dask]"``.

How it works (each step one pass of small tasks over the partitions; what travels to
the client is a few kilobytes per step, plus the per-entity score vector and, once for
the K-means++ seeding, each partition's distinct feature-row hashes with their counts,
16 bytes each, and its distinct rows among those whose hash repeats):

1. **Shuffle by entity.** One pass reads each input partition (the columns the call
   names), checks its columns and dtypes, samples its entity ids and keeps it in the
   workers' memory; the samples give the divisions. Each input partition is then cut
   into one piece per range of entity ids, and each range's pieces are concatenated
   in the input's order (an entity's events at equal times keep the order the
   single-machine call reads them in). The input partitions and the pieces stay in
   memory held narrow: a 64-bit integer column (entity ids, Unix times, item ids) as
   uint32 offsets from its smallest value where its span allows (a piece holds a
   range of entity ids, so the ids fit there), a text column with few values as
   codes: about 13 bytes an event for Taobao's four columns instead of 25, spread over
   the workers (Dask's p2p shuffle writes them to disk and sorts each partition by
   entity again, which ``Sequences.from_events`` does anyway). The partitions are
   ranges of sorted entity ids, so concatenated they hold the entities in the order
   the single-machine call holds them (the K-means++ draws no longer depend on it:
   they are races keyed by each row's values, C++ ``kmeans_race`` on each partition
   with the group weights counted over all of them, the smallest key on the client).
2. **Per partition:** :meth:`Sequences.from_events` and the pipeline's encoders (C++),
   kept in the workers' memory.
3. **Global statistics by tree reduction** (fan-in 8): the event vocabulary and its
   counts (the encoders' fit), feature ranges, the exact means, variances and scatter
   matrix (``oddseq.utils._exact``: integer sums on each column's binary grid, which
   the single-machine fit computes the same way, so both round the same exact value),
   and every median and quartile exactly - radix selection on the values' bits, a few
   rounds of 4,096-bin histograms added up the tree, then the at most 65,536 values
   left are fetched (a column of at most 65,536 values at once) - so the evidence
   shrinkage, the robust z-scores and their interpolated quartiles are bit-identical
   to numpy's on the whole data.
4. **The model.** K-means: the K-means++ seeding replays the C++ procedure (the
   same races: each row's key from a hash of its values, each identical row's group
   weight counted over all partitions once; per centre, each partition's first picks
   by the C++ race, the client the smallest, then the candidates' potentials), then
   Lloyd steps with the C++ assignment kernel per partition (a matrix of at most
   2^22 values is fetched once and fitted on the client by the same C++ seeding and
   steps: each step over the partitions is a round trip)
   and the C++ cluster sums, exact 128-bit fixed-point integers as ``kmeans_fit``
   keeps them, added on the client. Where the single machine restarts K-means (at
   most 50,000 entities, at most half of their feature rows distinct), it fits them on
   the distinct rows weighted by their counts (``KMeansDetector``), and so does this:
   each partition's distinct rows and counts come to the client, are united in the
   single matrix's order and fitted there by the same code, and each partition labels
   its rows from their distinct rows'. Restarts over partitions (``_fit_kmeans`` with
   ``n_init`` above 1, rows not tied) are told apart as ``KMeans.fit`` tells its
   restarts apart (``oddseq.cluster._kmeans.restart_inertia``: each row's squared
   distance in double, computed in its partition, summed exactly on the client), so
   two seedings whose inertias agree to rounding are told apart alike and an exact tie
   keeps the first on both. PCA: the exact scatter matrix of step 3 and the same eigen
   decomposition as ``PCADetector.fit``. Robust z: the exact
   medians, MADs and quartiles of step 3. The ensemble's normalisation, the threshold
   (the generalized Pareto tail cut) and ``p_normal`` use the per-entity score
   vectors, collected: 8 bytes an entity (8 MB per million entities), the one thing
   that grows with the data and comes to the client (beside the small logs' distinct
   rows above).
5. **Scores and reasons per partition**, ranked globally from the collected scores,
   returned as a dask DataFrame indexed by entity (sorted by entity; ``rank`` 1 is the
   oddest), or written to Parquet with ``to_parquet=``.

What equals the single-machine call on the same data: the sequences, features,
scaling statistics, quantiles and PCA's components bit for bit (both sides compute the
moments exactly and round them once); K-means centres bit for bit (the cluster sums are
exact on both sides and near-ties are decided by exact distances on both) unless a
seeding draw falls within round-off of the boundary between two rows (the seeding's
potentials are added in a different order than the C++ kernel's). So the scores,
flags and ranks are the same bits (tested on a two-worker LocalCluster; measured at
100 M events / 1 M entities in benchmarks/RESULTS.md).

The neighbour methods ("knn", "lof", and "auto" with ``normal=``, a one-neighbour
kNN) find every row's neighbours exactly by partition-pair blocks: each partition's
rows searched in a C++ kd-tree of each partition's rows, the k best per row merged up
a tree by (distance, row), as the single index orders them; so the same neighbours,
scores and reasons. Cost with P partitions: P^2 block tasks, every row searched in P
trees, each partition's rows sent to P tasks; refused above ``NEIGHBOUR_MAX_ROWS``
(2 M) reference entities (``oddseq.dask._neighbors`` has the details).

Normal-only fitting (``normal=``, a dask or pandas DataFrame): the model is fitted on
the normal log's partitions as above, the cut is the quantile of the normal rows'
out-of-fold scores computed as ``oddseq.detect.out_of_fold_scores`` does (the same
folds; each fold's detector fitted over the other folds' rows, kept in the
partitions), then ``ddf`` is shuffled, encoded with the fitted encoders and scored.
The support rule (entities outside the normal data's range are flagged, where normal
entities seldom leave it) is ``AnomalyPipeline._support_rule`` itself, run on the
normal rows' features fetched to the client (4-8 bytes a feature and normal entity).
Scoring ``ddf`` warns as ``AnomalyPipeline.score`` does (``oddseq._fitted_data``'s
checks, once each): other role column names, over 5% of events of types the normal log
lacks, a time span and durations far from the normal log's (from the partitions' samples,
as the fit records them), and far more flagged than the cut promises while the bulk of
the scores moved (the flags computed in the partitions, before the group stage).

Entity side attributes (``entity_features=``, a pandas DataFrame indexed by entity id)
go to every worker and are joined to each partition's entities after the shuffle;
their missing values take medians over the partitions (exact, as on one machine). A
table with rows for under half of the fitted entities (keyed by something else), with
infinite values or with a column no fitted entity has a value in is refused, and
entities without a row or with NaN values are said in one DataWarning (with the
medians they take; under half of the scored entities found, how to key the table), as
on one machine: the entities found and the NaN and infinite values are counted per
partition and the single machine's check decides.

"iforest": each tree's rows are drawn as the C++ fit draws them, by keys from their
content (the column keys summed over the partitions, copies of a row numbered over
all of them, each partition's smallest keys per tree, ``_core.iforest_draw_rows``, and
the smallest over the partitions on the client), those rows (at most n_estimators x
max_samples, 25,600 by default, 4-8 bytes a feature) are fetched to the client and the
trees grown from them alone, then every partition is scored: the single machine's
forest, scores and reasons, whatever the order of the entities. "ecod": the tail
probabilities are counts, added up over partition-pair blocks (each partition's
values searched in every partition's sorted columns, P^2 tasks), and the skewness
signs come from column sums taken in the single machine's row order
(``oddseq.dask._ecod``): the same scores and reasons bit for bit.

Item categories (``category=``): each item's category is the first seen in the input's
order, found per partition and combined up a tree in the partitions' order (the
single machine's ``groupby(item)[category].first()``); the map (about 16 bytes an
item) comes to the client and travels with the fitted pipeline to every worker.
Items without a known category leave their sequences' category features missing, as on
one machine: they move toward typical values learned in fit (medians over the
partitions of the sequences whose items all have one, exact), and scoring warns when
most item events have no known category (counted per partition, the items used united
on the client only then), in one machine's words: where the fitted keys are of another
dtype than the items (int64 keys, text items) and match them as text, it says so, with
the conversion.

The group stage (``groups=``, with ``item=``; "auto" by default, as on one machine):
its search (``oddseq.graph.GroupDetector``: dense blocks of the whole log's
entity x (item, time bin) graph, judged against every event's time bin and every
entity's and item's degree) cannot be cut by partition, so it runs on the client, as
the single machine runs it. The workers reduce each event to what it reads: the item's
code in the single machine's order (from each input partition's items in first-seen
order, coded on the client by the same ``_factorize``) and the time in ns, 12 bytes,
with each entity's id and number of events (before ``min_events``; sessions joined back
into their entity). The client needs about ``GROUP_BYTES_PER_EVENT`` (64) bytes an event
at the peak and refuses, before gathering anything, where it has less free (naming
``groups=False``); "auto" leaves the stage out past 20 M events as one machine does. The
join is ``AnomalyPipeline.join_groups``'s own code: the members' rows (found in the
partitions) are lifted on the client, which orders the ranks, and each partition joins
its members' groups, scores and sentences in the table pass. Same groups, scores,
flags, reasons and ``group`` column as one machine; ``pipeline.groups_`` is the
fitted detector, saved with the model. A group member that ``min_events`` leaves out
stays listed, judged by its group alone, as on one machine (each partition keeps its
sequences under ``min_events`` for the stage; such a row joins the table partition
whose entities it lies among). ``group_by`` (devices, IPs, cards) stays
single-machine.

A log without events (every partition empty) gives the ranked table with no rows (the
single machine's ``empty_table``: its columns and dtypes, the index as
``Sequences.from_events`` reads the entity column) and a DataWarning, as on one machine:
found by the first pass, which reads every partition. Rows of which none has an entity
id are refused as on one machine ("every row has a missing value", ``dropna`` or not).
The log's warnings that a column looks like the wrong one (an event column of 200 or
more types seen fewer than 8 times each; 95% or more of the entities with one event
each) are one machine's, in its words: each shuffled partition counts a few numbers
(its entities, those of one event, its events and labels: under 100 bytes; where
``min_events`` leaves some out, also its labels' counts before it, as the encoders'
summary), and the client adds them up; the event types present are united on the client
only where those numbers allow the warning. So are the warnings about times of float32
(steps of a second or more: the partitions' extremes and dtype) and about ids that read
alike as text in a column of several types (1 and "1": each partition's kinds of event
types and items, by pandas' ``infer_dtype``; their distinct labels come to the client
only where the kinds differ or mix). An entity column of several types (ints and text in
an object column, with ``dataframe.convert-string`` off) is refused with the fix: the
shuffle orders the entities, and ids of two types do not order. With it on (dask's
default), ``dd.from_pandas`` makes such a column text before oddseq sees it: 1 and "1"
are one id, the table one machine gives after the warning's fix (``astype(str)``), and
no warning. The warning of events outside the log's main time window (a clock error, a
stray test record) is one machine's too: the window from the partitions' times (all of
them up to a million events, 8 bytes each, else the million one machine draws, at the
same positions of the sequences), then each partition's events outside it counted.
So are the warnings of heavily repeated events (events that repeat the one before them
exactly, over a tenth of the log; entities whose rows look ingested twice, a few named):
each shuffled partition counts its repeats, its times' grain (whole days, hours or
minutes) and its entities ingested twice (before ``min_events``, as one machine counts;
its entities are whole in it, so the counts are exact), and the client gives one
machine's message. One difference, in the heavy-repetition message: one machine also
counts the rows of ``df`` duplicated in every column ("; 858 of 9,414 rows (9%) are
duplicates of an earlier row in every column ..."), but oddseq.dask reads only the
columns named, so it says what one machine says without the frame (that clause left
out; where the times are not whole days, hours or minutes, ": duplicated rows inflate
counts and look like bursts. Drop them with df.drop_duplicates() unless they are real;
quality_report counts them" in its place).

Not (yet) on Dask: "dbscan" (its eps comes from a sample's k-distance knee and its
clusters from a graph over every row), "markov", "invariants" and the neural methods (fit them on a
sample with the single-machine call).

For the reasons, every worker receives the fitted pipeline with one per-entity
vector, ``p_normal``'s reference scores (8 bytes per entity; the detectors' other
training vectors stay on the client): fine to tens of millions of entities, a
quantile sketch beyond. Progress: Dask's dashboard shows every pass;
``progress=True`` adds oddseq's stage lines and, on a distributed cluster, a bar of
the partitions done in each per-partition stage.
"""

from __future__ import annotations

try:
    import dask  # noqa: F401
    import dask.dataframe  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised where dask is missing
    raise ImportError(
        "oddseq.dask needs Dask with its DataFrame: pip install 'oddseq[dask]' "
        f"(dask[dataframe,distributed]); the import failed with: {exc}"
    ) from exc

from ._pipeline import DASK_METHODS, detect_anomalies

__all__ = ["DASK_METHODS", "detect_anomalies"]
