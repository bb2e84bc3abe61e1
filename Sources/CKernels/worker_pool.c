#define _GNU_SOURCE
// A pool of persistent worker threads for the tensor ops' parallel loops (see CKernels.h,
// `reelflow_pool_run`). Linux only (futex); elsewhere `reelflow_pool_run` declines and the
// caller runs its portable path.
#include "CKernels.h"

#if defined(__linux__)

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define RF_RELAX() _mm_pause()
#else
#define RF_RELAX() ((void)0)
#endif

enum { RF_POOL_MAX_WORKERS = 255 };

// How long an idle worker spins for the next job before it sleeps (ns).
#define REELFLOW_POOL_SPIN_NS 100000u

// One published job. Two slots alternate, so a job's fields are never rewritten while a worker
// that saw it might still read them: slot g & 1 is written for job g only after job g - 1
// finished, and a worker runs an item of job g only after claiming it in `ticket`, which
// holds job g's number until job g + 1 is published (after job g finished).
struct rf_pool_job {
    _Atomic(rf_pool_item) function;
    _Atomic(void *) context;
    _Atomic long count;
    _Atomic int participants;  // threads that may take items, the caller included
    _Atomic int caller_cpu;    // the CPU the caller published it from
};

static struct {
    pthread_mutex_t start_lock;
    int started;                 // workers running (read and written under start_lock)
    atomic_flag busy;            // held by the one caller whose job is published
    _Atomic uint64_t ticket;     // job number << 32 | next item to claim
    _Atomic long remaining;      // items of the current job not yet finished
    _Atomic uint32_t wake_word;  // bumped at each job; sleeping workers wait on it
    _Atomic int sleepers;
    _Atomic int spin_off;        // > 0: idle workers sleep at once (someone else needs the cores)
    struct rf_pool_job jobs[2];
} pool = {.start_lock = PTHREAD_MUTEX_INITIALIZER, .busy = ATOMIC_FLAG_INIT};

static _Thread_local int rf_worker_index = -1;  // this thread's index in the pool, or -1

static void futex_wait(_Atomic uint32_t *word, uint32_t expected) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake_all(_Atomic uint32_t *word) {
    syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

// A worker that finds itself on the caller's CPU moves: it forbids itself that CPU, which makes
// the kernel migrate it now, then allows it again. The kernel places a woken thread beside its
// waker (to share its cache), and a worker that spins from then on is never woken again, so
// both would share one core for good, each at half speed, with the other core idle.
static void leave_cpu(int cpu) {
    cpu_set_t allowed, others;
    if (cpu < 0 || cpu >= CPU_SETSIZE || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    if (CPU_COUNT(&allowed) < 2 || !CPU_ISSET(cpu, &allowed)) return;
    others = allowed;
    CPU_CLR(cpu, &others);
    if (sched_setaffinity(0, sizeof others, &others) == 0) sched_setaffinity(0, sizeof allowed, &allowed);
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// Takes items of job `number` (thread `worker` of the job's participants) until none is left;
// returns when the job has no unclaimed item.
static void take_items(uint32_t number, int worker) {
    const struct rf_pool_job *job = &pool.jobs[number & 1];
    rf_pool_item function = atomic_load_explicit(&job->function, memory_order_acquire);
    void *context = atomic_load_explicit(&job->context, memory_order_acquire);
    long count = atomic_load_explicit(&job->count, memory_order_acquire);
    uint64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    for (;;) {
        if ((uint32_t)(t >> 32) != number) return;
        long item = (long)(uint32_t)t;
        if (item >= count) return;
        if (atomic_compare_exchange_weak_explicit(&pool.ticket, &t, t + 1, memory_order_acq_rel, memory_order_acquire)) {
            function(context, item, worker);
            atomic_fetch_sub_explicit(&pool.remaining, 1, memory_order_acq_rel);
            t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
        }
    }
}

static void *worker_main(void *argument) {
    int index = (int)(intptr_t)argument;
    rf_worker_index = index + 1;
    // Only as many threads as there are cores may spin (the caller counts as one): with more
    // threads than cores, a spinning worker would take a core from one that has work.
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int may_spin = index + 1 < cores;
    uint32_t seen = (uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_acquire) >> 32);
    for (;;) {
        // Spin a short while for the next job (the ops of a forward follow each other within
        // microseconds), then sleep on the wake word.
        uint64_t deadline = 0;
        unsigned spins = 0;
        for (;;) {
            uint32_t wake = atomic_load_explicit(&pool.wake_word, memory_order_acquire);
            uint32_t number = (uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_acquire) >> 32);
            if (number != seen) {
                seen = number;
                const struct rf_pool_job *job = &pool.jobs[number & 1];
                if (index + 1 < atomic_load_explicit(&job->participants, memory_order_acquire)) {
                    int caller = atomic_load_explicit(&job->caller_cpu, memory_order_relaxed);
                    if (caller == sched_getcpu()) leave_cpu(caller);
                    take_items(number, index + 1);
                }
                deadline = 0;
                spins = 0;
                continue;
            }
            if (may_spin && atomic_load_explicit(&pool.spin_off, memory_order_acquire) == 0) {
                RF_RELAX();
                if ((++spins & 255) != 0) continue;
                uint64_t now = now_ns();
                if (deadline == 0) deadline = now + REELFLOW_POOL_SPIN_NS;
                if (now < deadline) continue;
            }
            atomic_fetch_add_explicit(&pool.sleepers, 1, memory_order_seq_cst);
            if ((uint32_t)(atomic_load_explicit(&pool.ticket, memory_order_seq_cst) >> 32) == seen) futex_wait(&pool.wake_word, wake);
            atomic_fetch_sub_explicit(&pool.sleepers, 1, memory_order_seq_cst);
            deadline = 0;
            spins = 0;
        }
    }
    return NULL;
}

// Starts workers until `wanted` run; returns how many run.
static int ensure_workers(int wanted) {
    if (wanted > RF_POOL_MAX_WORKERS) wanted = RF_POOL_MAX_WORKERS;
    pthread_mutex_lock(&pool.start_lock);
    while (pool.started < wanted) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)pool.started);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        pool.started++;
    }
    int started = pool.started;
    pthread_mutex_unlock(&pool.start_lock);
    return started;
}

