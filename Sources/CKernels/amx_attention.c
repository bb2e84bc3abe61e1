// The two bf16 products of an attention tile on Intel AMX: scores = Q · Kᵀ and P · V, float32
// results, with the keys and values packed once per head into the tile layout the instruction
// reads (pairs of bf16 along the reduction axis). oneDNN 2.6's matmul primitive takes about
// twice the time for the scores (52-78 against 28-31 µs per 256 x 64 x 512 tile) and 1.2-1.4x
// for P · V: it packs its B operand on every call, and dense score rows 2 KB apart put a
// tile's stores into the same few first-level cache sets, which is why the rows here are
// padded (docs/benchmarks.md, "Attention tiles on AMX"). Built for AMX with target attributes;
// callers check `reelflow_amx_bf16_usable()` first.
#include "CKernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AMX_TARGET __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw")))

enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };

typedef struct {
    uint8_t palette, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

static int amx_state = -1;  // -1 not asked yet, 0 no, 1 yes

static int amx_probe(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int tile = (d >> 24) & 1, bf16 = (d >> 22) & 1;
    if (!tile || !bf16) return 0;
    // Linux hands out the 8 KB tile state only on request (kernel 5.16+); oneDNN asks too.
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) return 0;
    return 1;
}

int reelflow_amx_bf16_usable(void) {
    int s = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (s < 0) {
        s = amx_probe();
        __atomic_store_n(&amx_state, s, __ATOMIC_RELEASE);
    }
    return s;
}

/// Loads a tile configuration: tiles below `first_b` (accumulators and A operands) hold
/// `rows` rows (1-16), tiles from `first_b` on hold the B operand's 16 pair rows; every row is
/// 64 bytes (16 floats or 32 bf16). Scores: accumulators 0-1, A 2-5, B 6-7; P · V:
/// accumulators 0-3, A 4, B 5-7.
AMX_TARGET static void configure(int rows, int first_b) {
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = (uint8_t)((t >= first_b) ? 16 : rows);
    }
    _tile_loadconfig(&cfg);
}

// Scores of one row block against `blocks` 16-key blocks with `chunks` 32-deep A tiles
// already in tiles 2..(2 + chunks - 1). Tile numbers are immediates, hence one body per depth.
#define SCORE_BLOCKS(CHUNKS)                                                                 \
    for (size_t jb = 0; jb < blocks; jb += 2) {                                              \
        const uint16_t *b0 = packed + jb * (CHUNKS) * 512;                                   \
        int pair = jb + 1 < blocks;                                                          \
        _tile_zero(0);                                                                       \
        if (pair) _tile_zero(1);                                                             \
        _tile_loadd(6, b0, 64);                                                              \
        _tile_dpbf16ps(0, 2, 6);                                                             \
        if (pair) { _tile_loadd(7, b0 + (CHUNKS) * 512, 64); _tile_dpbf16ps(1, 2, 7); }      \
        if ((CHUNKS) > 1) {                                                                  \
            _tile_loadd(6, b0 + 512, 64);                                                    \
            _tile_dpbf16ps(0, 3, 6);                                                         \
            if (pair) { _tile_loadd(7, b0 + ((CHUNKS) + 1) * 512, 64); _tile_dpbf16ps(1, 3, 7); } \
        }                                                                                    \
        if ((CHUNKS) > 2) {                                                                  \
            _tile_loadd(6, b0 + 2 * 512, 64);                                                \
            _tile_dpbf16ps(0, 4, 6);                                                         \
            if (pair) { _tile_loadd(7, b0 + ((CHUNKS) + 2) * 512, 64); _tile_dpbf16ps(1, 4, 7); } \
        }                                                                                    \
        if ((CHUNKS) > 3) {                                                                  \
            _tile_loadd(6, b0 + 3 * 512, 64);                                                \
            _tile_dpbf16ps(0, 5, 6);                                                         \
            if (pair) { _tile_loadd(7, b0 + ((CHUNKS) + 3) * 512, 64); _tile_dpbf16ps(1, 5, 7); } \
        }                                                                                    \
        _tile_stored(0, out + jb * 16, (long)(lds * 4));                                     \
        if (pair) _tile_stored(1, out + jb * 16 + 16, (long)(lds * 4));                      \
    }

AMX_TARGET void reelflow_amx_scores(
    const uint16_t *q, size_t ldq, size_t rows, size_t depth, const uint16_t *packed, size_t cols, float *scores,
    size_t lds) {
    size_t chunks = depth / 32, blocks = (cols + 15) / 16;
    int configured = -1;
    for (size_t i = 0; i < rows; i += 16) {
        int r = (int)(rows - i < 16 ? rows - i : 16);
        if (r != configured) {
            configure(r, 6);
            configured = r;
        }
        const uint16_t *a = q + i * ldq;
        float *out = scores + i * lds;
        long stride = (long)(ldq * 2);
        _tile_loadd(2, a, stride);
        if (chunks > 1) _tile_loadd(3, a + 32, stride);
        if (chunks > 2) _tile_loadd(4, a + 64, stride);
        if (chunks > 3) _tile_loadd(5, a + 96, stride);
        switch (chunks) {
        case 1: SCORE_BLOCKS(1) break;
        case 2: SCORE_BLOCKS(2) break;
        case 3: SCORE_BLOCKS(3) break;
        default: SCORE_BLOCKS(4) break;
        }
    }
    _tile_release();
}

