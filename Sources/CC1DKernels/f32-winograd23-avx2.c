// Kernel 3, stride 1, by output pairs (Winograd F(2, 3)): the input transform and the combine, AVX2.
#include "x86.h"

#if C1D_X86
// 8 pairs at a time: 16 positions split even/odd; v2 and v3 are v0 and v1 moved one lane along, with
// the next block's first positions shifted in (the interior guarantees v[16] and v[17] are in the row).
__attribute__((target("avx2,fma"))) static void interior(const float *x, long from, long to, long left, long first,
                                                          float *d0, float *d1, float *d2, float *d3) {
  long u = from;
  for (; u + 8 <= to; u += 8) {
    const float *v = x + 2 * u - left;
    __m256 v0, v1;
    deinterleave_avx2(_mm256_loadu_ps(v), _mm256_loadu_ps(v + 8), &v0, &v1);
    __m256 v2 = shift_in_avx2(v0, v + 16), v3 = shift_in_avx2(v1, v + 17);
    long i = u - first;
    _mm256_storeu_ps(d0 + i, _mm256_sub_ps(v0, v2));
    _mm256_storeu_ps(d1 + i, _mm256_add_ps(v1, v2));
    _mm256_storeu_ps(d2 + i, _mm256_sub_ps(v2, v1));
    _mm256_storeu_ps(d3 + i, _mm256_sub_ps(v1, v3));
  }
  c1d_f32_winograd23_pairs_interior(x, u, to, left, first, d0, d1, d2, d3);
}

__attribute__((target("avx2,fma"))) void c1d_f32_winograd23_pairs__avx2(const float *x, long length, long left,
                                                                         int mode, float value, long reach_high,
                                                                         long first, long pairs, float *d0, float *d1,
                                                                         float *d2, float *d3) {
  long end = first + pairs, from, to;
  interior_range(length, left, 2, 3, first, end, &from, &to);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d0, d1, d2, d3);
  interior(x, from, to, left, first, d0, d1, d2, d3);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d0, d1, d2, d3);
}

// 8 pairs at a time while all 16 outputs fit; the sums in the scalar order, so the results are the same.
__attribute__((target("avx2,fma"))) void c1d_f32_winograd23_combine__avx2(const float *m0, const float *m1,
                                                                           const float *m2, const float *m3, float *y,
                                                                           long count) {
  long j = 0;
  for (; 2 * j + 16 <= count; j += 8) {
    __m256 b = _mm256_loadu_ps(m1 + j), c = _mm256_loadu_ps(m2 + j), low, high;
    zip_avx2(_mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(m0 + j), b), c),
             _mm256_sub_ps(_mm256_sub_ps(b, c), _mm256_loadu_ps(m3 + j)), &low, &high);
    _mm256_storeu_ps(y + 2 * j, low);
    _mm256_storeu_ps(y + 2 * j + 8, high);
  }
  c1d_f32_winograd23_combine_tail(m0, m1, m2, m3, y, count, j);
}
#endif
