// Float32 and bf16 3-D convolutions through oneDNN's direct kernels, band by band (see CDNNL.h).
//
// oneDNN's fast convolutions (brgconv on AVX-512, jit:avx2 on AVX2) read channels-last or
// blocked activations; on the caller's plain `[C][F][H][W]` layout it falls back to im2col and
// its own GEMM, at half the speed or less. So a band's input frames are reordered into a
// channels-last buffer (one oneDNN reorder per frame, into the buffer's interior), the spatial
// padding is written around them here (zeros, reflect or replicate, which oneDNN's zero padding
// cannot express), the convolution runs with no padding of its own, and its channels-last result
// is reordered into the caller's output frames. The weights are reordered once per call into the
// layout the kernel reads.
//
// Winograd mode (3x3 spatial taps, stride 1): the padded channels-last band is reordered once
// more, into oneDNN's 16-channel blocks with the frames as the batch; temporal tap `dt` is a 2-D
// Winograd convolution of the images `dt ..< dt + frames_out` with that tap's weights, the first
// writing (with the bias), the others adding (a sum post-op). About 2.3x the direct kernels'
// throughput on AVX-512 at the VAE's widths, with the direct kernels' accuracy (relative error
// 2e-7 to 3e-6 against float64 on random data, as direct's 4e-7 to 2e-6).
#define _GNU_SOURCE
#include "CDNNL.h"
#include "cdnnl_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// STEP_CONV is the convolution (Winograd: the first tap); STEP_SUM the later taps; STEP_BLOCK
// the band's reorder into 16-channel blocks (Winograd only).
enum { STEP_CONV, STEP_SUM, STEP_WEIGHTS, STEP_FRAME, STEP_BLOCK, STEP_OUT, STEPS };

struct rf_dnnl_conv {
    rf_dnnl_conv_geometry g;
    int64_t frames_in, rows_in, cols_in, rows_out, cols_out;
    memory_desc band_in, band_out, weights_plain, weights_any, bias, frame_plain, frame_slot, out_plain;
    // Winograd: the band as images (channels-last and blocked), one tap's source, the blocked result
    memory_desc images_last, images_blocked, tap_source;
    int taps;                      // temporal taps run one by one (Winograd), or 0
    int type;                      // RF_DNNL_F32 or RF_DNNL_BF16
    size_t element;                // its size in bytes
    size_t blocked_bytes, tap_weights_bytes;
    void *pd[STEPS], *primitive[STEPS];
    const memory_desc *scratchpad[STEPS];  // inside pd[], or NULL
    size_t scratchpad_bytes[STEPS];
    const memory_desc *weights_packed;  // inside pd[STEP_CONV]
    size_t in_bytes, out_bytes, scratch_bytes, weights_bytes;
    char impl[96];
};

static size_t round_up(size_t bytes) { return (bytes + 63) & ~(size_t)63; }

void rf_dnnl_conv_free(rf_dnnl_conv *plan) {
    if (!plan) return;
    for (int i = 0; i < STEPS; i++) {
        if (plan->primitive[i]) rf_dnnl.primitive_destroy(plan->primitive[i]);
        if (plan->pd[i]) rf_dnnl.pd_destroy(plan->pd[i]);
    }
    free(plan);
}

