#include "x86.h"

#include <math.h>

#if C1D_X86
#define T256 __attribute__((target("avx2,fma")))

// Elements 0, 2, …, 14 of the 16 at p.
T256 static inline __m256 load_even(const float *p) {
  __m256 pairs = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), _MM_SHUFFLE(2, 0, 2, 0));
  // The shuffle works within 128-bit halves: p0 p2 p8 p10 | p4 p6 p12 p14; put the 64-bit pairs in order.
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(pairs), _MM_SHUFFLE(3, 1, 2, 0)));
}

// Interior outputs [from, to), 8 at a time, for stride 1 or 2; returns where it stopped.
T256 static long interior(const float *x, long kernel, long stride, long dilation, long padding, float *y, long from,
                          long to) {
  long t = from;
  for (; t + 8 <= to; t += 8) {
    __m256 best = _mm256_set1_ps(-INFINITY), nan = _mm256_setzero_ps();
    for (long k = 0; k < kernel; k++) {
      const float *p = x + t * stride - padding + k * dilation;
      __m256 v = stride == 1 ? _mm256_loadu_ps(p) : load_even(p);
      // max_ps returns its second operand when either is NaN, so a NaN in `best` would be lost at the next
      // tap; PyTorch returns NaN once any tap is NaN.
      nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
      best = _mm256_max_ps(best, v);
    }
    _mm256_storeu_ps(y + t, _mm256_blendv_ps(best, _mm256_set1_ps(NAN), nan));
  }
  return t;
}

void c1d_f32_maxpool__avx2(const float *x, long length, long kernel, long stride, long dilation, long padding,
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
