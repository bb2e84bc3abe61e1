// Convolution weights from the caller's plain `[O][I][kd][kh][kw]` layout into the blocked
// layout a oneDNN kernel reads, by table: a blocked layout's offset is a sum of one term per
// dimension (the outer index times its stride, plus the index's place inside each inner
// block), so five small tables give every element's place. oneDNN 2.6's own reorder into its
// AMX bf16 layouts (e.g. AcdeB16b32a2b, pairs of input channels interleaved) ran at 2 GB/s:
// 1.7 ms for a 256 x 256 x 3x3x3 weight, a quarter of a bf16 latent upsample, against 0.5 ms
// for the float32 layout of the same weight. The table on two threads took the bf16 upsample
// from 87-89 to 79 ms; on float32 weights it was slower than oneDNN (1.03-1.08x the upsample's
// time), so rf_dnnl_conv_pack uses it for bf16 only (the float32 loops stay for tests).
#include "cdnnl_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// Offset of index `x` of dimension `d` in a blocked layout.
static int64_t place(const memory_desc_fields *f, int d, int64_t x) {
    int64_t block = 1;
    for (int k = 0; k < f->blocking.inner_nblks; k++)
        if (f->blocking.inner_idxs[k] == d) block *= f->blocking.inner_blks[k];
    int64_t offset = (x / block) * f->blocking.strides[d], rem = x % block, inner_stride = 1;
    // Inner blocks from the innermost out: each takes the next digit of this dimension's index.
    for (int k = f->blocking.inner_nblks - 1; k >= 0; k--) {
        if (f->blocking.inner_idxs[k] == d) {
            offset += (rem % f->blocking.inner_blks[k]) * inner_stride;
            rem /= f->blocking.inner_blks[k];
        }
        inner_stride *= f->blocking.inner_blks[k];
    }
    return offset;
}

// The part of a packing one thread does: output channels [first, last).
typedef struct {
    const int64_t *to, *ti, *tt;
    int64_t i, taps, first, last;
    const void *plain;
    void *out;
    size_t element;
    int pairs;  // bf16 input channels 2y and 2y + 1 sit side by side (VNNI layouts): write both at once
} pack_part;

// One element at a time (2- or 4-byte `T`), in pack_range's order.
#define PACK_ELEMENTS(T)                                                                            \
    do {                                                                                            \
        const T *s = (const T *)p->plain + p->first * row;                                          \
        T *d = p->out;                                                                              \
        for (int64_t y = 0; y < i; y++)                                                             \
            for (int64_t t = 0; t < taps; t++) {                                                    \
                const T *c = s + y * taps + t;                                                      \
                const int64_t at = ti[y] + tt[t];                                                   \
                for (int64_t x = p->first; x < p->last; x++, c += row) d[to[x] + at] = c[0];        \
            }                                                                                       \
    } while (0)

static void *pack_range(void *argument) {
    const pack_part *p = argument;
    const int64_t *to = p->to, *ti = p->ti, *tt = p->tt, i = p->i, taps = p->taps, row = i * taps;
    // Input channel by input channel, tap by tap, output channel innermost: in the blocked
    // layouts consecutive output channels sit side by side (the innermost block but the pair),
    // so the writes run along whole cache lines, and the reads, one per output channel's row,
    // come from the same few lines for every tap. (Output channel outermost, the writes went to
    // a new line of the multi-MB packed weight every 4 bytes: 10% of a bf16 encode.)
    if (p->element == 2 && p->pairs) {
        const uint16_t *s = (const uint16_t *)p->plain + p->first * row;
        uint16_t *d = p->out;
        int64_t y = 0;
        for (; y + 1 < i; y += 2)
            for (int64_t t = 0; t < taps; t++) {
                const uint16_t *c = s + y * taps + t;
                const int64_t at = ti[y] + tt[t];
                for (int64_t x = p->first; x < p->last; x++, c += row) {
                    const uint32_t pair = (uint32_t)c[0] | (uint32_t)c[taps] << 16;
                    memcpy(d + to[x] + at, &pair, sizeof pair);
                }
            }
        if (y < i)
            for (int64_t t = 0; t < taps; t++) {
                const uint16_t *c = s + y * taps + t;
                for (int64_t x = p->first; x < p->last; x++, c += row) d[to[x] + ti[y] + tt[t]] = c[0];
            }
    } else if (p->element == 2) {
        PACK_ELEMENTS(uint16_t);
    } else {
        PACK_ELEMENTS(uint32_t);
    }
    return NULL;
}