// Fills plan->pd[step] from an operation descriptor (op_desc) or, for a reorder, from its two
// memory descriptors; then makes the primitive and notes its scratchpad. User scratchpads
// throughout, so any thread may run the plan (see rf_dnnl_plan in cdnnl.c).
static int make_step(rf_dnnl_conv *plan, int step, const void *op_desc, const memory_desc *from,
                     const memory_desc *to, int sum, const char *what) {
    void *attr = NULL;
    int status;
    if ((status = rf_dnnl.attr_create(&attr)) || (status = rf_dnnl.attr_set_scratchpad_mode(attr, SCRATCHPAD_MODE_USER))) {
        if (attr) rf_dnnl.attr_destroy(attr);
        return rf_dnnl_fail("primitive attributes", status);
    }
    if (sum) {  // dst += the convolution
        void *post_ops = NULL;
        if ((status = rf_dnnl.post_ops_create(&post_ops)) || (status = rf_dnnl.post_ops_append_sum(post_ops, 1.0f)) ||
            (status = rf_dnnl.attr_set_post_ops(attr, post_ops))) {
            if (post_ops) rf_dnnl.post_ops_destroy(post_ops);
            rf_dnnl.attr_destroy(attr);
            return rf_dnnl_fail("sum post-op", status);
        }
        rf_dnnl.post_ops_destroy(post_ops);
    }
    status = op_desc ? rf_dnnl.pd_create(&plan->pd[step], op_desc, attr, rf_dnnl_engine, NULL)
                     : rf_dnnl.reorder_pd_create(&plan->pd[step], from, rf_dnnl_engine, to, rf_dnnl_engine, attr);
    rf_dnnl.attr_destroy(attr);
    if (status) return rf_dnnl_fail(what, status);
    const memory_desc *scratchpad = rf_dnnl.pd_query_md(plan->pd[step], QUERY_SCRATCHPAD_MD, 0);
    if (scratchpad && rf_dnnl.md_get_size(scratchpad) > 0) {
        plan->scratchpad[step] = scratchpad;
        plan->scratchpad_bytes[step] = rf_dnnl.md_get_size(scratchpad);
    }
    if ((status = rf_dnnl.primitive_create(&plan->primitive[step], plan->pd[step]))) return rf_dnnl_fail(what, status);
    return 0;
}

static int describe(memory_desc *md, int type, int64_t d0, int64_t d1, int64_t d2, int64_t d3, int64_t d4, int64_t s0,
                    int64_t s1, int64_t s2, int64_t s3, int64_t s4) {
    const int64_t dims[5] = {d0, d1, d2, d3, d4}, strides[5] = {s0, s1, s2, s3, s4};
    return rf_dnnl.md_init_by_strides(md, 5, dims, type, strides);
}

static int describe4(memory_desc *md, int64_t d0, int64_t d1, int64_t d2, int64_t d3, int64_t s0, int64_t s1,
                     int64_t s2, int64_t s3) {
    const int64_t dims[4] = {d0, d1, d2, d3}, strides[4] = {s0, s1, s2, s3};
    return rf_dnnl.md_init_by_strides(md, 4, dims, RF_DNNL_F32, strides);
}

static int blocked4(memory_desc *md, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    const int64_t dims[4] = {d0, d1, d2, d3};
    return rf_dnnl.md_init_by_tag(md, 4, dims, RF_DNNL_F32, FORMAT_TAG_ABCD16B);
}

