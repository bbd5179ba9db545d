#include "x86.h"

#if C1D_X86
// Stride 1 holds its 32 outputs in registers over every tap; the plain C body (still used for other strides)
// sweeps the whole row once per tap, and rows of a few thousand samples fall out of L1 between sweeps.
__attribute__((target("avx2,fma"))) void c1d_f32_dwconv_interior__avx2(const float *x, const float *w, long k, long d,
                                                                        long s, float bias, float *y, long count) {
  if (s != 1) {
    c1d_f32_dwconv_interior__scalar(x, w, k, d, s, bias, y, count);
    return;
  }
  long t = 0;
  __m256 vb = _mm256_set1_ps(bias);
  // Four independent accumulators: the loads, not the FMA latency, bound this loop.
  for (; t + 32 <= count; t += 32) {
    __m256 a0 = vb, a1 = vb, a2 = vb, a3 = vb;
    for (long q = 0; q < k; q++) {
      __m256 wq = _mm256_broadcast_ss(w + q);
      const float *xq = x + t + q * d;
      a0 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq), a0);
      a1 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 8), a1);
      a2 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 16), a2);
      a3 = _mm256_fmadd_ps(wq, _mm256_loadu_ps(xq + 24), a3);
    }
    _mm256_storeu_ps(y + t, a0);
    _mm256_storeu_ps(y + t + 8, a1);
    _mm256_storeu_ps(y + t + 16, a2);
    _mm256_storeu_ps(y + t + 24, a3);
  }
  for (; t < count; t += 8) {
    // Masked-off lanes are never read, so the last block cannot run past the end of the row.
    __m256i m = tail_mask256(count - t);
    __m256 a0 = vb;
    for (long q = 0; q < k; q++)
      a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(w + q), _mm256_maskload_ps(x + t + q * d, m), a0);
    _mm256_maskstore_ps(y + t, m, a0);
  }
}

// Outputs [from, to) of a stride-1 row with constant padding, 8 at a time: each tap is a masked load, its
// lanes outside the row blended to the padding value, so the edges (a k-wide kernel has k − 1 of them per
// row) run as vectors rather than through the scalar border lookup.
__attribute__((target("avx2,fma"))) static void edges(const float *x, long length, long left, float value,
                                                      const float *w, long k, long d, float bias, float *y, long from,
                                                      long to) {
  const __m256 padding = _mm256_set1_ps(value);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (long t = from; t < to; t += 8) {
    __m256 acc = _mm256_set1_ps(bias);
    for (long q = 0; q < k; q++) {
      long i0 = t - left + q * d;
      long first = i0 < 0 ? -i0 : 0;  // lanes [first, end) lie inside the row
      long end = length - i0 < 8 ? length - i0 : 8;
      __m256 xv = padding;
      if (first < end) {
        __m256i inside = _mm256_andnot_si256(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)first), lane),
                                             tail_mask256(end));
        // Masked-off lanes are never read: the addresses before or after the row are not touched.
        xv = _mm256_blendv_ps(padding, _mm256_maskload_ps(x + i0, inside), _mm256_castsi256_ps(inside));
      }
      acc = _mm256_fmadd_ps(_mm256_broadcast_ss(w + q), xv, acc);
    }
    _mm256_maskstore_ps(y + t, tail_mask256(to - t), acc);
  }
}

void c1d_f32_dwconv__avx2(const float *x, long length, long left, int mode, float value, const float *w,
                          long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  if (stride != 1 || mode != C1D_BORDER_CONSTANT) {
    c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx2, x, length, left, mode, value, w, kernel_size, dilation,
                            stride, bias, y, count);
    return;
  }
  long low, high;
  interior_range(length, left, 1, (kernel_size - 1) * dilation, 0, count, &low, &high);
  edges(x, length, left, value, w, kernel_size, dilation, bias, y, 0, low);
  edges(x, length, left, value, w, kernel_size, dilation, bias, y, high, count);
  if (high > low) c1d_f32_dwconv_interior__avx2(x + (low - left), w, kernel_size, dilation, 1, bias, y + low, high - low);
}
#endif
