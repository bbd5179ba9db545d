// Kernel 3, stride 1, by output pairs (Winograd F(2, 3)): the input transform and the combine.
#include "x86.h"

#if C1D_X86
// 16 pairs at a time: 32 positions split even/odd; v2 and v3 are v0 and v1 moved one lane along, with
// the next block's first positions shifted in.
__attribute__((target("avx512f"))) static void interior(const float *x, long from, long to, long left, long first,
                                                         float *d0, float *d1, float *d2, float *d3) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long u = from;
  for (; u + 16 <= to; u += 16) {
    const float *v = x + 2 * u - left;
    __m512 z0 = _mm512_loadu_ps(v), z1 = _mm512_loadu_ps(v + 16);
    __m512 v0 = _mm512_permutex2var_ps(z0, evens, z1), v1 = _mm512_permutex2var_ps(z0, odds, z1);
    __m512 v2 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[32])), _mm512_castps_si512(v0), 1));
    __m512 v3 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[33])), _mm512_castps_si512(v1), 1));
    long i = u - first;
    _mm512_storeu_ps(d0 + i, _mm512_sub_ps(v0, v2));
    _mm512_storeu_ps(d1 + i, _mm512_add_ps(v1, v2));
    _mm512_storeu_ps(d2 + i, _mm512_sub_ps(v2, v1));
    _mm512_storeu_ps(d3 + i, _mm512_sub_ps(v1, v3));
  }
  c1d_f32_winograd23_pairs_interior(x, u, to, left, first, d0, d1, d2, d3);
}

void c1d_f32_winograd23_pairs__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                       long first, long pairs, float *d0, float *d1, float *d2, float *d3) {
  long end = first + pairs, from, to;
  interior_range(length, left, 2, 3, first, end, &from, &to);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, first, from, first, d0, d1, d2, d3);
  interior(x, from, to, left, first, d0, d1, d2, d3);
  c1d_f32_winograd23_pairs_bordered(x, length, left, mode, value, reach_high, to, end, first, d0, d1, d2, d3);
}

// 16 pairs at a time while all 32 outputs fit.
__attribute__((target("avx512f"))) void c1d_f32_winograd23_combine__avx512f(const float *m0, const float *m1,
                                                                             const float *m2, const float *m3,
                                                                             float *y, long count) {
  long j = 0;
  for (; 2 * j + 32 <= count; j += 16) {
    __m512 b = _mm512_loadu_ps(m1 + j), c = _mm512_loadu_ps(m2 + j);
    store_interleaved(y + 2 * j, _mm512_add_ps(_mm512_add_ps(_mm512_loadu_ps(m0 + j), b), c),
                      _mm512_sub_ps(_mm512_sub_ps(b, c), _mm512_loadu_ps(m3 + j)));
  }
  c1d_f32_winograd23_combine_tail(m0, m1, m2, m3, y, count, j);
}
#endif