// The Winograd plan (see the top of the file); band_in, frame_plain and frame_slot are made.
// Returns 0, or nonzero with the message set (no Winograd kernel is not an error of the caller).
static int plan_winograd(rf_dnnl_conv *plan) {
    const rf_dnnl_conv_geometry *g = &plan->g;
    const int64_t cin = g->cin, cout = g->cout, kt = g->kernel[0];
    const int64_t fi = plan->frames_in, ri = plan->rows_in, ci = plan->cols_in;
    const int64_t fo = g->frames_out, ro = plan->rows_out, co = plan->cols_out;
    if (g->kernel[1] != 3 || g->kernel[2] != 3 || g->stride[0] != 1 || g->stride[1] != 1 || g->stride[2] != 1 ||
        cin % 16 || cout % 16) {
        rf_dnnl_say("no Winograd convolution for this shape (3x3 taps, stride 1, channels in 16s)");
        return -1;
    }
    plan->taps = (int)kt;
    int status;
    if ((status = describe4(&plan->images_last, fi, cin, ri, ci, ri * ci * cin, 1, ci * cin, cin)) ||
        (status = blocked4(&plan->images_blocked, fi, cin, ri, ci)) ||
        (status = blocked4(&plan->tap_source, fo, cin, ri, ci)) ||
        (status = blocked4(&plan->band_out, fo, cout, ro, co)) ||
        (status = describe4(&plan->weights_plain, cout, cin, 3, 3, cin * 9, 9, 3, 1)) ||
        (status = describe4(&plan->out_plain, fo, cout, ro, co, ro * co, g->dst_frames * ro * co, co, 1))) {
        return rf_dnnl_fail("memory descriptor", status);
    }
    const int64_t weight_dims[4] = {cout, cin, 3, 3}, bias_dims[1] = {cout}, bias_strides[1] = {1};
    if ((status = rf_dnnl.md_init_by_tag(&plan->weights_any, 4, weight_dims, RF_DNNL_F32, FORMAT_TAG_ANY)) ||
        (g->has_bias && (status = rf_dnnl.md_init_by_strides(&plan->bias, 1, bias_dims, RF_DNNL_F32, bias_strides))))
        return rf_dnnl_fail("weights descriptor", status);
    const int64_t ones[2] = {1, 1}, zeros[2] = {0, 0};
    conv_desc first, later;
    if ((status = rf_dnnl.conv_desc_init(&first, FORWARD_INFERENCE, CONVOLUTION_WINOGRAD, &plan->tap_source,
                                          &plan->weights_any, g->has_bias ? &plan->bias : NULL, &plan->band_out, ones,
                                          zeros, zeros)) ||
        (status = rf_dnnl.conv_desc_init(&later, FORWARD_INFERENCE, CONVOLUTION_WINOGRAD, &plan->tap_source,
                                          &plan->weights_any, NULL, &plan->band_out, ones, zeros, zeros)))
        return rf_dnnl_fail("Winograd convolution descriptor", status);
    if (make_step(plan, STEP_CONV, &first, NULL, NULL, 0, "Winograd convolution")) return -1;
    if (kt > 1 && make_step(plan, STEP_SUM, &later, NULL, NULL, 1, "Winograd convolution (sum)")) return -1;
    const char *impl = NULL;
    if (rf_dnnl.pd_query(plan->pd[STEP_CONV], QUERY_IMPL_INFO_STR, 0, &impl) != DNNL_SUCCESS || !impl ||
        !strstr(impl, "wino")) {
        rf_dnnl_say("oneDNN has no Winograd kernel for this CPU");
        return -1;
    }
    snprintf(plan->impl, sizeof plan->impl, "%s", impl);
    plan->weights_packed = rf_dnnl.pd_query_md(plan->pd[STEP_CONV], QUERY_WEIGHTS_MD, 0);
    if (!plan->weights_packed ||
        (kt > 1 && !rf_dnnl.md_equal(plan->weights_packed, rf_dnnl.pd_query_md(plan->pd[STEP_SUM], QUERY_WEIGHTS_MD, 0)))) {
        rf_dnnl_say("oneDNN's Winograd taps read their weights in different layouts");
        return -1;
    }
    if (make_step(plan, STEP_WEIGHTS, NULL, &plan->weights_plain, plan->weights_packed, 0, "weights reorder") ||
        make_step(plan, STEP_FRAME, NULL, &plan->frame_plain, &plan->frame_slot, 0, "frame reorder") ||
        make_step(plan, STEP_BLOCK, NULL, &plan->images_last, &plan->images_blocked, 0, "band reorder") ||
        make_step(plan, STEP_OUT, NULL, &plan->band_out, &plan->out_plain, 0, "output reorder"))
        return -1;
    plan->in_bytes = round_up((size_t)(fi * ri * ci * cin) * sizeof(float));
    plan->blocked_bytes = round_up(rf_dnnl.md_get_size(&plan->images_blocked));
    plan->out_bytes = round_up(rf_dnnl.md_get_size(&plan->band_out));
    for (int i = 0; i < STEPS; i++)
        if (round_up(plan->scratchpad_bytes[i]) > plan->scratch_bytes) plan->scratch_bytes = round_up(plan->scratchpad_bytes[i]);
    plan->tap_weights_bytes = round_up(rf_dnnl.md_get_size(plan->weights_packed));
    // The packed taps, then room for one tap gathered dense (oneDNN reorders into its Winograd
    // layout only from dense weights).
    plan->weights_bytes = plan->tap_weights_bytes * (size_t)kt + round_up((size_t)(cout * cin * 9) * sizeof(float));
    return 0;
}

