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
  for (; t < count; t += 16) {
    long left = count - t;
    __mmask16 m = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
    __m512 a0 = vb;
    for (long q = 0; q < k; q++)
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(w[q]), _mm512_maskz_loadu_ps(m, x + t + q * d), a0);
    _mm512_mask_storeu_ps(y + t, m, a0);
  }
}

// Outputs [from, to) of a stride-1 row with constant padding, 16 at a time: each tap is a masked load
// whose lanes outside the row take the padding value, so the edges run as fast as the interior.
__attribute__((target("avx512f,fma"))) static void edges(const float *x, long length, long left, float value,
                                                          const float *w, long k, long d, float bias, float *y,
                                                          long from, long to) {
  __m512 padding = _mm512_set1_ps(value);
  for (long t = from; t < to; t += 16) {
    long lanes = to - t < 16 ? to - t : 16;
    __m512 acc = _mm512_set1_ps(bias);
    for (long q = 0; q < k; q++) {
      long i0 = t - left + q * d;
      long first = i0 < 0 ? -i0 : 0;  // lanes [first, end) lie inside the row
      long end = length - i0 < 16 ? length - i0 : 16;
      __m512 xv = padding;
      if (first < end) {
        __mmask16 inside = (__mmask16)(((1u << end) - 1) & ~((1u << first) - 1));
        xv = _mm512_mask_loadu_ps(padding, inside, x + i0);
      }
      acc = _mm512_fmadd_ps(_mm512_set1_ps(w[q]), xv, acc);
    }
    _mm512_mask_storeu_ps(y + t, (__mmask16)((1u << lanes) - 1), acc);
  }
}

void c1d_f32_dwconv__avx512f(const float *x, long length, long left, int mode, float value, const float *w,
                             long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  if (stride != 1 || mode != C1D_BORDER_CONSTANT) {
    c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx512f, x, length, left, mode, value, w, kernel_size, dilation,
                            stride, bias, y, count);
    return;
  }
  long low, high;
  interior_range(length, left, 1, (kernel_size - 1) * dilation, 0, count, &low, &high);
  edges(x, length, left, value, w, kernel_size, dilation, bias, y, 0, low);
  edges(x, length, left, value, w, kernel_size, dilation, bias, y, high, count);
  if (high > low) c1d_f32_dwconv_interior__avx512f(x + (low - left), w, kernel_size, dilation, 1, bias, y + low, high - low);
}
#endif
