#include "c1d_kernels.h"
#include "internal.h"

#include <math.h>

// Output t of a max pool: the greatest of its taps inside the row, NaN if any is (PyTorch propagates
// NaN: `val > max || isnan(val)`); taps in the padding are skipped.
static float max_window(const float *x, long length, long start, long kernel, long dilation) {
  float best = -INFINITY;
  for (long k = 0; k < kernel; k++) {
    long i = start + k * dilation;
    if (i < 0 || i >= length) continue;
    float v = x[i];
    if (isnan(v)) return v;
    if (v > best) best = v;
  }
  return best;
}

#if C1D_X86
// Interior outputs [from, to), 16 at a time, for stride 1 or 2; returns where it stopped.
__attribute__((target("avx512f"))) static long max_pool_avx512(const float *x, long kernel, long stride, long dilation,
                                                                long padding, float *y, long from, long to) {
  const __m512i evens = even_lanes();
  long t = from;
  for (; t + 16 <= to; t += 16) {
    __m512 best = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (long k = 0; k < kernel; k++) {
      const float *p = x + t * stride - padding + k * dilation;
      __m512 v = stride == 1 ? _mm512_loadu_ps(p)
                             : _mm512_permutex2var_ps(_mm512_loadu_ps(p), evens, _mm512_loadu_ps(p + 16));
      nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      best = _mm512_max_ps(best, v);
    }
    _mm512_storeu_ps(y + t, _mm512_mask_mov_ps(best, nan, _mm512_set1_ps(NAN)));
  }
  return t;
}
#endif

void c1d_max_pool_row(c1d_isa isa, const float *x, long length, long kernel, long stride, long dilation, long padding,
                      float *y, long count) {
  long span = (kernel - 1) * dilation, from, to;
  interior_range(length, padding, stride, span, 0, count, &from, &to);
  for (long t = 0; t < from; t++) y[t] = max_window(x, length, t * stride - padding, kernel, dilation);
  long t = from;
#if C1D_X86
  // A stride-2 block also loads the element after its last output's last tap: only where that is in the row.
  if (isa == C1D_ISA_AVX512 && stride <= 2) {
    long safe = to;
    if (stride == 2 && safe > from && (safe - 1) * 2 - padding + span + 1 >= length) safe--;
    t = max_pool_avx512(x, kernel, stride, dilation, padding, y, from, safe);
  }
#endif
  for (; t < to; t++) y[t] = max_window(x, length, t * stride - padding, kernel, dilation);
  for (t = to; t < count; t++) y[t] = max_window(x, length, t * stride - padding, kernel, dilation);
}