rf_dnnl_conv *rf_dnnl_conv_plan(const rf_dnnl_conv_geometry *geometry) {
    if (!rf_dnnl_is_open()) {
        rf_dnnl_say("oneDNN is not open");
        return NULL;
    }
    const rf_dnnl_conv_geometry g = *geometry;
    if (rf_dnnl.omp_set_num_threads && g.threads > 0) rf_dnnl.omp_set_num_threads(g.threads);
    if (g.cin <= 0 || g.cout <= 0 || g.frames_out <= 0 || g.src_rows <= 0 || g.src_cols <= 0) {
        rf_dnnl_say("convolution band with an empty extent");
        return NULL;
    }
    rf_dnnl_conv *plan = calloc(1, sizeof *plan);
    if (!plan) return NULL;
    plan->g = g;
    plan->type = g.type == RF_DNNL_BF16 ? RF_DNNL_BF16 : RF_DNNL_F32;
    plan->element = plan->type == RF_DNNL_BF16 ? 2 : 4;
    const int64_t cin = g.cin, cout = g.cout, kt = g.kernel[0], kh = g.kernel[1], kw = g.kernel[2];
    const int64_t fi = (g.frames_out - 1) * g.stride[0] + kt;
    const int64_t ri = g.src_rows + g.pad_top + g.pad_bottom, ci = g.src_cols + g.pad_left + g.pad_right;
    const int64_t fo = g.frames_out, ro = (ri - kh) / g.stride[1] + 1, co = (ci - kw) / g.stride[2] + 1;
    plan->frames_in = fi, plan->rows_in = ri, plan->cols_in = ci, plan->rows_out = ro, plan->cols_out = co;
    const int64_t src_plane = g.src_frames * g.src_rows * g.src_cols, dst_plane = g.dst_frames * ro * co;
    int status;
    // Channels-last band buffers; the plain layouts of the caller's tensors; a frame's interior
    // inside the input band (same strides as the band, offset by the caller's pointer).
    const int t = plan->type;
    if ((status = describe(&plan->band_in, t, 1, cin, fi, ri, ci, fi * ri * ci * cin, 1, ri * ci * cin, ci * cin, cin)) ||
        (status = describe(&plan->band_out, t, 1, cout, fo, ro, co, fo * ro * co * cout, 1, ro * co * cout, co * cout, cout)) ||
        (status = describe(&plan->weights_plain, t, cout, cin, kt, kh, kw, cin * kt * kh * kw, kt * kh * kw, kh * kw, kw, 1)) ||
        (status = describe(&plan->frame_plain, t, 1, cin, 1, g.src_rows, g.src_cols, cin * src_plane, src_plane,
                           g.src_rows * g.src_cols, g.src_cols, 1)) ||
        (status = describe(&plan->frame_slot, t, 1, cin, 1, g.src_rows, g.src_cols, fi * ri * ci * cin, 1, ri * ci * cin,
                           ci * cin, cin)) ||
        (status = describe(&plan->out_plain, t, 1, cout, fo, ro, co, cout * dst_plane, dst_plane, ro * co, co, 1))) {
        rf_dnnl_fail("memory descriptor", status);
        goto failed;
    }
    if (g.winograd) {
        if (plan->type != RF_DNNL_F32) {
            rf_dnnl_say("no Winograd convolution for bf16");
            goto failed;
        }
        if (plan_winograd(plan)) goto failed;
        return plan;
    }
    const int64_t weight_dims[5] = {cout, cin, kt, kh, kw}, bias_dims[1] = {cout}, bias_strides[1] = {1};
    if ((status = rf_dnnl.md_init_by_tag(&plan->weights_any, 5, weight_dims, t, FORMAT_TAG_ANY)) ||
        (g.has_bias && (status = rf_dnnl.md_init_by_strides(&plan->bias, 1, bias_dims, RF_DNNL_F32, bias_strides)))) {
        rf_dnnl_fail("weights descriptor", status);
        goto failed;
    }
    conv_desc desc;
    const int64_t zeros[3] = {0, 0, 0};
    if ((status = rf_dnnl.conv_desc_init(&desc, FORWARD_INFERENCE, CONVOLUTION_DIRECT, &plan->band_in, &plan->weights_any,
                                          g.has_bias ? &plan->bias : NULL, &plan->band_out, g.stride, zeros, zeros))) {
        rf_dnnl_fail("convolution descriptor", status);
        goto failed;
    }
    if (make_step(plan, STEP_CONV, &desc, NULL, NULL, 0, "convolution primitive")) goto failed;
    const char *impl = NULL;
    if (rf_dnnl.pd_query(plan->pd[STEP_CONV], QUERY_IMPL_INFO_STR, 0, &impl) == DNNL_SUCCESS && impl)
        snprintf(plan->impl, sizeof plan->impl, "%s", impl);
    plan->weights_packed = rf_dnnl.pd_query_md(plan->pd[STEP_CONV], QUERY_WEIGHTS_MD, 0);
    if (!plan->weights_packed) {
        rf_dnnl_say("oneDNN convolution has no weights descriptor");
        goto failed;
    }
    if (make_step(plan, STEP_WEIGHTS, NULL, &plan->weights_plain, plan->weights_packed, 0, "weights reorder") ||
        make_step(plan, STEP_FRAME, NULL, &plan->frame_plain, &plan->frame_slot, 0, "frame reorder") ||
        make_step(plan, STEP_OUT, NULL, &plan->band_out, &plan->out_plain, 0, "output reorder"))
        goto failed;
    plan->in_bytes = round_up((size_t)(fi * ri * ci * cin) * plan->element);
    plan->out_bytes = round_up((size_t)(fo * ro * co * cout) * plan->element);
    for (int i = 0; i < STEPS; i++)
        if (round_up(plan->scratchpad_bytes[i]) > plan->scratch_bytes) plan->scratch_bytes = round_up(plan->scratchpad_bytes[i]);
    plan->weights_bytes = rf_dnnl.md_get_size(plan->weights_packed);
    return plan;
failed:
    rf_dnnl_conv_free(plan);
    return NULL;
}