int rf_dnnl_pack_blocked(const memory_desc *packed, const void *plain, void *out, size_t element, size_t packed_bytes,
                         int threads) {
    const memory_desc_fields *f = (const memory_desc_fields *)packed;
    if (f->ndims != 5 || f->format_kind != FORMAT_KIND_BLOCKED || (element != 2 && element != 4)) return -1;
    for (int d = 0; d < 5; d++)
        if (f->padded_offsets[d] != 0) return -1;
    const int64_t o = f->dims[0], i = f->dims[1], taps = f->dims[2] * f->dims[3] * f->dims[4];
    int64_t *table = malloc(sizeof(int64_t) * (size_t)(o + i + taps));
    if (!table) return -1;
    int64_t *to = table, *ti = to + o, *tt = ti + i;
    for (int64_t x = 0; x < o; x++) to[x] = f->offset0 + place(f, 0, x);
    for (int64_t x = 0; x < i; x++) ti[x] = place(f, 1, x);
    for (int64_t a = 0, t = 0; a < f->dims[2]; a++)
        for (int64_t b = 0; b < f->dims[3]; b++)
            for (int64_t c = 0; c < f->dims[4]; c++) tt[t++] = place(f, 2, a) + place(f, 3, b) + place(f, 4, c);
    // Pairs: every even input channel's odd neighbour sits right after it (one 4-byte store
    // writes both; the places being even keeps those stores aligned).
    int pairs = element == 2;
    for (int64_t y = 0; y + 1 < i && pairs; y += 2) pairs = ti[y] % 2 == 0 && ti[y + 1] == ti[y] + 1;
    for (int64_t x = 0; x < o && pairs; x++) pairs = to[x] % 2 == 0;
    for (int64_t t = 0; t < taps && pairs; t++) pairs = tt[t] % 2 == 0;
    // Padded channels (blocks rounded up) read zeros.
    if (f->padded_dims[0] != o || f->padded_dims[1] != i) memset(out, 0, packed_bytes);
    int n = threads < 1 ? 1 : threads > RF_PACK_MAX_THREADS ? RF_PACK_MAX_THREADS : threads;
    if (n > o) n = (int)o;
    pack_part parts[RF_PACK_MAX_THREADS];
    for (int k = 0; k < n; k++)
        parts[k] = (pack_part){to, ti, tt, i, taps, o * k / n, o * (k + 1) / n, plain, out, element, pairs};
    rf_dnnl_run_parts(pack_range, parts, sizeof parts[0], n);
    free(table);
    return 0;
}

void rf_dnnl_run_parts(void *(*run)(void *), void *parts, size_t part_bytes, int count) {
    pthread_t workers[RF_PACK_MAX_THREADS];
    int started[RF_PACK_MAX_THREADS] = {0};
    if (count > RF_PACK_MAX_THREADS) count = RF_PACK_MAX_THREADS;
    // The calling thread takes the first part; a part whose thread cannot start runs here too.
    for (int k = 1; k < count; k++)
        started[k] = pthread_create(&workers[k], NULL, run, (char *)parts + (size_t)k * part_bytes) == 0;
    if (count > 0) run(parts);
    for (int k = 1; k < count; k++) {
        if (started[k])
            pthread_join(workers[k], NULL);
        else
            run((char *)parts + (size_t)k * part_bytes);
    }
}
