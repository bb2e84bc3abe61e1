// The machine's float32 FMA rate, the ceiling every float32 product and convolution here runs
// against: 12 independent AVX-512 (or AVX2) fused multiply-add chains per thread, enough to
// keep both FMA ports busy, on N threads. Prints the best of 5 runs in GFLOP/s.
//
//   cc -O3 -march=native tools/bench/fma_peak.c -o /tmp/fma_peak -lpthread && /tmp/fma_peak 2
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define STORE _mm512_storeu_ps
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define STORE _mm256_storeu_ps
#endif

enum { CHAINS = 12 };
static const long steps = 200000000L / CHAINS;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *run(void *out) {
    vec a[CHAINS], b = SET1(0.999999f), c = SET1(1e-7f);
    for (int i = 0; i < CHAINS; i++) a[i] = SET1((float)i);
    for (long i = 0; i < steps; i++)
        for (int j = 0; j < CHAINS; j++) a[j] = FMA(a[j], b, c);
    float lanes[LANES], sum = 0;
    for (int i = 0; i < CHAINS; i++) {
        STORE(lanes, a[i]);
        for (int j = 0; j < LANES; j++) sum += lanes[j];
    }
    *(float *)out = sum;  // kept, so the chains are not optimised away
    return 0;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 256) threads = 2;
    pthread_t ids[256];
    float sums[256];
    double best = 0;
    for (int round = 0; round < 5; round++) {
        double start = now();
        for (int i = 0; i < threads; i++) pthread_create(&ids[i], 0, run, &sums[i]);
        for (int i = 0; i < threads; i++) pthread_join(ids[i], 0);
        double rate = threads * steps * (double)CHAINS * LANES * 2 / (now() - start) / 1e9;
        if (rate > best) best = rate;
    }
    printf("float32 FMA rate, %d threads, %d lanes: %.0f GFLOP/s (best of 5)\n", threads, LANES, best);
    return 0;
}
