// Dumps cuRAND's Philox4x32-10 words and curand_normal4 outputs, with the Box-Muller
// intermediates, for tools/reference/make_noise_fixtures_cuda.py. Built and run on a GPU
// machine by that script: nvcc -O3 -arch=sm_90 -o philox_dump philox_dump.cu
// Output (little-endian binary on stdout), for each (seed, offset) case and each thread
// (subsequence) 0..threads-1: 8 uint32 words (two curand4 calls), then after a fresh
// curand_init the 4 floats of curand_normal4 and, for its two Box-Muller pairs, u, v,
// s = sqrtf(-2 logf(u)), sin(v) and cos(v) as the device computes them.
#include <cstdio>
#include <cstdint>
#include <curand_kernel.h>

__global__ void dump(unsigned long long seed, unsigned long long offset, int threads,
                     uint32_t* words, float* normals, float* parts) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= threads) return;
  curandStatePhilox4_32_10_t st;
  curand_init(seed, t, offset, &st);
  uint4 a = curand4(&st), b = curand4(&st);
  uint32_t* w = words + 8 * t;
  w[0] = a.x; w[1] = a.y; w[2] = a.z; w[3] = a.w; w[4] = b.x; w[5] = b.y; w[6] = b.z; w[7] = b.w;
  curand_init(seed, t, offset, &st);
  float4 n = curand_normal4(&st);
  float* o = normals + 4 * t;
  o[0] = n.x; o[1] = n.y; o[2] = n.z; o[3] = n.w;
  unsigned int xs[4] = {a.x, a.y, a.z, a.w};
  float* p = parts + 10 * t;
  for (int k = 0; k < 2; k++) {
    float u = xs[2 * k] * CURAND_2POW32_INV + (CURAND_2POW32_INV / 2);
    float v = xs[2 * k + 1] * CURAND_2POW32_INV_2PI + (CURAND_2POW32_INV_2PI / 2);
    float s = sqrtf(-2.0f * logf(u));
    float sn, cs;
    __sincosf(v, &sn, &cs);
    p[5 * k + 0] = u; p[5 * k + 1] = v; p[5 * k + 2] = s; p[5 * k + 3] = sn; p[5 * k + 4] = cs;
  }
}

int main(int argc, char** argv) {
  const int threads = 512;
  const unsigned long long cases[][2] = {{42, 0}, {42, 4}, {42, 8}, {(1ull << 40) + 12345, 0}, {0, 12}};
  static uint32_t hw[8 * threads];
  static float hn[4 * threads], hp[10 * threads];
  uint32_t* words; float* normals; float* parts;
  cudaMalloc(&words, sizeof(hw));
  cudaMalloc(&normals, sizeof(hn));
  cudaMalloc(&parts, sizeof(hp));
  for (auto& c : cases) {
    dump<<<(threads + 255) / 256, 256>>>(c[0], c[1], threads, words, normals, parts);
    cudaMemcpy(hw, words, sizeof(hw), cudaMemcpyDeviceToHost);
    cudaMemcpy(hn, normals, sizeof(hn), cudaMemcpyDeviceToHost);
    cudaMemcpy(hp, parts, sizeof(hp), cudaMemcpyDeviceToHost);
    fwrite(hw, sizeof(uint32_t), 8 * threads, stdout);
    fwrite(hn, sizeof(float), 4 * threads, stdout);
    fwrite(hp, sizeof(float), 10 * threads, stdout);
  }
  return cudaGetLastError() == cudaSuccess ? 0 : 1;
}