int reelflow_pool_run(long count, int threads, rf_pool_item function, void *context) {
    if (count <= 0) return 0;
    if (rf_worker_index >= 0) return 1;
    if (threads < 2 || count >= (1L << 31)) return 2;
    if (atomic_flag_test_and_set_explicit(&pool.busy, memory_order_acquire)) return 2;
    int workers = ensure_workers(threads - 1);
    if (workers < 1) {
        atomic_flag_clear_explicit(&pool.busy, memory_order_release);
        return 2;
    }
    int participants = workers + 1 < threads ? workers + 1 : threads;
    uint64_t t = atomic_load_explicit(&pool.ticket, memory_order_acquire);
    uint32_t number = (uint32_t)(t >> 32) + 1;
    struct rf_pool_job *job = &pool.jobs[number & 1];
    atomic_store_explicit(&job->function, function, memory_order_relaxed);
    atomic_store_explicit(&job->context, context, memory_order_relaxed);
    atomic_store_explicit(&job->count, count, memory_order_relaxed);
    atomic_store_explicit(&job->participants, participants, memory_order_relaxed);
    atomic_store_explicit(&job->caller_cpu, sched_getcpu(), memory_order_relaxed);
    atomic_store_explicit(&pool.remaining, count, memory_order_relaxed);
    atomic_store_explicit(&pool.ticket, (uint64_t)number << 32, memory_order_seq_cst);
    atomic_fetch_add_explicit(&pool.wake_word, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&pool.sleepers, memory_order_seq_cst) > 0) futex_wake_all(&pool.wake_word);
    rf_worker_index = 0;  // nested calls from the items run inline
    take_items(number, 0);
    rf_worker_index = -1;
    // Items claimed by workers may still run: wait for them (briefly spinning, then yielding).
    unsigned spins = 0;
    while (atomic_load_explicit(&pool.remaining, memory_order_acquire) > 0) {
        if (++spins < 4096) {
            RF_RELAX();
        } else {
            sched_yield();
        }
    }
    atomic_flag_clear_explicit(&pool.busy, memory_order_release);
    return 0;
}

void reelflow_pool_spin(int on) {
    if (on) {
        atomic_fetch_sub_explicit(&pool.spin_off, 1, memory_order_acq_rel);
    } else {
        atomic_fetch_add_explicit(&pool.spin_off, 1, memory_order_acq_rel);
    }
}


#else

int reelflow_pool_run(long count, int threads, rf_pool_item function, void *context) {
    (void)count;
    (void)threads;
    (void)function;
    (void)context;
    return 2;
}

void reelflow_pool_spin(int on) { (void)on; }

#endif
