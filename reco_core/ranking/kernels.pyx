# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The loops of a request's candidate pool and shortlist, compiled.

A 300k-product request ran about a thousand numpy calls, most on arrays of a few thousand
elements: the interpreter and numpy's per-call dispatch cost more than the arithmetic
(docs/serving.md, "Ranking cost per request"). Each function here is one pass in C++ over what
those calls did, with the same floating-point operations in the same order (built with
-ffp-contract=off), so that the scores are the ones the numpy code gave, bit for bit; the
callers (candidates.py, learned.py, diversify.py, blend_model.py) keep the rules and their
docs. Built by `pip install` (pyproject.toml's ext-modules); held to plain-Python definitions by
tests/unit/ranking/test_ranking_kernels.py.
"""

from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcpy, memset
from libcpp.vector cimport vector

import numpy as np


cdef extern from *:
    int __builtin_popcountll(unsigned long long) nogil
    int __builtin_ctzll(unsigned long long) nogil
    void __builtin_prefetch(const void *) nogil


cdef extern from "<algorithm>" namespace "std" nogil:
    # declared without `except +`: on arrays of numbers they throw nothing
    void sort[It](It first, It last)
    It upper_bound[It, T](It first, It last, const T &value)


cdef enum:
    _AHEAD = 32  # rows of item_stats requested ahead of the one read


cdef struct Table:
    const int64_t *indptr
    const int32_t *indices
    const float *scores
    int64_t take


cdef vector[Table] _tables(list tables) except *:
    """Raw pointers to the arrays of (indptr, indices, scores, take) tuples; the caller's list keeps
    the arrays alive."""
    cdef vector[Table] out
    cdef const int64_t[::1] indptr
    cdef const int32_t[::1] indices
    cdef const float[::1] scores
    cdef Table table
    for entry in tables:
        indptr, indices, scores = entry[0], entry[1], entry[2]
        table.indptr = &indptr[0]
        table.indices = &indices[0] if indices.shape[0] else NULL
        table.scores = &scores[0] if scores.shape[0] else NULL
        table.take = entry[3]
        out.push_back(table)
    return out


cdef inline void _row(const Table *table, int64_t row, int64_t *start, int64_t *stop) noexcept nogil:
    """The first `take` entries of a row: [start, stop)."""
    start[0] = table.indptr[row]
    stop[0] = min(table.indptr[row + 1], start[0] + table.take)


cdef inline void _mark(uint64_t *bitmap, int64_t item) noexcept nogil:
    bitmap[item >> 6] |= (<uint64_t>1) << (item & 63)


def pool_items(
    list tables,
    const int64_t[::1] basket,
    const int64_t[::1] popp,
    const int64_t[::1] popg,
    int64_t n_items,
):
    """int64 [n], ascending: the items of the rows' heads, `popp` and `popg`, minus the basket.

    `tables`: (indptr, indices, scores, take) each. The items are marked in a bitmap of the
    catalogue (37 KB at 300k products: it stays in the core's cache, where an int array of the
    catalogue did not), which is then read in order."""
    cdef vector[Table] read = _tables(tables)
    cdef vector[uint64_t] bitmap = vector[uint64_t]((n_items + 63) // 64)
    cdef int64_t b, j, start, stop, count = 0, w
    cdef uint64_t word
    cdef size_t t
    with nogil:
        for t in range(read.size()):
            for b in range(basket.shape[0]):
                _row(&read[t], basket[b], &start, &stop)
                for j in range(start, stop):
                    _mark(bitmap.data(), read[t].indices[j])
        for j in range(popp.shape[0]):
            _mark(bitmap.data(), popp[j])
        for j in range(popg.shape[0]):
            _mark(bitmap.data(), popg[j])
        for b in range(basket.shape[0]):
            bitmap[basket[b] >> 6] &= ~((<uint64_t>1) << (basket[b] & 63))
        for w in range(<int64_t>bitmap.size()):
            count += __builtin_popcountll(bitmap[w])
    result = np.empty(count, dtype=np.int64)
    cdef int64_t[::1] out = result
    count = 0
    with nogil:
        for w in range(<int64_t>bitmap.size()):
            word = bitmap[w]
            while word:
                out[count] = (w << 6) + __builtin_ctzll(word)
                count += 1
                word &= word - 1
    return result


def pool_sums(
    list tables,
    const int64_t[::1] signals,
    const double[::1] factors,
    const uint8_t[::1] links,
    int64_t n_signals,
    const int64_t[::1] basket,
    const int64_t[::1] items,
    const int64_t[::1] popp,
    const int64_t[::1] popg,
    int64_t n_items,
):
    """(float64 [n_signals, n] sums, uint64 [words, n] link bits, int64 [n] bits set, bool [n] in
    popp, bool [n] in popg) of the pool `items` (ascending).

    Each table adds `factor` x the sum of its entries' scores to its signal's row, the sum taken
    in entry order (np.bincount's); bit b of a candidate's link bits says that basket item b lists
    it in a table whose `links` is set. Entries, popular items and basket items that are not in
    `items` (filtered out by the request's controls, or the basket) fall in a bin past the end.
    A candidate's slot is its rank among `items`: the bits before it in a bitmap of the pool."""
    cdef vector[Table] read = _tables(tables)
    cdef int64_t n = items.shape[0], n_basket = basket.shape[0]
    cdef int64_t words = (n_basket + 63) // 64
    cdef vector[uint64_t] bitmap = vector[uint64_t]((n_items + 63) // 64)
    cdef vector[int32_t] before = vector[int32_t](bitmap.size())  # pool items in earlier words
    sums_full = np.zeros((n_signals, n + 1), dtype=np.float64)
    bits_full = np.zeros((words, n + 1), dtype=np.uint64)
    from_popp = np.zeros(n + 1, dtype=np.bool_)
    from_popg = np.zeros(n + 1, dtype=np.bool_)
    within = np.empty(n + 1, dtype=np.float64)
    links_count = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] linked = links_count
    cdef double[:, ::1] sums = sums_full
    cdef uint64_t[:, ::1] bits = bits_full
    cdef uint8_t[::1] in_popp = from_popp.view(np.uint8)
    cdef uint8_t[::1] in_popg = from_popg.view(np.uint8)
    cdef double[::1] table_sum = within
    cdef int64_t b, j, start, stop, i, slot
    cdef int32_t seen = 0
    cdef size_t t
    cdef double factor
    with nogil:
        for i in range(n):
            _mark(bitmap.data(), items[i])
        for t in range(bitmap.size()):
            before[t] = seen
            seen += __builtin_popcountll(bitmap[t])
        for t in range(read.size()):
            for i in range(n + 1):
                table_sum[i] = 0.0
            for b in range(n_basket):
                _row(&read[t], basket[b], &start, &stop)
                for j in range(start, stop):
                    slot = _slot(bitmap.data(), before.data(), read[t].indices[j], n)
                    table_sum[slot] += <double>read[t].scores[j]
                    if links[t]:
                        bits[b >> 6, slot] |= (<uint64_t>1) << (b & 63)
            factor = factors[t]
            for i in range(n + 1):
                sums[signals[t], i] += factor * table_sum[i]
        for j in range(popp.shape[0]):
            in_popp[_slot(bitmap.data(), before.data(), popp[j], n)] = 1
        for j in range(popg.shape[0]):
            in_popg[_slot(bitmap.data(), before.data(), popg[j], n)] = 1
        for b in range(words):
            for i in range(n):
                linked[i] += __builtin_popcountll(bits[b, i])
    return sums_full[:, :n], bits_full[:, :n], links_count, from_popp[:n], from_popg[:n]


cdef inline int64_t _slot(const uint64_t *bitmap, const int32_t *before, int64_t item, int64_t absent) noexcept nogil:
    """The rank of `item` among the marked items, `absent` if it is not marked."""
    cdef uint64_t word = bitmap[item >> 6], bit = (<uint64_t>1) << (item & 63)
    if not word & bit:
        return absent
    return before[item >> 6] + __builtin_popcountll(word & (bit - 1))


cdef inline uint32_t _key(float value) noexcept nogil:
    """An unsigned integer that orders as `value` does (IEEE 754 bits, sign-folded)."""
    cdef uint32_t bits
    memcpy(&bits, &value, 4)
    return ~bits if bits >> 31 else bits | <uint32_t>0x80000000


cdef void _top_slots(const float *prior, int64_t n, int64_t size, int64_t *out) noexcept nogil:
    """The `size` (< n) slots of the largest `prior`, ascending; of equal values at the cut, the
    lowest slots.

    The cut is found by a radix selection on the values' bits, 11 bits a pass from the top (a
    histogram, then the bin holding the size-th largest): its passes do not branch on the values,
    where a comparison-based selection mispredicted a branch per element or so."""
    cdef vector[uint32_t] keys = vector[uint32_t](n)
    cdef uint32_t hist[2048]
    cdef uint32_t prefix = 0, mask = 0, bin_
    cdef int64_t i, need = size
    cdef int shift, width, p
    cdef int shifts[3]
    shifts[0], shifts[1], shifts[2] = 21, 10, 0
    for i in range(n):
        keys[i] = _key(prior[i])
    for p in range(3):
        shift = shifts[p]
        width = 32 - shift if p == 0 else shifts[p - 1] - shift
        memset(hist, 0, sizeof(hist))
        for i in range(n):
            if keys[i] & mask == prefix:
                hist[(keys[i] >> shift) & (((<uint32_t>1) << width) - 1)] += 1
        bin_ = ((<uint32_t>1) << width) - 1
        while hist[bin_] < need:  # the bins from the top hold fewer than `need`: go down
            need -= hist[bin_]
            bin_ -= 1
        prefix |= bin_ << shift
        mask |= (((<uint32_t>1) << width) - 1) << shift
    # prefix is now the key of the size-th largest value; `need` of the values equal to it are taken
    cdef int64_t taken = 0
    for i in range(n):
        if keys[i] > prefix or (keys[i] == prefix and need > 0):
            need -= keys[i] == prefix
            out[taken] = i
            taken += 1


cdef void _larger(
    const float *values, int64_t stride, int64_t m, vector[float] *ordered, int64_t *larger
) noexcept nogil:
    """For each of the m values (every `stride`-th float), how many of them are larger."""
    cdef int64_t i
    ordered.resize(m)
    for i in range(m):
        ordered[0][i] = values[i * stride]
    sort(ordered.begin(), ordered.end())
    for i in range(m):
        larger[i] = ordered.end() - upper_bound(ordered.begin(), ordered.end(), values[i * stride])


# The features shortlist_features computes, in the order of its `columns` argument (the embedding
# cosine is the caller's: a matrix product numpy does with BLAS).
KERNEL_FEATURES = (
    "pair", "pair_rel", "pair_any", "pair_any_rel", "reverse", "ease", "ease_rel", "popp", "popg",
    "pair_rr", "pair_any_rr", "ease_rr", "popp_rr", "links", "link_share", "basket_size",
    "profession_named",
)
# Which parts row each raw pair signal reads, in `part_rows`' order.
PART_SIGNALS = ("pair", "pair_any", "reverse", "ease")


def shortlist_features(
    const double[:, :] parts,
    const int64_t[::1] part_rows,
    const float[:, ::1] item_stats,
    const int64_t[::1] items,
    const int64_t[::1] mix_rows,
    const float[::1] mix_weights,
    int64_t popg_column,
    const int64_t[::1] links,
    int64_t n_basket,
    bint named,
    int64_t size,
    const int64_t[::1] columns,
    int64_t n_features,
):
    """(int64 slots of the shortlist, ascending; float32 [len(slots), n_features] their features,
    KERNEL_FEATURES written at `columns`, the others 0): learned.shortlist_features' pass.

    `parts`: the pool's pair parts, the PART_SIGNALS at rows `part_rows`; `items`, `links`: the
    pool's. The prior that picks the `size` candidates is (pair_rel + pair_any_rel) + ease_rel,
    plus popp and popg each relative to its best, in float32, as numpy summed it."""
    cdef int64_t n = items.shape[0], i, r, s, m
    cdef int64_t pair = part_rows[0], pair_any = part_rows[1], reverse = part_rows[2], ease = part_rows[3]
    cdef vector[float] popp = vector[float](n), popg = vector[float](n), prior = vector[float](n)
    cdef vector[float] rel = vector[float](3 * n)  # pair_rel, pair_any_rel, ease_rel
    cdef int64_t rel_rows[3]
    rel_rows[0], rel_rows[1], rel_rows[2] = pair, pair_any, ease
    cdef double peak
    cdef float best, acc
    cdef const float *stats
    with nogil:
        for i in range(n):
            if i + _AHEAD < n:  # the rows are scattered over the catalogue: ask for them early
                __builtin_prefetch(&item_stats[items[i + _AHEAD], 0])
            stats = &item_stats[items[i], 0]
            acc = 0
            for r in range(mix_rows.shape[0]):
                acc += stats[mix_rows[r]] * mix_weights[r]
            popp[i] = acc
            popg[i] = stats[popg_column]
        for r in range(3):
            peak = 0.0
            for i in range(n):
                peak = max(peak, parts[rel_rows[r], i])
            for i in range(n):
                rel[r * n + i] = <float>(parts[rel_rows[r], i] / peak) if peak > 0 else 0
    m = min(n, size)
    slots_array = np.empty(m, dtype=np.int64)
    x_array = np.zeros((m, n_features), dtype=np.float32)
    cdef int64_t[::1] slots = slots_array
    cdef float[:, ::1] x = x_array
    cdef vector[float] ordered
    cdef vector[int64_t] larger = vector[int64_t](m)
    cdef int64_t c
    cdef int64_t ranked[4]  # pair, pair_any, ease and popp: their KERNEL_FEATURES positions
    ranked[0], ranked[1], ranked[2], ranked[3] = 0, 2, 5, 7
    with nogil:
        if n <= size:
            for i in range(n):
                slots[i] = i
        else:
            for i in range(n):
                prior[i] = (rel[i] + rel[n + i]) + rel[2 * n + i]
            best = 0
            for i in range(n):
                best = max(best, popp[i])
            if best > 0:
                for i in range(n):
                    prior[i] += popp[i] / best
            best = 0
            for i in range(n):
                best = max(best, popg[i])
            if best > 0:
                for i in range(n):
                    prior[i] += popg[i] / best
            _top_slots(prior.data(), n, size, &slots[0])
        for i in range(m):
            s = slots[i]
            x[i, columns[0]] = <float>parts[pair, s]
            x[i, columns[1]] = rel[s]
            x[i, columns[2]] = <float>parts[pair_any, s]
            x[i, columns[3]] = rel[n + s]
            x[i, columns[4]] = <float>parts[reverse, s]
            x[i, columns[5]] = <float>parts[ease, s]
            x[i, columns[6]] = rel[2 * n + s]
            x[i, columns[7]] = popp[s]
            x[i, columns[8]] = popg[s]
            x[i, columns[13]] = <float>links[s]
            x[i, columns[14]] = <float>(<double>links[s] / max(n_basket, 1))
            x[i, columns[15]] = <float>n_basket
            x[i, columns[16]] = 1 if named else 0
        if m:
            for r in range(4):  # the ranks of pair, pair_any, ease and popp
                c = columns[ranked[r]]
                _larger(&x[0, c], n_features, m, &ordered, larger.data())
                for i in range(m):
                    x[i, columns[9 + r]] = <float>(1.0 / (1.0 + larger[i])) if x[i, c] > 0 else 0
    return slots_array, x_array


cdef inline double _dot(const float *a, const float *b, int64_t d) noexcept nogil:
    """a . b in double precision: four running sums (dimensions j mod 4), so that the additions
    do not wait on each other, added in a fixed order."""
    cdef double s0 = 0, s1 = 0, s2 = 0, s3 = 0
    cdef int64_t j = 0
    while j + 4 <= d:
        s0 += <double>a[j] * b[j]
        s1 += <double>a[j + 1] * b[j + 1]
        s2 += <double>a[j + 2] * b[j + 2]
        s3 += <double>a[j + 3] * b[j + 3]
        j += 4
    while j < d:
        s0 += <double>a[j] * b[j]
        j += 1
    return (s0 + s1) + (s2 + s3)


def mmr(
    const double[::1] relevance,
    const float[:, ::1] emb,
    const int64_t[::1] gammes,
    int64_t k,
    double lam,
    int64_t cap,
    conflicts,
):
    """diversify.mmr's greedy loop (its docstring has the rules): positions in pick order.

    `emb`: float32 [n, d] or None. Each step's gain is lam x rel - (1 - lam) x max_sim, then -inf
    where closed, in the numpy code's operations; the cosine of a candidate with an item taken is
    summed in double precision (_dot). A candidate's max_sim is brought up to date only when its
    gain is the best (lazily): an out-of-date max_sim can only be lower, its gain only higher, so
    a candidate that is best with its cosines up to date is the one the full update would pick,
    without the cosines of the other ~300 candidates with each item taken."""
    cdef int64_t n = relevance.shape[0], i, j, best, same, d = 0 if emb is None else emb.shape[1]
    cdef vector[int64_t] picked
    if n == 0:
        return np.empty(0, dtype=np.int64)
    cdef double low = relevance[0], high = relevance[0], span, keep = 1.0 - lam, value, top
    for i in range(n):
        low = min(low, relevance[i])
        high = max(high, relevance[i])
    span = high - low
    cdef vector[double] weighted = vector[double](n), max_sim = vector[double](n)
    cdef vector[double] closed = vector[double](n)
    # how many of the picks max_sim[i] has seen: all of them without embeddings (no cosine)
    cdef vector[int64_t] seen = vector[int64_t](n, k if d == 0 else 0)
    cdef const int64_t[::1] shut
    cdef double inf = float("inf")
    for i in range(n):
        weighted[i] = lam * ((relevance[i] - low) / span if span > 0 else 0.0)
    while <int64_t>picked.size() < k:
        while True:  # the best gain, its cosines brought up to date first
            best, top = 0, -inf
            for i in range(n):
                value = (weighted[i] - keep * max_sim[i]) + closed[i]
                if value > top:
                    best, top = i, value
            if top == -inf or seen[best] >= <int64_t>picked.size():
                break
            for j in range(seen[best], <int64_t>picked.size()):
                max_sim[best] = max(max_sim[best], <double><float>_dot(&emb[best, 0], &emb[picked[j], 0], d))
            seen[best] = picked.size()
        if top == -inf:
            break
        picked.push_back(best)
        closed[best] = -inf
        if cap and gammes[best] >= 0:  # gamme ids are the warehouse's: counted among the picks
            same = 0
            for j in range(<int64_t>picked.size()):
                same += gammes[picked[j]] == gammes[best]
            if same >= cap:
                for i in range(n):
                    if gammes[i] == gammes[best]:
                        closed[i] = -inf
        if conflicts is not None:
            shut = np.asarray(conflicts(best), dtype=np.int64)
            for j in range(shut.shape[0]):
                closed[shut[j]] = -inf
    result = np.empty(picked.size(), dtype=np.int64)
    for j in range(<int64_t>picked.size()):
        result[j] = picked[j]
    return result


cdef extern from "<cmath>" namespace "std" nogil:
    bint isnan(double)


cdef class Forest:
    """A LightGBM model's trees as flat arrays (blend_model.forest), evaluated as LightGBM's
    GBDT::PredictRaw does for splits without a missing-value direction: for each row, the value
    of the leaf each tree sends it to (left when the feature, as a double, is <= the threshold;
    NaN read as 0), summed in double precision from 0, tree after tree.

    LightGBM's own call costs ~10 microseconds before the first row (its parameters parsed, a
    predictor built) and copies each row into (index, value) pairs; the walk itself is the same,
    a third of the time for the 150 rows of a shortlist."""

    cdef const int32_t[::1] feature, left, right, root  # (a typed memoryview holds its array)
    cdef const double[::1] threshold, leaf_value

    def __init__(self, feature, threshold, left, right, leaf_value, root):
        """Per inner node: `feature`, `threshold`, `left` and `right` children (a leaf l as ~l);
        `leaf_value` per leaf; per tree, its `root` (~l for a tree that is one leaf)."""
        self.feature, self.threshold, self.left, self.right = feature, threshold, left, right
        self.leaf_value, self.root = leaf_value, root

    def predict(self, const float[:, ::1] x):
        """float64 [len(x)]: the raw score of each row of `x` (the features at the columns the
        nodes name)."""
        result = np.zeros(x.shape[0], dtype=np.float64)
        cdef double[::1] out = result
        cdef int64_t row, tree
        cdef int32_t node
        cdef double value, total
        with nogil:
            for row in range(x.shape[0]):
                total = 0.0
                for tree in range(self.root.shape[0]):
                    node = self.root[tree]
                    while node >= 0:
                        value = x[row, self.feature[node]]
                        if isnan(value):
                            value = 0.0
                        node = self.left[node] if value <= self.threshold[node] else self.right[node]
                    total += self.leaf_value[~node]
                out[row] = total
        return result
