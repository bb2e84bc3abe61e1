// oneDNN 2.x at run time: the entry points below are looked up with dlsym in libdnnl.so.2.
// The descriptors oneDNN fills in (memory and matmul descriptors) are plain structs that
// the caller owns; this file treats them as opaque blocks, sized above their 2.x sizes (696
// and 2800 bytes in 2.6) and aligned for the 64-bit fields they hold.
#define _GNU_SOURCE
#include "CDNNL.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { _Alignas(16) unsigned char bytes[1024]; } memory_desc;
typedef struct { _Alignas(16) unsigned char bytes[4096]; } matmul_desc;
typedef struct { int major, minor, patch; const char *hash; unsigned cpu_runtime, gpu_runtime; } version_info;
typedef struct { int arg; void *memory; } exec_arg;

enum { DNNL_SUCCESS = 0, DNNL_CPU_ENGINE = 1, DNNL_STREAM_DEFAULT = 1, QUERY_IMPL_INFO_STR = 8 };
enum { ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41, ARG_SCRATCHPAD = 80 };
enum { SCRATCHPAD_MODE_USER = 1, QUERY_SCRATCHPAD_MD = 136 };

static struct {
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
} api;

static void *engine;
static int open_status = -1;
static char version_text[32];
static __thread char message[256];
static char open_message[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *open_path;

static int fail(const char *what, int status) {
    snprintf(message, sizeof message, "oneDNN %s failed with status %d", what, status);
    return status ? status : -1;
}

static void open_library(void) {
    const char *path = open_path ? open_path : "libdnnl.so.2";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(open_message, sizeof open_message, "%s could not be opened (%s)", path, dlerror());
        return;
    }
#define LOOK(field, name)                                                                                  \
    if (!(*(void **)&api.field = dlsym(handle, name))) {                                                   \
        snprintf(open_message, sizeof open_message, "%s has no %s (not the oneDNN 2.x ABI?)", path, name); \
        return;                                                                                            \
    }
    LOOK(engine_create, "dnnl_engine_create")
    LOOK(stream_create, "dnnl_stream_create")
    LOOK(stream_wait, "dnnl_stream_wait")
    LOOK(stream_destroy, "dnnl_stream_destroy")
    LOOK(md_init_by_strides, "dnnl_memory_desc_init_by_strides")
    LOOK(matmul_desc_init, "dnnl_matmul_desc_init")
    LOOK(pd_create, "dnnl_primitive_desc_create")
    LOOK(pd_query, "dnnl_primitive_desc_query")
    LOOK(pd_destroy, "dnnl_primitive_desc_destroy")
    LOOK(primitive_create, "dnnl_primitive_create")
    LOOK(primitive_execute, "dnnl_primitive_execute")
    LOOK(primitive_destroy, "dnnl_primitive_destroy")
    LOOK(memory_create, "dnnl_memory_create")
    LOOK(memory_destroy, "dnnl_memory_destroy")
    LOOK(version, "dnnl_version")
    LOOK(attr_create, "dnnl_primitive_attr_create")
    LOOK(attr_destroy, "dnnl_primitive_attr_destroy")
    LOOK(attr_set_scratchpad_mode, "dnnl_primitive_attr_set_scratchpad_mode")
    LOOK(pd_query_md, "dnnl_primitive_desc_query_md")
    LOOK(md_get_size, "dnnl_memory_desc_get_size")
#undef LOOK
    // Debian's build runs on OpenMP; the thread count is the calling thread's setting.
    *(void **)&api.omp_set_num_threads = dlsym(handle, "omp_set_num_threads");
    const version_info *v = api.version();
    if (v->major != 2) {
        snprintf(open_message, sizeof open_message, "%s is oneDNN %d.%d; this build declares the 2.x ABI", path,
                 v->major, v->minor);
        return;
    }
    snprintf(version_text, sizeof version_text, "%d.%d.%d", v->major, v->minor, v->patch);
    int status = api.engine_create(&engine, DNNL_CPU_ENGINE, 0);
    if (status != DNNL_SUCCESS) {
        snprintf(open_message, sizeof open_message, "oneDNN could not make its CPU engine (status %d)", status);
        return;
    }
    open_status = 0;
}

int rf_dnnl_open(const char *path) {
    open_path = path;
    pthread_once(&once, open_library);
    if (open_status != 0) snprintf(message, sizeof message, "%s", open_message);
    return open_status;
}

const char *rf_dnnl_message(void) { return message; }

const char *rf_dnnl_version(void) { return version_text; }

// A plan owns its primitive; its scratchpad is the caller's (oneDNN's user scratchpad mode):
// with Debian's build (DNNL_ENABLE_CONCURRENT_EXEC off) the library's own scratchpad is shared
// by every primitive of the thread that made it, so a primitive run on another thread, or on
// two threads at once, would race on it. With a scratchpad per run, any thread may run a plan,
// several at once.
struct rf_dnnl_plan {
    memory_desc a, b, c, bias;
    const memory_desc *scratchpad;  // inside `pd`
    size_t scratchpad_bytes;
    int has_bias;
    void *pd, *primitive;
    char impl[96];
};

// One stream per calling thread (a CPU stream only orders work). Destroyed when the thread ends.
static pthread_key_t stream_key;
static pthread_once_t stream_once = PTHREAD_ONCE_INIT;
static void destroy_stream(void *stream) { api.stream_destroy(stream); }
static void make_stream_key(void) { pthread_key_create(&stream_key, destroy_stream); }

