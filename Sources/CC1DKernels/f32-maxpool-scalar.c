#include "internal.h"

#include <math.h>

// PyTorch propagates NaN (`val > max || isnan(val)`); taps in the padding are skipped.
float c1d_f32_maxpool_window(const float *x, long length, long start, long kernel, long dilation) {
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

void c1d_f32_maxpool__scalar(const float *x, long length, long kernel, long stride, long dilation, long padding,
                             float *y, long count) {
  for (long t = 0; t < count; t++) y[t] = c1d_f32_maxpool_window(x, length, t * stride - padding, kernel, dilation);
}
