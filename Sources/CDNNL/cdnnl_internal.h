// What the oneDNN wrapper's C files share: the descriptors they treat as opaque blocks, the
// oneDNN 2.x enum values they use, the entry points looked up in libdnnl.so.2 (cdnnl.c), the CPU
// engine and the per-thread stream. Not part of the Swift-facing header.
#ifndef CDNNL_INTERNAL_H
#define CDNNL_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct { _Alignas(16) unsigned char bytes[1024]; } memory_desc;
typedef struct { _Alignas(16) unsigned char bytes[4096]; } matmul_desc;
typedef struct { _Alignas(16) unsigned char bytes[8192]; } conv_desc;  // 5976 bytes in 2.6
typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } version_info;

// The leading fields of a 2.x memory descriptor (dnnl_memory_desc_t, blocked format), read to
// pack weights without oneDNN's reorder (cdnnl_weight_packing.c); same field types, same order.
// The Winograd weights layout of jit_wino_4x3 (dnnl_wino_desc_t, format kind wino; read by
// cdnnl_winograd_weights.c).
enum { FORMAT_KIND_BLOCKED = 2, FORMAT_KIND_WINO = 3, WINO_WEI_OBAAIBOIIO = 4, MAX_NDIMS = 12 };
typedef struct {
    int ndims;
    int64_t dims[MAX_NDIMS];
    int data_type;
    int64_t padded_dims[MAX_NDIMS], padded_offsets[MAX_NDIMS], offset0;
    int format_kind;
    union {
        struct {
            int64_t strides[MAX_NDIMS];
            int inner_nblks;
            int64_t inner_blks[MAX_NDIMS], inner_idxs[MAX_NDIMS];
        } blocking;
        struct {
            int wino_format, r, alpha, ic, oc, ic_block, oc_block, ic2_block, oc2_block;
            float adj_scale;
            size_t size;
        } wino;
    };
} memory_desc_fields;
_Static_assert(sizeof(memory_desc_fields) <= sizeof(memory_desc), "the 2.x descriptor holds these fields");

// Packs plain `[O][I][kd][kh][kw]` weights (2- or 4-byte elements) into the blocked layout
// `packed` describes, zeros in its padding, on `threads` threads (output channels split between
// them); 0, or -1 where the layout is not a plain blocked 5-D one (the caller then runs oneDNN's
// reorder).
int rf_dnnl_pack_blocked(const memory_desc *packed, const void *plain, void *out, size_t element, size_t packed_bytes,
                         int threads);

// Runs `run` on each of `count` parts (`part_bytes` apart from `parts`, at most
// RF_PACK_MAX_THREADS), the first on the calling thread and the others on threads of their own
// (a part whose thread cannot start runs on the calling thread after the first).
enum { RF_PACK_MAX_THREADS = 16 };
void rf_dnnl_run_parts(void *(*run)(void *), void *parts, size_t part_bytes, int count);

// Transforms temporal tap `tap` of plain float32 `[O][I][taps][3][3]` weights into the Winograd
// F(4x4, 3x3) layout `packed` describes (OBaaIBOIio), with the arithmetic of oneDNN's own
// reorder (same products and sums in the same order, so the same bits), on `threads` threads;
// 0, or -1 where `packed` is not that layout (the caller then runs oneDNN's reorder).
int rf_dnnl_pack_winograd(const memory_desc *packed, const float *plain, int64_t taps, int64_t tap, float *out,
                          int threads);
typedef struct { int arg; void *memory; } exec_arg;

enum { DNNL_SUCCESS = 0, DNNL_ITERATOR_ENDS = 4, DNNL_CPU_ENGINE = 1, DNNL_STREAM_DEFAULT = 1, QUERY_IMPL_INFO_STR = 8 };
enum { ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41, ARG_SCRATCHPAD = 80 };
enum { SCRATCHPAD_MODE_USER = 1, QUERY_SCRATCHPAD_MD = 136, QUERY_WEIGHTS_MD = 131 };
enum { FORMAT_TAG_ANY = 1, FORMAT_TAG_ABCD16B = 69, FORWARD_INFERENCE = 96, CONVOLUTION_DIRECT = 1 };
enum { CONVOLUTION_WINOGRAD = 2, ARG_FROM = 1, ARG_TO = 17 };

typedef struct {
    int (*engine_create)(void **engine, int kind, size_t index);
    int (*stream_create)(void **stream, void *engine, unsigned flags);
    int (*stream_wait)(void *stream);
    int (*stream_destroy)(void *stream);
    int (*md_init_by_strides)(memory_desc *md, int ndims, const int64_t *dims, int type, const int64_t *strides);
    int (*matmul_desc_init)(matmul_desc *desc, const memory_desc *src, const memory_desc *weights,
                            const memory_desc *bias, const memory_desc *dst);
    int (*pd_create)(void **pd, const void *op_desc, const void *attr, void *engine, const void *hint);
    int (*pd_query)(const void *pd, int what, int index, void *result);
    int (*pd_destroy)(void *pd);
    int (*primitive_create)(void **primitive, const void *pd);
    int (*primitive_execute)(const void *primitive, void *stream, int nargs, const exec_arg *args);
    int (*primitive_destroy)(void *primitive);
    int (*memory_create)(void **memory, const memory_desc *md, void *engine, void *handle);
    int (*memory_destroy)(void *memory);
    const version_info *(*version)(void);
    int (*attr_create)(void **attr);
    int (*attr_destroy)(void *attr);
    int (*attr_set_scratchpad_mode)(void *attr, int mode);
    const memory_desc *(*pd_query_md)(const void *pd, int what, int index);
    size_t (*md_get_size)(const memory_desc *md);
    void (*omp_set_num_threads)(int);
    int (*md_init_by_tag)(memory_desc *md, int ndims, const int64_t *dims, int type, int tag);
    int (*conv_desc_init)(conv_desc *desc, int prop_kind, int alg_kind, const memory_desc *src,
                          const memory_desc *weights, const memory_desc *bias, const memory_desc *dst,
                          const int64_t *strides, const int64_t *padding_l, const int64_t *padding_r);
    int (*reorder_pd_create)(void **pd, const memory_desc *src, void *src_engine, const memory_desc *dst,
                             void *dst_engine, const void *attr);
    int (*md_equal)(const memory_desc *a, const memory_desc *b);
    int (*post_ops_create)(void **post_ops);
    int (*post_ops_destroy)(void *post_ops);
    int (*post_ops_append_sum)(void *post_ops, float scale);
    int (*attr_set_post_ops)(void *attr, const void *post_ops);
    int (*pd_iterator_create)(void **iterator, const void *op_desc, const void *attr, void *engine, const void *hint);
    int (*pd_iterator_next)(void *iterator);
    void *(*pd_iterator_fetch)(const void *iterator);
    int (*pd_iterator_destroy)(void *iterator);
} rf_dnnl_api;


// Filled by rf_dnnl_open (cdnnl.c); valid once it returned 0.
extern rf_dnnl_api rf_dnnl;
extern void *rf_dnnl_engine;

// Records "oneDNN <what> failed with status <status>" for rf_dnnl_message; returns the status
// (or -1 for 0).
int rf_dnnl_fail(const char *what, int status);
// Records a message of the caller's own for rf_dnnl_message.
void rf_dnnl_say(const char *text);
// The calling thread's stream, made on first use; NULL with *status set on failure.
void *rf_dnnl_thread_stream(int *status);
// Whether rf_dnnl_open succeeded.
int rf_dnnl_is_open(void);

#endif
