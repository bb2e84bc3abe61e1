// Float32 3x3 weights into oneDNN 2.6's Winograd F(4x4, 3x3) layout (jit_wino_4x3's
// OBaaIBOIio), without its reorder. That reorder (wino_reorder) transforms at 110-210 ns per
// (input, output) channel pair and temporal tap through a full-size plain intermediate: 13.7 ms
// for one tap of a 256 x 256 weight, twice the Winograd convolution it feeds on a latent upsample
// (AMD Zen 4), which kept Winograd off every call below 16384 output positions. Here each pair's
// 6x6 tile U = G g Gᵀ is computed once and written straight to its place, output channels
// innermost (whole cache lines).
//
// The arithmetic is the reorder's, so the bits are too (OneDNNConvolutionTests compares them):
// W = g Gᵀ row by row, each entry ((0 + g0 G0) + g1 G1) + g2 G2, then U = G W column by column,
// ((0 + G0 W0) + G1 W1) + G2 W2, products rounded before each sum (no fused multiply-add).
#include "cdnnl_internal.h"

#include <string.h>

#pragma STDC FP_CONTRACT OFF
#if defined(__clang__)
#pragma clang fp contract(off)
#endif

// oneDNN's G for F(4x4, 3x3) (interpolation points 0, ±1, ±2 with its scaling).
static const float G[6][3] = {{1.13777777777778f, 0.f, 0.f},
                              {-0.688403361344538f, -0.430252100840336f, -0.26890756302521f},
                              {-0.688403361344538f, 0.430252100840336f, -0.26890756302521f},
                              {0.119514472455649f, 0.179271708683473f, 0.26890756302521f},
                              {0.119514472455649f, -0.179271708683473f, 0.26890756302521f},
                              {0.f, 0.f, 1.f}};

enum { ALPHA = 6, BLOCK = 64 };

typedef struct {
    const memory_desc_fields *f;
    const float *plain;
    int64_t cout, cin, taps, tap, first_block, last_block;  // output-channel blocks [first, last)
    float *out;
} wino_part;

static void *transform_blocks(void *argument) {
    const wino_part *p = argument;
    const int ocb = p->f->wino.oc_block, icb = p->f->wino.ic_block, oc2 = p->f->wino.oc2_block, ic2 = p->f->wino.ic2_block;
    const int64_t ic_padded = p->f->wino.ic, ic_chunks = ic_padded / icb / ic2;
    const int64_t row = p->cin * p->taps * 9;  // floats between output channels in the plain weight
    float g[9][BLOCK], u[ALPHA * ALPHA][BLOCK];
    for (int64_t blk = p->first_block; blk < p->last_block; blk++) {
        const int64_t occ = blk / oc2, ob = blk % oc2, o0 = blk * ocb;
        for (int64_t ic = 0; ic < ic_padded; ic++) {
            // The pair's nine taps for each output channel of the block (zeros past the ends).
            for (int o = 0; o < ocb; o++) {
                const int64_t oc = o0 + o;
                if (oc < p->cout && ic < p->cin) {
                    const float *w = p->plain + oc * row + (ic * p->taps + p->tap) * 9;
                    for (int k = 0; k < 9; k++) g[k][o] = w[k];
                } else {
                    for (int k = 0; k < 9; k++) g[k][o] = 0.f;
                }
            }
            for (int j = 0; j < ALPHA; j++) {
                float w[3][BLOCK];
                for (int ih = 0; ih < 3; ih++)
                    for (int o = 0; o < ocb; o++) {
                        float s = 0.f;
                        s = s + g[ih * 3 + 0][o] * G[j][0];
                        s = s + g[ih * 3 + 1][o] * G[j][1];
                        s = s + g[ih * 3 + 2][o] * G[j][2];
                        w[ih][o] = s;
                    }
                for (int i = 0; i < ALPHA; i++)
                    for (int o = 0; o < ocb; o++) {
                        float s = 0.f;
                        s = s + G[i][0] * w[0][o];
                        s = s + G[i][1] * w[1][o];
                        s = s + G[i][2] * w[2][o];
                        u[i * ALPHA + j][o] = s;
                    }
            }
            const int64_t icc = ic / icb / ic2, ib = ic / icb % ic2, i = ic % icb;
            for (int a = 0; a < ALPHA * ALPHA; a++) {
                const int64_t at = (((((occ * ALPHA * ALPHA + a) * ic_chunks + icc) * oc2 + ob) * ic2 + ib) * icb + i) * ocb;
                memcpy(p->out + at, u[a], sizeof(float) * (size_t)ocb);
            }
        }
    }
    return NULL;
}

int rf_dnnl_pack_winograd(const memory_desc *packed, const float *plain, int64_t taps, int64_t tap, float *out,
                          int threads) {
    const memory_desc_fields *f = (const memory_desc_fields *)packed;
    if (f->format_kind != FORMAT_KIND_WINO || f->wino.wino_format != WINO_WEI_OBAAIBOIIO || f->wino.r != 3 ||
        f->wino.alpha != ALPHA || f->ndims != 4 || f->dims[2] != 3 || f->dims[3] != 3 || f->wino.oc_block <= 0 ||
        f->wino.oc_block > BLOCK || f->wino.ic_block <= 0 || f->wino.oc2_block <= 0 || f->wino.ic2_block <= 0 ||
        f->wino.oc % f->wino.oc_block || f->wino.ic % (f->wino.ic_block * f->wino.ic2_block) ||
        (f->wino.oc / f->wino.oc_block) % f->wino.oc2_block || f->wino.oc < f->dims[0] || f->wino.ic < f->dims[1] ||
        tap < 0 || tap >= taps)
        return -1;
    const int64_t blocks = f->wino.oc / f->wino.oc_block;
    int n = threads < 1 ? 1 : threads > RF_PACK_MAX_THREADS ? RF_PACK_MAX_THREADS : threads;
    if (n > blocks) n = (int)blocks;
    wino_part parts[RF_PACK_MAX_THREADS];
    for (int k = 0; k < n; k++)
        parts[k] = (wino_part){f, plain, f->dims[0], f->dims[1], taps, tap, blocks * k / n, blocks * (k + 1) / n, out};
    rf_dnnl_run_parts(transform_blocks, parts, sizeof parts[0], n);
    return 0;
}