static void *thread_stream(int *status) {
    pthread_once(&stream_once, make_stream_key);
    void *stream = pthread_getspecific(stream_key);
    if (!stream) {
        if ((*status = api.stream_create(&stream, engine, DNNL_STREAM_DEFAULT))) return NULL;
        pthread_setspecific(stream_key, stream);
    }
    return stream;
}

void rf_dnnl_plan_free(rf_dnnl_plan *plan) {
    if (!plan) return;
    if (plan->primitive) api.primitive_destroy(plan->primitive);
    if (plan->pd) api.pd_destroy(plan->pd);
    free(plan);
}

rf_dnnl_plan *rf_dnnl_matmul_plan(int64_t batch, int64_t m, int64_t k, int64_t n, int a_type,
                                  const int64_t a_strides[3], int b_type, const int64_t b_strides[3], int c_type,
                                  const int64_t c_strides[3], int bias_type) {
    if (open_status != 0) {
        snprintf(message, sizeof message, "oneDNN is not open");
        return NULL;
    }
    rf_dnnl_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return NULL;
    const int64_t a_dims[3] = {batch, m, k}, b_dims[3] = {batch, k, n}, c_dims[3] = {batch, m, n};
    const int64_t bias_dims[3] = {1, 1, n}, bias_strides[3] = {n, n, 1};
    int status;
    if ((status = api.md_init_by_strides(&plan->a, 3, a_dims, a_type, a_strides)) ||
        (status = api.md_init_by_strides(&plan->b, 3, b_dims, b_type, b_strides)) ||
        (status = api.md_init_by_strides(&plan->c, 3, c_dims, c_type, c_strides))) {
        fail("memory descriptor", status);
        goto failed;
    }
    plan->has_bias = bias_type != 0;
    if (plan->has_bias && (status = api.md_init_by_strides(&plan->bias, 3, bias_dims, bias_type, bias_strides))) {
        fail("bias descriptor", status);
        goto failed;
    }
    matmul_desc desc;
    if ((status = api.matmul_desc_init(&desc, &plan->a, &plan->b, plan->has_bias ? &plan->bias : NULL, &plan->c))) {
        fail("matmul descriptor", status);
        goto failed;
    }
    void *attr = NULL;
    if ((status = api.attr_create(&attr)) || (status = api.attr_set_scratchpad_mode(attr, SCRATCHPAD_MODE_USER))) {
        if (attr) api.attr_destroy(attr);
        fail("primitive attributes", status);
        goto failed;
    }
    status = api.pd_create(&plan->pd, &desc, attr, engine, NULL);
    api.attr_destroy(attr);
    if (status) {
        fail("matmul primitive descriptor (no implementation for these types and strides?)", status);
        goto failed;
    }
    const memory_desc *scratchpad = api.pd_query_md(plan->pd, QUERY_SCRATCHPAD_MD, 0);
    if (scratchpad) {
        plan->scratchpad = scratchpad;
        plan->scratchpad_bytes = api.md_get_size(scratchpad);
    }
    if ((status = api.primitive_create(&plan->primitive, plan->pd))) {
        fail("matmul primitive", status);
        goto failed;
    }
    const char *impl = NULL;
    if (api.pd_query(plan->pd, QUERY_IMPL_INFO_STR, 0, &impl) == DNNL_SUCCESS && impl)
        snprintf(plan->impl, sizeof plan->impl, "%s", impl);
    return plan;
failed:
    rf_dnnl_plan_free(plan);
    return NULL;
}

const char *rf_dnnl_plan_impl(const rf_dnnl_plan *plan) { return plan->impl; }

int rf_dnnl_plan_run(rf_dnnl_plan *plan, const void *a, const void *b, const void *bias, void *c, int threads) {
    void *memories[5] = {NULL, NULL, NULL, NULL, NULL};
    exec_arg args[5];
    int nargs = 0, status = 0;
    void *scratchpad = NULL;
    if (plan->scratchpad_bytes > 0 && !(scratchpad = aligned_alloc(64, (plan->scratchpad_bytes + 63) & ~(size_t)63))) {
        snprintf(message, sizeof message, "no memory for a oneDNN scratchpad of %zu bytes", plan->scratchpad_bytes);
        return -1;
    }
    const memory_desc *mds[5] = {&plan->a, &plan->b, &plan->c, &plan->bias, plan->scratchpad};
    const void *pointers[5] = {a, b, c, bias, scratchpad};
    const int kinds[5] = {ARG_SRC, ARG_WEIGHTS, ARG_DST, ARG_BIAS, ARG_SCRATCHPAD};
    for (int i = 0; i < 5; i++) {
        if ((i == 3 && !plan->has_bias) || (i == 4 && !scratchpad)) continue;
        if ((status = api.memory_create(&memories[i], mds[i], engine, (void *)pointers[i]))) {
            fail("memory", status);
            goto done;
        }
        args[nargs++] = (exec_arg){kinds[i], memories[i]};
    }
    void *stream = thread_stream(&status);
    if (!stream) {
        fail("stream", status);
        goto done;
    }
    if (api.omp_set_num_threads && threads > 0) api.omp_set_num_threads(threads);
    if ((status = api.primitive_execute(plan->primitive, stream, nargs, args))) {
        fail("matmul", status);
        goto done;
    }
    if ((status = api.stream_wait(stream))) fail("stream wait", status);
done:
    for (int i = 0; i < 5; i++)
        if (memories[i]) api.memory_destroy(memories[i]);
    free(scratchpad);
    return status;
}
