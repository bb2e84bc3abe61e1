// CDNNL: matrix products and convolutions through oneDNN (libdnnl.so.2, the 2.x ABI that Debian 12 ships),
// opened at run time. Nothing links against oneDNN at build time: without the library every
// entry point reports it missing and the CPU backend keeps its OpenBLAS path.
//
// The few oneDNN 2.x entry points used are declared privately in cdnnl.c; this header is the
// whole surface the Swift side sees: open the library once, plan one product shape, run it;
// plan one convolution band shape, pack its weights, run it band by band.
#ifndef CDNNL_H
#define CDNNL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Element types, as oneDNN 2.x numbers them (dnnl_data_type_t).
enum { RF_DNNL_F16 = 1, RF_DNNL_BF16 = 2, RF_DNNL_F32 = 3 };

// Opens oneDNN (`path`, or "libdnnl.so.2" through the loader's search when NULL) and makes
// its CPU engine. Returns 0 on success; otherwise rf_dnnl_message() says what failed. Only
// the first call does anything: later calls return the first call's result.
int rf_dnnl_open(const char *path);

// What the last failure was (the library, the symbol or the oneDNN status), or "".
const char *rf_dnnl_message(void);

// "major.minor.patch" of the opened library, or "" before a successful rf_dnnl_open.
const char *rf_dnnl_version(void);

// One planned product: C[b] = A[b] · B[b] (+ bias), for b < batch, where A[b] is M x K,
// B[b] is K x N and C[b] is M x N, each read or written through its own strides
// {batch stride, row stride, column stride} in elements (so a transposed operand costs
// nothing). The bias is one row of N values added to every row, in `bias_type`, or none
// when `bias_type` is 0. Accumulation is in float32; C is rounded once to `c_type`.
typedef struct rf_dnnl_plan rf_dnnl_plan;

// Plans the product for runs on `threads` threads, or returns NULL (rf_dnnl_message says why).
// oneDNN fixes a kernel's split of the work when it plans it, from the calling thread's OpenMP
// thread count, so a plan is made for the count it will run on and run with that count.
// `implementation_prefix` (e.g. "gemm:jit") takes the first implementation oneDNN offers whose
// name starts with it, where one does; NULL, or none matching, takes oneDNN's first choice.
rf_dnnl_plan *rf_dnnl_matmul_plan(
    int64_t batch, int64_t m, int64_t k, int64_t n,
    int a_type, const int64_t a_strides[3],
    int b_type, const int64_t b_strides[3],
    int c_type, const int64_t c_strides[3],
    int bias_type, int threads, const char *implementation_prefix);

// The oneDNN implementation chosen, e.g. "brg:avx512_core_amx_bf16".
const char *rf_dnnl_plan_impl(const rf_dnnl_plan *plan);

// Runs the plan on `threads` threads (the calling thread's OpenMP setting) and waits for it.
// Returns 0, or a oneDNN status (rf_dnnl_message says which call failed). Any thread may run a
// plan, several at once: each run has its own scratchpad (oneDNN's user scratchpad mode) and
// each thread its own stream.
int rf_dnnl_plan_run(rf_dnnl_plan *plan, const void *a, const void *b, const void *bias, void *c, int threads);

// Bytes of the scratchpad a run of the plan needs; bytes of scratchpad the calling thread keeps
// between runs (the largest it has needed, up to 64 MiB; a larger one is freed after its run).
size_t rf_dnnl_plan_scratchpad_bytes(const rf_dnnl_plan *plan);
size_t rf_dnnl_thread_scratchpad_bytes(void);

void rf_dnnl_plan_free(rf_dnnl_plan *plan);

// A float32 or bf16 3-D convolution (groups 1, dilation 1) of one batch item, run in bands of output
// frames. The input `[cin][src_frames][src_rows][src_cols]` and the output
// `[cout][dst_frames][rows_out][cols_out]` stay in the caller's plain layout; a band copies its
// input frames into a channels-last buffer with the spatial padding filled in (zeros, reflect or
// replicate), convolves it with oneDNN's direct kernels into a second channels-last buffer and
// copies that into the output's frames. Which input frame each band slot holds (temporal padding
// and stride included) is the caller's choice, per run.
enum { RF_DNNL_PAD_ZEROS = 0, RF_DNNL_PAD_REFLECT = 1, RF_DNNL_PAD_REPLICATE = 2 };

