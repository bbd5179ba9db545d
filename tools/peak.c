// Single-core FP32 FMA peak of this machine: 12 independent FMA chains in the widest vectors it has
// (AVX-512 zmm, else AVX2 ymm, the widths convrun's kernel sets use). Built with the system C compiler and
// run by tools/bench.py; prints GFLOP/s, and the ISA on standard error.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// One body per width: V is the vector type, FMA/SET/ADD its intrinsics, and the 12 chains cover any FMA
// latency × ports in use today.
#define PEAK_BODY(V, FMA, SET, ADD)                                                                 \
  V m = SET(0.999999f), b = SET(1e-7f);                                                             \
  V a0 = SET(0), a1 = SET(1), a2 = SET(2), a3 = SET(3), a4 = SET(4), a5 = SET(5);                 \
  V a6 = SET(6), a7 = SET(7), a8 = SET(8), a9 = SET(9), a10 = SET(10), a11 = SET(11);             \
  for (long k = 0; k < n; k++) {                                                                    \
    a0 = FMA(a0, m, b); a1 = FMA(a1, m, b); a2 = FMA(a2, m, b); a3 = FMA(a3, m, b);                 \
    a4 = FMA(a4, m, b); a5 = FMA(a5, m, b); a6 = FMA(a6, m, b); a7 = FMA(a7, m, b);                 \
    a8 = FMA(a8, m, b); a9 = FMA(a9, m, b); a10 = FMA(a10, m, b); a11 = FMA(a11, m, b);             \
  }                                                                                                 \
  V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));                          \
  s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                                      \
  float lanes[sizeof(V) / sizeof(float)];                                                           \
  __builtin_memcpy(lanes, &s, sizeof lanes);                                                        \
  return lanes[0];

__attribute__((target("avx512f,fma"))) static float run_avx512(long n) {
  PEAK_BODY(__m512, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_add_ps)
}

__attribute__((target("avx2,fma"))) static float run_avx2(long n) {
  PEAK_BODY(__m256, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_add_ps)
}

int main(void) {
  __builtin_cpu_init();
  int avx512 = __builtin_cpu_supports("avx512f");
  int lanes = avx512 ? 16 : 8;
  long n = avx512 ? 100000000 : 200000000;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t = now();
    volatile float s = avx512 ? run_avx512(n) : run_avx2(n);
    double e = now() - t;
    (void)s;
    double g = 12.0 * lanes * 2 * n / e / 1e9;
    if (g > best) best = g;
  }
  fprintf(stderr, "peak measured with %s\n", avx512 ? "AVX-512" : "AVX2");
  printf("%.1f\n", best);
  return 0;
}
