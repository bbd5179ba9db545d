#include "x86.h"

#include <math.h>

#if C1D_X86
// Interior outputs [from, to), 16 at a time, for stride 1 or 2; returns where it stopped.
__attribute__((target("avx512f"))) static long interior(const float *x, long kernel, long stride, long dilation,
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

void c1d_f32_maxpool__avx512f(const float *x, long length, long kernel, long stride, long dilation, long padding,
                              float *y, long count) {
  long span = (kernel - 1) * dilation, from, to;
  interior_range(length, padding, stride, span, 0, count, &from, &to);
  for (long t = 0; t < from; t++) y[t] = c1d_f32_maxpool_window(x, length, t * stride - padding, kernel, dilation);
  long t = from;
  // A stride-2 block also loads the element after its last output's last tap: only where that is in the row.
  if (stride <= 2) {
    long safe = to;
    if (stride == 2 && safe > from && (safe - 1) * 2 - padding + span + 1 >= length) safe--;
    t = interior(x, kernel, stride, dilation, padding, y, from, safe);
  }
  for (; t < count; t++) y[t] = c1d_f32_maxpool_window(x, length, t * stride - padding, kernel, dilation);
}
#endif
