#include "x86.h"

#if C1D_X86
#define T512 __attribute__((target("avx512f,avx512dq,fma")))

// Sum of (x - center), or of its square, in blocks of float lanes added up in double.
T512 static double pass_avx512(const float *x, long n, float center, int square) {
  double total = 0;
  __m512 c = _mm512_set1_ps(center);
  for (long start = 0; start < n; start += 4096) {
    long end = start + 4096 < n ? start + 4096 : n;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    long i = start;
    for (; i + 32 <= end; i += 32) {
      __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(x + i), c), d1 = _mm512_sub_ps(_mm512_loadu_ps(x + i + 16), c);
      a0 = square ? _mm512_fmadd_ps(d0, d0, a0) : _mm512_add_ps(a0, d0);
      a1 = square ? _mm512_fmadd_ps(d1, d1, a1) : _mm512_add_ps(a1, d1);
    }
    float rest = 0;
    for (; i < end; i++) rest += square ? (x[i] - center) * (x[i] - center) : x[i] - center;
    total += (double)_mm512_reduce_add_ps(_mm512_add_ps(a0, a1)) + rest;
  }
  return total;
}

void c1d_f32_moments__avx512f(const float *x, long n, double *mean, double *variance) {
  *mean = pass_avx512(x, n, 0.0f, 0) / (double)n;
  *variance = pass_avx512(x, n, (float)*mean, 1) / (double)n;
}
#endif
