// CDNNL: matrix products through oneDNN (libdnnl.so.2, the 2.x ABI that Debian 12 ships),
// opened at run time. Nothing links against oneDNN at build time: without the library every
// entry point reports it missing and the CPU backend keeps its OpenBLAS path.
//
// The few oneDNN 2.x entry points used are declared privately in cdnnl.c; this header is the
// whole surface the Swift side sees: open the library once, plan one product shape, run it.
#ifndef CDNNL_H
#define CDNNL_H

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

// Plans the product, or returns NULL (rf_dnnl_message says why).
rf_dnnl_plan *rf_dnnl_matmul_plan(
    int64_t batch, int64_t m, int64_t k, int64_t n,
    int a_type, const int64_t a_strides[3],
    int b_type, const int64_t b_strides[3],
    int c_type, const int64_t c_strides[3],
    int bias_type);

// The oneDNN implementation chosen, e.g. "brg:avx512_core_amx_bf16".
const char *rf_dnnl_plan_impl(const rf_dnnl_plan *plan);

// Runs the plan on `threads` threads (the calling thread's OpenMP setting) and waits for it.
// Returns 0, or a oneDNN status (rf_dnnl_message says which call failed). Any thread may run a
// plan, several at once: each run has its own scratchpad (oneDNN's user scratchpad mode) and
// each thread its own stream.
int rf_dnnl_plan_run(rf_dnnl_plan *plan, const void *a, const void *b, const void *bias, void *c, int threads);

void rf_dnnl_plan_free(rf_dnnl_plan *plan);

#ifdef __cplusplus
}
#endif

#endif
