#include "x86.h"

#if C1D_X86
#define T256 __attribute__((target("avx2,fma")))

T256 static inline float sum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

// Sum of (x - center), or of its square, as the AVX-512 version computes it: float lanes over blocks of
// 4096 elements (128 terms a lane, as there), the blocks added up in double, so that the rounding error
// does not grow with the row's length.
T256 static double pass_avx2(const float *x, long n, float center, int square) {
  double total = 0;
  __m256 c = _mm256_set1_ps(center);
  for (long start = 0; start < n; start += 4096) {
    long end = start + 4096 < n ? start + 4096 : n;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    long i = start;
    for (; i + 32 <= end; i += 32) {
      __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), c), d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), c);
      __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), c), d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), c);
      a0 = square ? _mm256_fmadd_ps(d0, d0, a0) : _mm256_add_ps(a0, d0);
      a1 = square ? _mm256_fmadd_ps(d1, d1, a1) : _mm256_add_ps(a1, d1);
      a2 = square ? _mm256_fmadd_ps(d2, d2, a2) : _mm256_add_ps(a2, d2);
      a3 = square ? _mm256_fmadd_ps(d3, d3, a3) : _mm256_add_ps(a3, d3);
    }
    float rest = 0;
    for (; i < end; i++) rest += square ? (x[i] - center) * (x[i] - center) : x[i] - center;
    total += (double)sum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))) + rest;
  }
  return total;
}

// Two passes, the second about the first's mean, so that a large mean cannot cancel the squares away.
void c1d_f32_moments__avx2(const float *x, long n, double *mean, double *variance) {
  *mean = pass_avx2(x, n, 0.0f, 0) / (double)n;
  *variance = pass_avx2(x, n, (float)*mean, 1) / (double)n;
}
#endif