const char *rf_dnnl_conv_impl(const rf_dnnl_conv *plan) { return plan->impl; }
size_t rf_dnnl_conv_weights_bytes(const rf_dnnl_conv *plan) { return plan->weights_bytes; }
size_t rf_dnnl_conv_workspace_bytes(const rf_dnnl_conv *plan) {
    return plan->in_bytes + plan->blocked_bytes + plan->out_bytes + plan->scratch_bytes;
}

// Runs one step with its memories (arguments `kinds`, descriptors `mds`, pointers `data`) and a
// scratchpad at `scratch` if it needs one; waits for it.
static int run_step(rf_dnnl_conv *plan, int step, int n, const int *kinds, const memory_desc *const *mds,
                    void *const *data, void *scratch, const char *what) {
    void *memories[6] = {0};
    exec_arg args[6];
    int nargs = 0, status = 0;
    for (int i = 0; i < n; i++) {
        if (!data[i]) continue;
        if ((status = rf_dnnl.memory_create(&memories[nargs], mds[i], rf_dnnl_engine, data[i]))) {
            rf_dnnl_fail("memory", status);
            goto done;
        }
        args[nargs] = (exec_arg){kinds[i], memories[nargs]};
        nargs++;
    }
    if (plan->scratchpad[step]) {
        if ((status = rf_dnnl.memory_create(&memories[nargs], plan->scratchpad[step], rf_dnnl_engine, scratch))) {
            rf_dnnl_fail("scratchpad memory", status);
            goto done;
        }
        args[nargs] = (exec_arg){ARG_SCRATCHPAD, memories[nargs]};
        nargs++;
    }
    void *stream = rf_dnnl_thread_stream(&status);
    if (!stream) {
        rf_dnnl_fail("stream", status);
        goto done;
    }
    if ((status = rf_dnnl.primitive_execute(plan->primitive[step], stream, nargs, args))) {
        rf_dnnl_fail(what, status);
        goto done;
    }
    if ((status = rf_dnnl.stream_wait(stream))) rf_dnnl_fail("stream wait", status);
done:
    for (int i = 0; i < 6; i++)
        if (memories[i]) rf_dnnl.memory_destroy(memories[i]);
    return status;
}

int rf_dnnl_conv_same_weights(const rf_dnnl_conv *a, const rf_dnnl_conv *b) {
    return a == b || rf_dnnl.md_equal(a->weights_packed, b->weights_packed);
}

