// oneDNN 2.x at run time: the entry points below are looked up with dlsym in libdnnl.so.2.
// The descriptors oneDNN fills in (memory, matmul and convolution descriptors) are plain
// structs that the caller owns; these files treat them as opaque blocks, sized above their 2.x
// sizes (696, 2800 and 5976 bytes in 2.6) and aligned for the 64-bit fields they hold. This
// file opens the library and runs matrix products; cdnnl_convolution.c runs convolutions.
#define _GNU_SOURCE
#include "CDNNL.h"
#include "cdnnl_internal.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rf_dnnl_api rf_dnnl;

void *rf_dnnl_engine;
static int open_status = -1;
static char version_text[32];
static __thread char message[256];
static char open_message[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *open_path;

int rf_dnnl_fail(const char *what, int status) {
    snprintf(message, sizeof message, "oneDNN %s failed with status %d", what, status);
    return status ? status : -1;
}

void rf_dnnl_say(const char *text) { snprintf(message, sizeof message, "%s", text); }

int rf_dnnl_is_open(void) { return open_status == 0; }

static void open_library(void) {
    const char *path = open_path ? open_path : "libdnnl.so.2";
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        snprintf(open_message, sizeof open_message, "%s could not be opened (%s)", path, dlerror());
        return;
    }
#define LOOK(field, name)                                                                                  \
    if (!(*(void **)&rf_dnnl.field = dlsym(handle, name))) {                                               \
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
    LOOK(md_init_by_tag, "dnnl_memory_desc_init_by_tag")
    LOOK(conv_desc_init, "dnnl_convolution_forward_desc_init")
    LOOK(reorder_pd_create, "dnnl_reorder_primitive_desc_create")
    LOOK(md_equal, "dnnl_memory_desc_equal")
    LOOK(post_ops_create, "dnnl_post_ops_create")
    LOOK(post_ops_destroy, "dnnl_post_ops_destroy")
    LOOK(post_ops_append_sum, "dnnl_post_ops_append_sum")
    LOOK(attr_set_post_ops, "dnnl_primitive_attr_set_post_ops")
    LOOK(pd_iterator_create, "dnnl_primitive_desc_iterator_create")
    LOOK(pd_iterator_next, "dnnl_primitive_desc_iterator_next")
    LOOK(pd_iterator_fetch, "dnnl_primitive_desc_iterator_fetch")
    LOOK(pd_iterator_destroy, "dnnl_primitive_desc_iterator_destroy")
#undef LOOK
    // Debian's build runs on OpenMP; the thread count is the calling thread's setting.
    *(void **)&rf_dnnl.omp_set_num_threads = dlsym(handle, "omp_set_num_threads");
    const version_info *v = rf_dnnl.version();
    if (v->major != 2) {
        snprintf(open_message, sizeof open_message, "%s is oneDNN %d.%d; this build declares the 2.x ABI", path,
                 v->major, v->minor);
        return;
    }
    snprintf(version_text, sizeof version_text, "%d.%d.%d", v->major, v->minor, v->patch);
    int status = rf_dnnl.engine_create(&rf_dnnl_engine, DNNL_CPU_ENGINE, 0);
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
static void destroy_stream(void *stream) { rf_dnnl.stream_destroy(stream); }
static void make_stream_key(void) { pthread_key_create(&stream_key, destroy_stream); }

void *rf_dnnl_thread_stream(int *status) {
    pthread_once(&stream_once, make_stream_key);
    void *stream = pthread_getspecific(stream_key);
    if (!stream) {
        if ((*status = rf_dnnl.stream_create(&stream, rf_dnnl_engine, DNNL_STREAM_DEFAULT))) return NULL;
        pthread_setspecific(stream_key, stream);
    }
    return stream;
}

void rf_dnnl_plan_free(rf_dnnl_plan *plan) {
    if (!plan) return;
    if (plan->primitive) rf_dnnl.primitive_destroy(plan->primitive);
    if (plan->pd) rf_dnnl.pd_destroy(plan->pd);
    free(plan);
}

// The first of oneDNN's implementations of `desc` (in its order of preference) whose name
// starts with `prefix`, or NULL where none does.
static void *first_implementation(const matmul_desc *desc, const void *attr, const char *prefix) {
    void *iterator = NULL, *found = NULL;
    if (rf_dnnl.pd_iterator_create(&iterator, desc, attr, rf_dnnl_engine, NULL) != DNNL_SUCCESS) return NULL;
    do {
        void *pd = rf_dnnl.pd_iterator_fetch(iterator);
        const char *impl = NULL;
        if (pd && rf_dnnl.pd_query(pd, QUERY_IMPL_INFO_STR, 0, &impl) == DNNL_SUCCESS && impl &&
            strncmp(impl, prefix, strlen(prefix)) == 0) {
            found = pd;
            break;
        }
        if (pd) rf_dnnl.pd_destroy(pd);
    } while (rf_dnnl.pd_iterator_next(iterator) == DNNL_SUCCESS);
    rf_dnnl.pd_iterator_destroy(iterator);
    return found;
}

rf_dnnl_plan *rf_dnnl_matmul_plan(int64_t batch, int64_t m, int64_t k, int64_t n, int a_type,
                                  const int64_t a_strides[3], int b_type, const int64_t b_strides[3], int c_type,
                                  const int64_t c_strides[3], int bias_type, int threads,
                                  const char *implementation_prefix) {
    // oneDNN splits a kernel's work for the calling thread's OpenMP thread count when it plans
    // it: plan for the count the plan will run on, whatever this thread last ran with.
    if (rf_dnnl.omp_set_num_threads && threads > 0) rf_dnnl.omp_set_num_threads(threads);
    if (open_status != 0) {
        snprintf(message, sizeof message, "oneDNN is not open");
        return NULL;
    }
    rf_dnnl_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return NULL;
    const int64_t a_dims[3] = {batch, m, k}, b_dims[3] = {batch, k, n}, c_dims[3] = {batch, m, n};
    const int64_t bias_dims[3] = {1, 1, n}, bias_strides[3] = {n, n, 1};
    int status;
    if ((status = rf_dnnl.md_init_by_strides(&plan->a, 3, a_dims, a_type, a_strides)) ||
        (status = rf_dnnl.md_init_by_strides(&plan->b, 3, b_dims, b_type, b_strides)) ||
        (status = rf_dnnl.md_init_by_strides(&plan->c, 3, c_dims, c_type, c_strides))) {
        rf_dnnl_fail("memory descriptor", status);
        goto failed;
    }
    plan->has_bias = bias_type != 0;
    if (plan->has_bias && (status = rf_dnnl.md_init_by_strides(&plan->bias, 3, bias_dims, bias_type, bias_strides))) {
        rf_dnnl_fail("bias descriptor", status);
        goto failed;
    }
    matmul_desc desc;
    if ((status = rf_dnnl.matmul_desc_init(&desc, &plan->a, &plan->b, plan->has_bias ? &plan->bias : NULL, &plan->c))) {
        rf_dnnl_fail("matmul descriptor", status);
        goto failed;
    }
    void *attr = NULL;
    if ((status = rf_dnnl.attr_create(&attr)) || (status = rf_dnnl.attr_set_scratchpad_mode(attr, SCRATCHPAD_MODE_USER))) {
        if (attr) rf_dnnl.attr_destroy(attr);
        rf_dnnl_fail("primitive attributes", status);
        goto failed;
    }
    if (implementation_prefix) plan->pd = first_implementation(&desc, attr, implementation_prefix);
    status = plan->pd ? DNNL_SUCCESS : rf_dnnl.pd_create(&plan->pd, &desc, attr, rf_dnnl_engine, NULL);
    rf_dnnl.attr_destroy(attr);
    if (status) {
        rf_dnnl_fail("matmul primitive descriptor (no implementation for these types and strides?)", status);
        goto failed;
    }
    const memory_desc *scratchpad = rf_dnnl.pd_query_md(plan->pd, QUERY_SCRATCHPAD_MD, 0);
    if (scratchpad) {
        plan->scratchpad = scratchpad;
        plan->scratchpad_bytes = rf_dnnl.md_get_size(scratchpad);
    }
    if ((status = rf_dnnl.primitive_create(&plan->primitive, plan->pd))) {
        rf_dnnl_fail("matmul primitive", status);
        goto failed;
    }
    const char *impl = NULL;
    if (rf_dnnl.pd_query(plan->pd, QUERY_IMPL_INFO_STR, 0, &impl) == DNNL_SUCCESS && impl)
        snprintf(plan->impl, sizeof plan->impl, "%s", impl);
    return plan;
failed:
    rf_dnnl_plan_free(plan);
    return NULL;
}

const char *rf_dnnl_plan_impl(const rf_dnnl_plan *plan) { return plan->impl; }

// Each thread keeps the largest scratchpad its runs have needed and reuses it: a scratchpad
// can be tens of MB (oneDNN's gemm kernel keeps its float32 result there: 11.5 MB for a
// 1408 x 2048 product), and allocating it per run faulted its pages in afresh on every call. Freed when the thread ends; one above
// KEPT_SCRATCHPAD_MAX is freed after its run instead, so no thread holds more than that.
enum { KEPT_SCRATCHPAD_MAX = 64 << 20 };
typedef struct { void *pointer; size_t bytes; } thread_scratchpad;
static pthread_key_t scratchpad_key;
static pthread_once_t scratchpad_once = PTHREAD_ONCE_INIT;
static void free_scratchpad(void *kept) {
    free(((thread_scratchpad *)kept)->pointer);
    free(kept);
}
static void make_scratchpad_key(void) { pthread_key_create(&scratchpad_key, free_scratchpad); }

static void *thread_scratchpad_of(size_t bytes) {
    pthread_once(&scratchpad_once, make_scratchpad_key);
    thread_scratchpad *kept = pthread_getspecific(scratchpad_key);
    if (!kept) {
        if (!(kept = calloc(1, sizeof *kept))) return NULL;
        pthread_setspecific(scratchpad_key, kept);
    }
    if (kept->bytes < bytes) {
        free(kept->pointer);
        size_t rounded = (bytes + 63) & ~(size_t)63;
        kept->pointer = aligned_alloc(64, rounded);
        kept->bytes = kept->pointer ? rounded : 0;
    }
    return kept->pointer;
}

size_t rf_dnnl_plan_scratchpad_bytes(const rf_dnnl_plan *plan) { return plan->scratchpad_bytes; }

size_t rf_dnnl_thread_scratchpad_bytes(void) {
    pthread_once(&scratchpad_once, make_scratchpad_key);
    const thread_scratchpad *kept = pthread_getspecific(scratchpad_key);
    return kept ? kept->bytes : 0;
}

int rf_dnnl_plan_run(rf_dnnl_plan *plan, const void *a, const void *b, const void *bias, void *c, int threads) {
    void *memories[5] = {NULL, NULL, NULL, NULL, NULL};
    exec_arg args[5];
    int nargs = 0, status = 0;
    void *scratchpad = NULL;
    if (plan->scratchpad_bytes > 0 && !(scratchpad = thread_scratchpad_of(plan->scratchpad_bytes))) {
        snprintf(message, sizeof message, "no memory for a oneDNN scratchpad of %zu bytes", plan->scratchpad_bytes);
        return -1;
    }
    const memory_desc *mds[5] = {&plan->a, &plan->b, &plan->c, &plan->bias, plan->scratchpad};
    const void *pointers[5] = {a, b, c, bias, scratchpad};
    const int kinds[5] = {ARG_SRC, ARG_WEIGHTS, ARG_DST, ARG_BIAS, ARG_SCRATCHPAD};
    for (int i = 0; i < 5; i++) {
        if ((i == 3 && !plan->has_bias) || (i == 4 && !scratchpad)) continue;
        if ((status = rf_dnnl.memory_create(&memories[i], mds[i], rf_dnnl_engine, (void *)pointers[i]))) {
            rf_dnnl_fail("memory", status);
            goto done;
        }
        args[nargs++] = (exec_arg){kinds[i], memories[i]};
    }
    void *stream = rf_dnnl_thread_stream(&status);
    if (!stream) {
        rf_dnnl_fail("stream", status);
        goto done;
    }
    if (rf_dnnl.omp_set_num_threads && threads > 0) rf_dnnl.omp_set_num_threads(threads);
    if ((status = rf_dnnl.primitive_execute(plan->primitive, stream, nargs, args))) {
        rf_dnnl_fail("matmul", status);
        goto done;
    }
    if ((status = rf_dnnl.stream_wait(stream))) rf_dnnl_fail("stream wait", status);
done:
    for (int i = 0; i < 5; i++)
        if (memories[i]) rf_dnnl.memory_destroy(memories[i]);
    if (plan->scratchpad_bytes > KEPT_SCRATCHPAD_MAX) {
        thread_scratchpad *kept = pthread_getspecific(scratchpad_key);
        free(kept->pointer);
        kept->pointer = NULL;
        kept->bytes = 0;
    }
    return status;
}
