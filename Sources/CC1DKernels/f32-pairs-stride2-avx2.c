// Kernel 3, stride 2, by output pairs (F(2, 2) on taps 0 and 2): the input transform and the combine, AVX2.
#include "x86.h"

#if C1D_X86
// 8 pairs at a time: 32 positions split four ways in two rounds of even/odd splits; v4 is v0 moved one
// lane along, with the next block's first position shifted in (the interior guarantees v[32] is in the row).
__attribute__((target("avx2,fma"))) static void interior(const float *x, long from, long to, long left, long first,
                                                          float *d1, float *e, float *d2, float *d3, float *f) {
  long u = from;
  for (; u + 8 <= to; u += 8) {
    const float *v = x + 4 * u - left;
    __m256 a, b, c, d, v0, v1, v2, v3;
    deinterleave_avx2(_mm256_loadu_ps(v), _mm256_loadu_ps(v + 8), &a, &b);
    deinterleave_avx2(_mm256_loadu_ps(v + 16), _mm256_loadu_ps(v + 24), &c, &d);
    deinterleave_avx2(a, c, &v0, &v2);
    deinterleave_avx2(b, d, &v1, &v3);
    __m256 v4 = shift_in_avx2(v0, v + 32);
    long i = u - first;
    _mm256_storeu_ps(d1 + i, _mm256_sub_ps(v0, v2));
    _mm256_storeu_ps(e + i, v1);
    _mm256_storeu_ps(d2 + i, v2);
    _mm256_storeu_ps(d3 + i, _mm256_sub_ps(v4, v2));
    _mm256_storeu_ps(f + i, v3);
  }
  c1d_f32_stride2_pairs_interior(x, u, to, left, first, d1, e, d2, d3, f);
}

__attribute__((target("avx2,fma"))) void c1d_f32_stride2_pairs__avx2(const float *x, long length, long left, int mode,
                                                                      float value, long reach_high, long first,
                                                                      long pairs, float *d1, float *e, float *d2,
                                                                      float *d3, float *f) {
  long end = first + pairs, from, to;
  interior_range(length, left, 4, 4, first, end, &from, &to);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d1, e, d2, d3, f);
  interior(x, from, to, left, first, d1, e, d2, d3, f);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d1, e, d2, d3, f);
}

// 8 pairs at a time while all 16 outputs fit.
__attribute__((target("avx2,fma"))) void c1d_f32_stride2_combine__avx2(const float *p, const float *q, const float *r,
                                                                        float *y, long count) {
  long j = 0;
  for (; 2 * j + 16 <= count; j += 8) {
    __m256 vp = _mm256_loadu_ps(p + j), low, high;
    zip_avx2(_mm256_add_ps(vp, _mm256_loadu_ps(q + j)), _mm256_add_ps(vp, _mm256_loadu_ps(r + j)), &low, &high);
    _mm256_storeu_ps(y + 2 * j, low);
    _mm256_storeu_ps(y + 2 * j + 8, high);
  }
  c1d_f32_stride2_combine_tail(p, q, r, y, count, j);
}
#endif