int rf_dnnl_conv_pack(rf_dnnl_conv *plan, const void *weights, void *packed, int threads) {
    // bf16 only: oneDNN 2.6 reorders float32 weights faster than the table does (0.46 ms for a
    // 256 x 256 x 3x3x3 weight), bf16 ones (VNNI pairs) four times slower.
    if (!plan->taps && plan->type == RF_DNNL_BF16 && rf_dnnl_pack_blocked(plan->weights_packed, weights, packed, plan->element, plan->weights_bytes, threads) == 0)
        return 0;
    // Winograd: each temporal tap transformed here, 10-30x faster than oneDNN's reorder
    // (cdnnl_winograd_weights.c); the first tap tells whether the layout is the expected one.
    if (plan->taps) {
        int status = 0;
        for (int64_t dt = 0; dt < plan->taps && !status; dt++)
            status = rf_dnnl_pack_winograd(plan->weights_packed, weights, plan->taps, dt,
                                           (float *)((char *)packed + (size_t)dt * plan->tap_weights_bytes), threads);
        if (!status) return 0;
    }
    return rf_dnnl_conv_pack_by_reorder(plan, weights, packed, threads);
}

size_t rf_dnnl_conv_packed_bytes(const rf_dnnl_conv *plan) {
    return plan->taps ? plan->tap_weights_bytes * (size_t)plan->taps : plan->weights_bytes;
}

int rf_dnnl_conv_pack_by_reorder(rf_dnnl_conv *plan, const void *weights, void *packed, int threads) {
    if (rf_dnnl.omp_set_num_threads && threads > 0) rf_dnnl.omp_set_num_threads(threads);
    void *scratch = NULL;
    if (plan->scratchpad_bytes[STEP_WEIGHTS] &&
        !(scratch = aligned_alloc(64, round_up(plan->scratchpad_bytes[STEP_WEIGHTS])))) {
        rf_dnnl_say("no memory for a oneDNN scratchpad");
        return -1;
    }
    const int kinds[2] = {ARG_FROM, ARG_TO};
    const memory_desc *mds[2] = {&plan->weights_plain, plan->weights_packed};
    int status = 0;
    if (!plan->taps) {
        void *const data[2] = {(void *)weights, packed};
        status = run_step(plan, STEP_WEIGHTS, 2, kinds, mds, data, scratch, "weights reorder");
    }
    // Winograd: one packing per temporal tap, from that tap gathered dense after the packed taps.
    const int64_t pairs = plan->g.cout * plan->g.cin, kt = plan->taps;
    float *dense = (float *)((char *)packed + plan->tap_weights_bytes * (size_t)kt);
    for (int64_t dt = 0; dt < kt && !status; dt++) {
        for (int64_t pair = 0; pair < pairs; pair++)
            memcpy(dense + pair * 9, (const float *)weights + (pair * kt + dt) * 9, 9 * sizeof(float));
        void *const data[2] = {dense, (char *)packed + (size_t)dt * plan->tap_weights_bytes};
        status = run_step(plan, STEP_WEIGHTS, 2, kinds, mds, data, scratch, "weights reorder");
    }
    free(scratch);
    return status;
}

// Where a padded position `p` reads along an axis of `n` elements, or -1 for a zero (the same
// rule as the Swift side's IndexMap.resolve).
static int64_t resolve(int64_t p, int64_t n, int mode) {
    if (p >= 0 && p < n) return p;
    switch (mode) {
    case RF_DNNL_PAD_REFLECT: return p < 0 ? -p : 2 * (n - 1) - p;
    case RF_DNNL_PAD_REPLICATE: return p < 0 ? 0 : n - 1;
    default: return -1;
    }
}

// Writes the spatial padding around one frame's interior in the channels-last band buffer:
// the side columns of the interior rows first, then whole padding rows (copies of complete rows).
static void fill_padding(const rf_dnnl_conv *plan, char *slot) {
    const rf_dnnl_conv_geometry *g = &plan->g;
    const size_t vector = (size_t)g->cin * plan->element, row_bytes = (size_t)plan->cols_in * vector;
    if (g->pad_left || g->pad_right) {
        for (int64_t r = g->pad_top; r < g->pad_top + g->src_rows; r++) {
            char *row = slot + r * row_bytes;
            for (int64_t c = 0; c < plan->cols_in; c++) {
                if (c == g->pad_left) c = g->pad_left + g->src_cols;
                if (c >= plan->cols_in) break;
                const int64_t s = resolve(c - g->pad_left, g->src_cols, g->col_mode);
                if (s < 0) memset(row + c * vector, 0, vector);
                else memcpy(row + c * vector, row + (s + g->pad_left) * vector, vector);
            }
        }
    }
    for (int64_t r = 0; r < plan->rows_in; r++) {
        if (r == g->pad_top) r = g->pad_top + g->src_rows;
        if (r >= plan->rows_in) break;
        const int64_t s = resolve(r - g->pad_top, g->src_rows, g->row_mode);
        char *row = slot + r * row_bytes;
        if (s < 0) memset(row, 0, row_bytes);
        else memcpy(row, slot + (s + g->pad_top) * row_bytes, row_bytes);
    }
}

