// Kernel 3, stride 2, by output triples (F(3, 2) on taps 0 and 2): the input transform and the combine.
#include "x86.h"

#if C1D_X86
// Lane m of `by3(lo, mid, hi, k)` is element 3m + k of the 48 floats lo, mid, hi: one two-source permute
// for the elements below 32, then the lanes that lie in `hi` replaced from it.
__attribute__((target("avx512f"))) static inline __m512 by3(__m512 lo, __m512 mid, __m512 hi, int k) {
  int low[16], high[16];
  __mmask16 from_high = 0;
  for (int m = 0; m < 16; m++) {
    int i = 3 * m + k;
    low[m] = i & 31;
    high[m] = i & 15;
    if (i >= 32) from_high |= (__mmask16)(1u << m);
  }
  __m512 t = _mm512_permutex2var_ps(lo, _mm512_loadu_si512(low), mid);
  return _mm512_mask_permutexvar_ps(t, from_high, _mm512_loadu_si512(high), hi);
}

// 16 triples at a time: 96 positions split into evens and odds, each then three ways; v6 is v0 moved one
// lane along, with the next block's first position shifted in.
__attribute__((target("avx512f"))) static void interior(const float *x, long from, long to, long left, long first,
                                                         float *const *r) {
  const __m512i evens = even_lanes(), odds = odd_lanes();
  long u = from;
  for (; u + 16 <= to; u += 16) {
    const float *v = x + 6 * u - left;
    __m512 z[6];
    for (int i = 0; i < 6; i++) z[i] = _mm512_loadu_ps(v + 16 * i);
    __m512 e0 = _mm512_permutex2var_ps(z[0], evens, z[1]), e1 = _mm512_permutex2var_ps(z[2], evens, z[3]),
           e2 = _mm512_permutex2var_ps(z[4], evens, z[5]);
    __m512 o0 = _mm512_permutex2var_ps(z[0], odds, z[1]), o1 = _mm512_permutex2var_ps(z[2], odds, z[3]),
           o2 = _mm512_permutex2var_ps(z[4], odds, z[5]);
    __m512 v0 = by3(e0, e1, e2, 0), v2 = by3(e0, e1, e2, 1), v4 = by3(e0, e1, e2, 2);
    __m512 v1 = by3(o0, o1, o2, 0), v3 = by3(o0, o1, o2, 1), v5 = by3(o0, o1, o2, 2);
    __m512 v6 = _mm512_castsi512_ps(
        _mm512_alignr_epi32(_mm512_castps_si512(_mm512_set1_ps(v[96])), _mm512_castps_si512(v0), 1));
    long i = u - first;
    _mm512_storeu_ps(r[0] + i, _mm512_sub_ps(v0, v4));
    _mm512_storeu_ps(r[1] + i, v1);
    _mm512_storeu_ps(r[2] + i, _mm512_add_ps(v2, v4));
    _mm512_storeu_ps(r[3] + i, _mm512_sub_ps(v4, v2));
    _mm512_storeu_ps(r[4] + i, v3);
    _mm512_storeu_ps(r[5] + i, _mm512_sub_ps(v6, v2));
    _mm512_storeu_ps(r[6] + i, v5);
  }
  c1d_f32_stride2_triples_interior(x, u, to, left, first, r);
}

void c1d_f32_stride2_triples__avx512f(const float *x, long length, long left, int mode, float value, long reach_high,
                                      long first, long triples, float *const *r) {
  long end = first + triples, from, to;
  interior_range(length, left, 6, 6, first, end, &from, &to);
  c1d_f32_stride2_triples_bordered(x, length, left, mode, value, reach_high, first, from, first, r);
  interior(x, from, to, left, first, r);
  c1d_f32_stride2_triples_bordered(x, length, left, mode, value, reach_high, to, end, first, r);
}

// Output q·16 + l of a block of 48 is y_{(16q + l) mod 3}[(16q + l) / 3]: lanes from y0 and y1 by one
// two-source permute, then those from y2.
__attribute__((target("avx512f"))) static inline __m512 interleave3(__m512 y0, __m512 y1, __m512 y2, int q) {
  int pick[16], from2[16];
  __mmask16 is2 = 0;
  for (int l = 0; l < 16; l++) {
    int n = 16 * q + l, source = n % 3, index = n / 3;
    pick[l] = source == 1 ? 16 + index : index;
    from2[l] = index;
    if (source == 2) is2 |= (__mmask16)(1u << l);
  }
  __m512 t = _mm512_permutex2var_ps(y0, _mm512_loadu_si512(pick), y1);
  return _mm512_mask_permutexvar_ps(t, is2, _mm512_loadu_si512(from2), y2);
}

// 16 triples at a time while all 48 outputs fit; the same sums, in the same order, as the scalar tail.
__attribute__((target("avx512f"))) void c1d_f32_stride2_triples_combine__avx512f(const float *const *m, float *y,
                                                                                  long count) {
  const float *a = m[0], *s = m[1], *d = m[2], *o = m[3], *b = m[4];
  long j = 0;
  for (; 3 * j + 48 <= count; j += 16) {
    __m512 vs = _mm512_loadu_ps(s + j), vd = _mm512_loadu_ps(d + j);
    __m512 sum = _mm512_add_ps(vs, vd);
    __m512 y0 = _mm512_add_ps(_mm512_loadu_ps(a + j), sum);
    __m512 y1 = _mm512_add_ps(_mm512_sub_ps(vs, vd), _mm512_loadu_ps(o + j));
    __m512 y2 = _mm512_add_ps(sum, _mm512_loadu_ps(b + j));
    for (int q = 0; q < 3; q++) _mm512_storeu_ps(y + 3 * j + 16 * q, interleave3(y0, y1, y2, q));
  }
  c1d_f32_stride2_triples_combine_tail(m, y, count, j);
}
#endif
