// Single-core FP32 FMA peak of this machine: 12 independent zmm FMA chains (AVX-512).
// Built with the system C compiler and run by tools/bench.py; prints GFLOP/s.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define STEP(x) x = _mm512_fmadd_ps(x, m, b)

__attribute__((target("avx512f,fma"))) static float run(long n) {
  __m512 m = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3);
  __m512 a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7);
  __m512 a8 = _mm512_set1_ps(8), a9 = _mm512_set1_ps(9), a10 = _mm512_set1_ps(10), a11 = _mm512_set1_ps(11);
  for (long k = 0; k < n; k++) {
    STEP(a0); STEP(a1); STEP(a2); STEP(a3); STEP(a4); STEP(a5);
    STEP(a6); STEP(a7); STEP(a8); STEP(a9); STEP(a10); STEP(a11);
  }
  __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                           _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11)));
  return _mm512_reduce_add_ps(s);
}

int main(void) {
  long n = 100000000;
  double best = 0;
  for (int rep = 0; rep < 3; rep++) {
    double t = now();
    volatile float s = run(n);
    double e = now() - t;
    (void)s;
    double g = 12.0 * 16 * 2 * n / e / 1e9;
    if (g > best) best = g;
  }
  printf("%.1f\n", best);
  return 0;
}