typedef struct {
    int64_t cin, cout;
    int64_t kernel[3], stride[3];      // (frames, rows, columns)
    int64_t src_frames, src_rows, src_cols;
    int64_t pad_top, pad_bottom, pad_left, pad_right;
    int row_mode, col_mode;            // RF_DNNL_PAD_*
    int64_t frames_out;                // output frames per band; the band reads
                                       // (frames_out - 1) * stride[0] + kernel[0] input frames
    int64_t dst_frames;                // output frames of the whole item
    int has_bias;
    int winograd;                      // 1: 3x3 spatial taps by Winograd F(4x4, 3x3), see below
    int type;                          // of input, weights and output: RF_DNNL_F32 (or 0) or
                                       // RF_DNNL_BF16; the bias is float32 either way
    int threads;                       // the thread count its runs use (planned for it, as
                                       // rf_dnnl_matmul_plan is); 0: the caller's setting
} rf_dnnl_conv_geometry;

// With `winograd` set, a stride-1 convolution with 3x3 spatial taps and channel counts that are
// multiples of 16 runs as one 2-D Winograd convolution per temporal tap (oneDNN's
// jit_wino_4x3, AVX-512 only; the band's frames are its batch), each later tap summed into the
// first's result; planning fails where oneDNN has no Winograd kernel, and the caller then plans
// the direct one.
typedef struct rf_dnnl_conv rf_dnnl_conv;

// Plans a band shape, or returns NULL (rf_dnnl_message says why).
rf_dnnl_conv *rf_dnnl_conv_plan(const rf_dnnl_conv_geometry *geometry);

// The oneDNN implementation chosen for the convolution, e.g. "brgconv:avx512_core".
const char *rf_dnnl_conv_impl(const rf_dnnl_conv *plan);

// Bytes of the packed weights, and of the work buffers one band needs.
size_t rf_dnnl_conv_weights_bytes(const rf_dnnl_conv *plan);
size_t rf_dnnl_conv_workspace_bytes(const rf_dnnl_conv *plan);

// Whether two plans read their packed weights in the same layout (one packing serves both).
int rf_dnnl_conv_same_weights(const rf_dnnl_conv *a, const rf_dnnl_conv *b);

// Reorders the plain weights `[cout][cin][kt][kh][kw]` into the layout the plan's kernel reads.
// bf16 blocked layouts are packed by table (cdnnl_weight_packing.c), Winograd's transformed tap by
// tap (cdnnl_winograd_weights.c), float32 blocked ones by oneDNN's reorder;
// rf_dnnl_conv_pack_by_reorder always takes oneDNN's reorder (tests compare the two).
int rf_dnnl_conv_pack(rf_dnnl_conv *plan, const void *weights, void *packed, int threads);
int rf_dnnl_conv_pack_by_reorder(rf_dnnl_conv *plan, const void *weights, void *packed, int threads);
// The bytes of a packing the convolution reads: the whole packing, less the room a Winograd plan
// keeps after its taps for oneDNN's reorder (which rf_dnnl_conv_pack leaves as it is there).
size_t rf_dnnl_conv_packed_bytes(const rf_dnnl_conv *plan);

// One band: output frames `first_out ..< first_out + frames_out` of one item. `frame_source`
// holds, per band input slot, the input frame it reads, or -1 for a frame of zeros.
// `workspace` holds rf_dnnl_conv_workspace_bytes, 64-byte aligned. Returns 0 or a status.
// bf16 accumulates in float32, adds the bias in float32 and rounds once to bf16.
int rf_dnnl_conv_run(rf_dnnl_conv *plan, const void *input, const int64_t *frame_source, const void *packed,
                     const float *bias, void *output, int64_t first_out, void *workspace, int threads);

void rf_dnnl_conv_free(rf_dnnl_conv *plan);

#ifdef __cplusplus
}
#endif

#endif