// One 16-row block of P · V over `chunks` 32-key chunks for `COLS` (1-4) 16-column blocks
// starting at `vb`: accumulators in tiles 0-3, the P chunk in tile 4, values in tiles 5-7.
#define VALUE_BLOCKS(COLS)                                                                   \
    do {                                                                                     \
        _tile_zero(0);                                                                       \
        if ((COLS) > 1) _tile_zero(1);                                                       \
        if ((COLS) > 2) _tile_zero(2);                                                       \
        if ((COLS) > 3) _tile_zero(3);                                                       \
        for (size_t kc = 0; kc < chunks; kc++) {                                             \
            const uint16_t *b = packed + (kc * colBlocks + vb) * 512;                        \
            _tile_loadd(4, a + kc * 32, (long)(ldp * 2));                                    \
            _tile_loadd(5, b, 64);                                                           \
            _tile_dpbf16ps(0, 4, 5);                                                         \
            if ((COLS) > 1) { _tile_loadd(6, b + 512, 64); _tile_dpbf16ps(1, 4, 6); }        \
            if ((COLS) > 2) { _tile_loadd(7, b + 1024, 64); _tile_dpbf16ps(2, 4, 7); }       \
            if ((COLS) > 3) { _tile_loadd(5, b + 1536, 64); _tile_dpbf16ps(3, 4, 5); }       \
        }                                                                                    \
        float *dst = out + i * ldo + vb * 16;                                                \
        _tile_stored(0, dst, (long)(ldo * 4));                                               \
        if ((COLS) > 1) _tile_stored(1, dst + 16, (long)(ldo * 4));                          \
        if ((COLS) > 2) _tile_stored(2, dst + 32, (long)(ldo * 4));                          \
        if ((COLS) > 3) _tile_stored(3, dst + 48, (long)(ldo * 4));                          \
    } while (0)

AMX_TARGET void reelflow_amx_values(
    const uint16_t *p, size_t ldp, size_t rows, size_t cols, const uint16_t *packed, size_t width, float *out,
    size_t ldo) {
    size_t chunks = (cols + 31) / 32, colBlocks = width / 16;
    int configured = -1;
    for (size_t i = 0; i < rows; i += 16) {
        int r = (int)(rows - i < 16 ? rows - i : 16);
        if (r != configured) {
            configure(r, 5);
            configured = r;
        }
        const uint16_t *a = p + i * ldp;
        for (size_t vb = 0; vb < colBlocks; vb += 4) {
            switch (colBlocks - vb < 4 ? colBlocks - vb : 4) {
            case 1: VALUE_BLOCKS(1); break;
            case 2: VALUE_BLOCKS(2); break;
            case 3: VALUE_BLOCKS(3); break;
            default: VALUE_BLOCKS(4); break;
            }
        }
    }
    _tile_release();
}

#else

int reelflow_amx_bf16_usable(void) { return 0; }

void reelflow_amx_scores(
    const uint16_t *q, size_t ldq, size_t rows, size_t depth, const uint16_t *packed, size_t cols, float *scores,
    size_t lds) {
    (void)q, (void)ldq, (void)rows, (void)depth, (void)packed, (void)cols, (void)scores, (void)lds;
    abort();
}

void reelflow_amx_values(
    const uint16_t *p, size_t ldp, size_t rows, size_t cols, const uint16_t *packed, size_t width, float *out,
    size_t ldo) {
    (void)p, (void)ldp, (void)rows, (void)cols, (void)packed, (void)width, (void)out, (void)ldo;
    abort();
}

#endif

// Packing is plain C: it runs once per head and key block, and any CPU can make the layout.

size_t reelflow_amx_keys_packed_count(size_t keys, size_t depth) { return (keys + 15) / 16 * 16 * depth; }

void reelflow_amx_pack_keys(const uint16_t *k, size_t ldk, size_t keys, size_t depth, uint16_t *packed) {
    size_t chunks = depth / 32, blocks = (keys + 15) / 16;
    for (size_t jb = 0; jb < blocks; jb++) {
        for (size_t c = 0; c < chunks; c++) {
            uint16_t *tile = packed + (jb * chunks + c) * 512;
            for (size_t j = 0; j < 16; j++) {
                size_t key = jb * 16 + j;
                const uint16_t *row = key < keys ? k + key * ldk + c * 32 : NULL;
                for (size_t pr = 0; pr < 16; pr++) {
                    tile[pr * 32 + j * 2] = row ? row[2 * pr] : 0;
                    tile[pr * 32 + j * 2 + 1] = row ? row[2 * pr + 1] : 0;
                }
            }
        }
    }
}

size_t reelflow_amx_values_packed_count(size_t keys, size_t width) { return (keys + 31) / 32 * 32 * width; }

void reelflow_amx_pack_values(const uint16_t *v, size_t ldv, size_t keys, size_t width, uint16_t *packed) {
    size_t chunks = (keys + 31) / 32, colBlocks = width / 16;
    for (size_t kc = 0; kc < chunks; kc++) {
        for (size_t vb = 0; vb < colBlocks; vb++) {
            uint16_t *tile = packed + (kc * colBlocks + vb) * 512;
            for (size_t pr = 0; pr < 16; pr++) {
                size_t k0 = kc * 32 + 2 * pr;
                const uint16_t *r0 = k0 < keys ? v + k0 * ldv + vb * 16 : NULL;
                const uint16_t *r1 = k0 + 1 < keys ? v + (k0 + 1) * ldv + vb * 16 : NULL;
                for (size_t j = 0; j < 16; j++) {
                    tile[pr * 32 + j * 2] = r0 ? r0[j] : 0;
                    tile[pr * 32 + j * 2 + 1] = r1 ? r1[j] : 0;
                }
            }
        }
    }
}
