// torch's CUDA randn, bit for bit: torch.Generator("cuda") is Philox4x32-10 (cuRAND's
// curandStatePhilox4_32_10_t), and torch's normal kernel launches `threads` threads (blocks of
// 256, capped by the GPU's size); thread t starts at subsequence t and `offset`, and each
// curand_normal4 call (one Philox block, two Box-Muller pairs with logf and __sincosf) fills
// elements i, i + S, i + 2S, i + 3S (S = threads), then moves on by 4S.

__device__ __forceinline__ void philox_round(unsigned &c0, unsigned &c1, unsigned &c2, unsigned &c3, unsigned k0, unsigned k1) {
    unsigned lo0 = 0xD2511F53u * c0, hi0 = __umulhi(0xD2511F53u, c0);
    unsigned lo1 = 0xCD9E8D57u * c2, hi1 = __umulhi(0xCD9E8D57u, c2);
    unsigned n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
}

__device__ __forceinline__ void box_muller(unsigned x, unsigned y, float &a, float &b) {
    const float inv = 2.3283064365386963e-10f;          // 2^-32
    const float inv2pi = 2.3283064365386963e-10f * 6.2831855f;
    float u = x * inv + (inv / 2.0f);
    float v = y * inv2pi + (inv2pi / 2.0f);
    float s = sqrtf(-2.0f * logf(u));
    float sn, cs;
    __sincosf(v, &sn, &cs);
    a = sn * s;
    b = cs * s;
}

extern "C" __global__ void rf_randn_philox(void *out, i64 n, unsigned long long seed, unsigned long long offset, i64 threads,
                                           int tout) {
    const i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (t >= threads) return;
    const unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    const unsigned long long blocks = offset / 4;
    unsigned c0 = (unsigned)blocks, c1 = (unsigned)(blocks >> 32), c2 = (unsigned)t, c3 = (unsigned)((unsigned long long)t >> 32);
    const i64 stride = threads * 4;
    const i64 rounded = ((n - 1) / stride + 1) * stride;
    for (i64 i = t; i < rounded; i += stride) {
        unsigned r0 = c0, r1 = c1, r2 = c2, r3 = c3, q0 = k0, q1 = k1;
        for (int round = 0; round < 10; ++round) {
            if (round > 0) { q0 += 0x9E3779B9u; q1 += 0xBB67AE85u; }
            philox_round(r0, r1, r2, r3, q0, q1);
        }
        if (++c0 == 0 && ++c1 == 0 && ++c2 == 0) ++c3;
        float v[4];
        box_muller(r0, r1, v[0], v[1]);
        box_muller(r2, r3, v[2], v[3]);
        for (int k = 0; k < 4; ++k) {
            const i64 index = i + threads * k;
            // torch: rand * std + mean with std 1, mean 0 (so -0 becomes +0).
            if (index < n) store(out, index, tout, v[k] * 1.0f + 0.0f);
        }
    }
}
