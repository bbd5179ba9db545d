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

void c1d_f32_dwconv__avx2(const float *x, long length, long left, int mode, float value, const float *w,
                          long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__avx2, x, length, left, mode, value, w, kernel_size, dilation,
                          stride, bias, y, count);
}
#endif
