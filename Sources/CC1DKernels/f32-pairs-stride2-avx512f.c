// Kernel 3, stride 2, by output pairs (F(2, 2) on taps 0 and 2): the input transform and the combine.
#include "x86.h"

#if C1D_X86
// 16 pairs at a time: 64 positions split four ways in two rounds of even/odd permutes; v4 is v0
// moved one lane along, with the next block's first position shifted in.
__attribute__((target("avx512f"))) static void interior(const float *x, long from, long to, long left, long first,
                                                         float *d1, float *e, float *d2, float *d3, float *f) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long u = from;
  for (; u + 16 <= to; u += 16) {
    const float *v = x + 4 * u - left;
    __m512 z0 = _mm512_loadu_ps(v), z1 = _mm512_loadu_ps(v + 16), z2 = _mm512_loadu_ps(v + 32),
           z3 = _mm512_loadu_ps(v + 48);
    __m512 a = _mm512_permutex2var_ps(z0, evens, z1), b = _mm512_permutex2var_ps(z0, odds, z1);
    __m512 c = _mm512_permutex2var_ps(z2, evens, z3), d = _mm512_permutex2var_ps(z2, odds, z3);
    __m512 v0 = _mm512_permutex2var_ps(a, evens, c), v2 = _mm512_permutex2var_ps(a, odds, c);
    __m512 v1 = _mm512_permutex2var_ps(b, evens, d), v3 = _mm512_permutex2var_ps(b, odds, d);
    __m512 v4 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[64])), _mm512_castps_si512(v0), 1));
    long i = u - first;
    _mm512_storeu_ps(d1 + i, _mm512_sub_ps(v0, v2));
    _mm512_storeu_ps(e + i, v1);
    _mm512_storeu_ps(d2 + i, v2);
    _mm512_storeu_ps(d3 + i, _mm512_sub_ps(v4, v2));
    _mm512_storeu_ps(f + i, v3);
  }
  c1d_f32_stride2_pairs_interior(x, u, to, left, first, d1, e, d2, d3, f);
}

void c1d_f32_stride2_pairs__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                    long first, long pairs, float *d1, float *e, float *d2, float *d3, float *f) {
  long end = first + pairs, from, to;
  interior_range(length, left, 4, 4, first, end, &from, &to);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d1, e, d2, d3, f);
  interior(x, from, to, left, first, d1, e, d2, d3, f);
  c1d_f32_stride2_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d1, e, d2, d3, f);
}

// 16 pairs at a time while all 32 outputs fit.
__attribute__((target("avx512f"))) void c1d_f32_stride2_combine__avx512f(const float *p, const float *q,
                                                                          const float *r, float *y, long count) {
  long j = 0;
  for (; 2 * j + 32 <= count; j += 16) {
    __m512 vp = _mm512_loadu_ps(p + j);
    store_interleaved(y + 2 * j, _mm512_add_ps(vp, _mm512_loadu_ps(q + j)), _mm512_add_ps(vp, _mm512_loadu_ps(r + j)));
  }
  c1d_f32_stride2_combine_tail(p, q, r, y, count, j);
}
#endif
