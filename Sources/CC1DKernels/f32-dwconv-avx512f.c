#include "x86.h"

#if C1D_X86
__attribute__((target("avx512f,fma"))) void c1d_f32_dwconv_interior__avx512f(const float *x, const float *w, long k,
                                                                              long d, long s, float bias, float *y,
                                                                              long count) {
  if (s != 1) {
    c1d_f32_dwconv_interior__scalar(x, w, k, d, s, bias, y, count);
    return;
  }
  long t = 0;
  __m512 vb = _mm512_set1_ps(bias);
  // Four independent accumulators cover the FMA latency.
  for (; t + 64 <= count; t += 64) {
    __m512 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (long q = 0; q < k; q++) {
      __m512 wq = _mm512_set1_ps(w[q]);
      const float *xq = x + t + q * d;
      a0 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq), a0);
      a1 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 16), a1);
      a2 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 32), a2);
      a3 = _mm512_fmadd_ps(wq, _mm512_loadu_ps(xq + 48), a3);
    }
    _mm512_storeu_ps(y + t, a0);
    _mm512_storeu_ps(y + t + 16, a1);
    _mm512_storeu_ps(y + t + 32, a2);
    _mm512_storeu_ps(y + t + 48, a3);
  }
  if (t < count) {
    // The last 1–63 outputs in one pass of four masked accumulators, not one 16-lane chain after another.
    __mmask16 m[4];
    for (int g = 0; g < 4; g++) m[g] = tail_mask512(count - t - 16 * g);
    __m512 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (long q = 0; q < k; q++) {
      __m512 wq = _mm512_set1_ps(w[q]);
      const float *xq = x + t + q * d;
      a0 = _mm512_fmadd_ps(wq, _mm512_maskz_loadu_ps(m[0], xq), a0);
      a1 = _mm512_fmadd_ps(wq, _mm512_maskz_loadu_ps(m[1], xq + 16), a1);
      a2 = _mm512_fmadd_ps(wq, _mm512_maskz_loadu_ps(m[2], xq + 32), a2);
      a3 = _mm512_fmadd_ps(wq, _mm512_maskz_loadu_ps(m[3], xq + 48), a3);
    }
    _mm512_mask_storeu_ps(y + t, m[0], a0);
    _mm512_mask_storeu_ps(y + t + 16, m[1], a1);
    _mm512_mask_storeu_ps(y + t + 32, m[2], a2);
    _mm512_mask_storeu_ps(y + t + 48, m[3], a3);
  }
}

// Four groups of 16 outputs of a stride-1 row with constant padding, each its own accumulator so that
// their FMA chains overlap: each tap is a masked load whose lanes outside the row take the padding value
// (position p is inside when 0 <= p < length, one unsigned compare). A group of `lanes[g]` = 0 is not stored.
__attribute__((target("avx512f,fma"))) static void edge_groups(const float *x, long length, long left, float value,
                                                                const float *w, long k, long d, float bias, float *y,
                                                                const long start[4], const long lanes[4]) {
  const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i size = _mm512_set1_epi32((int)length);
  const __m512 padding = _mm512_set1_ps(value);
  __m512i p0 = _mm512_add_epi32(iota, _mm512_set1_epi32((int)(start[0] - left)));
  __m512i p1 = _mm512_add_epi32(iota, _mm512_set1_epi32((int)(start[1] - left)));
  __m512i p2 = _mm512_add_epi32(iota, _mm512_set1_epi32((int)(start[2] - left)));
  __m512i p3 = _mm512_add_epi32(iota, _mm512_set1_epi32((int)(start[3] - left)));
  // Even and odd taps in separate accumulators (a, b): eight chains of half the kernel's length.
  __m512 a0 = _mm512_set1_ps(bias), a1 = a0, a2 = a0, a3 = a0;
  __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
  const __m512i step = _mm512_set1_epi32((int)d);
#define C1D_EDGE_TAP(acc, g, p)                                                                                      \
  acc = _mm512_fmadd_ps(wq, _mm512_mask_loadu_ps(padding, _mm512_cmplt_epu32_mask(p, size), x + start[g] + shift), \
                        acc);                                                                                        \
  p = _mm512_add_epi32(p, step)
  for (long q = 0; q < k; q += 2) {
    __m512 wq = _mm512_set1_ps(w[q]);
    long shift = q * d - left;
    C1D_EDGE_TAP(a0, 0, p0);
    C1D_EDGE_TAP(a1, 1, p1);
    C1D_EDGE_TAP(a2, 2, p2);
    C1D_EDGE_TAP(a3, 3, p3);
    if (q + 1 == k) break;
    wq = _mm512_set1_ps(w[q + 1]);
    shift += d;
    C1D_EDGE_TAP(b0, 0, p0);
    C1D_EDGE_TAP(b1, 1, p1);
    C1D_EDGE_TAP(b2, 2, p2);
    C1D_EDGE_TAP(b3, 3, p3);
  }
#undef C1D_EDGE_TAP
  a0 = _mm512_add_ps(a0, b0);
  a1 = _mm512_add_ps(a1, b1);
  a2 = _mm512_add_ps(a2, b2);
  a3 = _mm512_add_ps(a3, b3);
  _mm512_mask_storeu_ps(y + start[0], tail_mask512(lanes[0]), a0);
  _mm512_mask_storeu_ps(y + start[1], tail_mask512(lanes[1]), a1);
  _mm512_mask_storeu_ps(y + start[2], tail_mask512(lanes[2]), a2);
  _mm512_mask_storeu_ps(y + start[3], tail_mask512(lanes[3]), a3);
}

// Outputs [0, low) and [high, count), the ones reading padding, 16 at a time and four groups at once.
__attribute__((target("avx512f,fma"))) static void edges(const float *x, long length, long left, float value,
                                                          const float *w, long k, long d, float bias, float *y,
                                                          long low, long high, long count) {
  long start[4], lanes[4];
  int n = 0;
  for (long t = 0; t < count; t += 16) {
    if (t >= low && t < high) t = high;  // skip the interior
    if (t >= count) break;
    long end = t < low ? low : count;
    start[n] = t;
    lanes[n] = end - t < 16 ? end - t : 16;
    t = t + lanes[n] - 16;  // the loop's step then lands on the group's end
    if (++n == 4) {
      edge_groups(x, length, left, value, w, k, d, bias, y, start, lanes);
      n = 0;
    }
  }
  if (n == 0) return;
  for (int g = n; g < 4; g++) start[g] = start[0], lanes[g] = 0;
  edge_groups(x, length, left, value, w, k, d, bias, y, start, lanes);
}

void c1d_f32_dwconv__avx512f(const float *x, long length, long left, int mode, float value, const float *w,
                             long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  // Positions are compared in 32-bit lanes: rows and reaches past 2^31 go the general way.
  long reach = length + left + (kernel_size - 1) * dilation + count;
  if (stride != 1 || mode != C1D_BORDER_CONSTANT || reach >= 0x7FFFFFFF) {
    c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx512f, x, length, left, mode, value, w, kernel_size, dilation,
                            stride, bias, y, count);
    return;
  }
  long low, high;
  interior_range(length, left, 1, (kernel_size - 1) * dilation, 0, count, &low, &high);
  edges(x, length, left, value, w, kernel_size, dilation, bias, y, low, high, count);
  if (high > low) c1d_f32_dwconv_interior__avx512f(x + (low - left), w, kernel_size, dilation, 1, bias, y + low, high - low);
}
#endif