int rf_dnnl_conv_run(rf_dnnl_conv *plan, const void *input, const int64_t *frame_source, const void *packed,
                     const float *bias, void *output, int64_t first_out, void *workspace, int threads) {
    const rf_dnnl_conv_geometry *g = &plan->g;
    if (rf_dnnl.omp_set_num_threads && threads > 0) rf_dnnl.omp_set_num_threads(threads);
    char *band_in = workspace, *band_out = (char *)workspace + plan->in_bytes;
    void *scratch = (char *)workspace + plan->in_bytes + plan->out_bytes + plan->blocked_bytes;
    const size_t element = plan->element, slot_bytes = (size_t)(plan->rows_in * plan->cols_in * g->cin) * element;
    const size_t frame_bytes = (size_t)(g->src_rows * g->src_cols) * element;
    const int frame_kinds[2] = {ARG_FROM, ARG_TO};
    const memory_desc *frame_mds[2] = {&plan->frame_plain, &plan->frame_slot};
    int status;
    for (int64_t j = 0; j < plan->frames_in; j++) {
        char *slot = band_in + j * slot_bytes;
        const int64_t source = frame_source[j];
        if (source < 0) {
            memset(slot, 0, slot_bytes);
            continue;
        }
        void *const data[2] = {(char *)input + source * frame_bytes,
                               slot + (size_t)((g->pad_top * plan->cols_in + g->pad_left) * g->cin) * element};
        if ((status = run_step(plan, STEP_FRAME, 2, frame_kinds, frame_mds, data, scratch, "frame reorder"))) return status;
        fill_padding(plan, slot);
    }
    const int conv_kinds[4] = {ARG_SRC, ARG_WEIGHTS, ARG_BIAS, ARG_DST};
    if (plan->taps) {
        // Winograd: the band into 16-channel blocks, then one 2-D convolution per temporal tap.
        float *blocked = (float *)(band_out + plan->out_bytes);
        const int block_kinds[2] = {ARG_FROM, ARG_TO};
        const memory_desc *block_mds[2] = {&plan->images_last, &plan->images_blocked};
        void *const block_data[2] = {band_in, blocked};
        if ((status = run_step(plan, STEP_BLOCK, 2, block_kinds, block_mds, block_data, scratch, "band reorder")))
            return status;
        const int64_t image_floats = plan->rows_in * plan->cols_in * g->cin;
        for (int dt = 0; dt < plan->taps; dt++) {
            const memory_desc *mds[4] = {&plan->tap_source, plan->weights_packed, &plan->bias, &plan->band_out};
            void *const data[4] = {blocked + dt * image_floats, (char *)packed + (size_t)dt * plan->tap_weights_bytes,
                                   dt == 0 && g->has_bias ? (void *)bias : NULL, band_out};
            if ((status = run_step(plan, dt == 0 ? STEP_CONV : STEP_SUM, 4, conv_kinds, mds, data, scratch,
                                   "Winograd convolution")))
                return status;
        }
    } else {
        const memory_desc *conv_mds[4] = {&plan->band_in, plan->weights_packed, &plan->bias, &plan->band_out};
        void *const conv_data[4] = {band_in, (void *)packed, g->has_bias ? (void *)bias : NULL, band_out};
        if ((status = run_step(plan, STEP_CONV, 4, conv_kinds, conv_mds, conv_data, scratch, "convolution")))
            return status;
    }
    const int out_kinds[2] = {ARG_FROM, ARG_TO};
    const memory_desc *out_mds[2] = {&plan->band_out, &plan->out_plain};
    void *const out_data[2] = {band_out, (char *)output + (size_t)(first_out * plan->rows_out * plan->cols_out) * element};
    return run_step(plan, STEP_OUT, 2, out_kinds, out_mds, out_data, scratch, "output reorder");
}
