#include "f32-dwconv-generic.h"

C1D_DWCONV_INTERIOR_GENERIC(c1d_f32_dwconv_interior__scalar, )

void c1d_f32_dwconv_row_with(c1d_dwconv_interior_fn interior, const float *x, long length, long left, int mode,
                             float value, const float *w, long kernel_size, long dilation, long stride, float bias,
                             float *y, long count) {
  long span = (kernel_size - 1) * dilation;
  // Output t reads x[t*stride - left + q*dilation]; all of its taps are inside for t in [low, high).
  long low, high;
  interior_range(length, left, stride, span, 0, count, &low, &high);
  for (long t = 0; t < count; t++) {
    if (t == low) t = high;
    if (t >= count) break;
    float sum = bias;
    for (long q = 0; q < kernel_size; q++)
      sum += w[q] * border_value(x, length, t * stride - left + q * dilation, mode, value);
    y[t] = sum;
  }
  if (high > low) interior(x + (low * stride - left), w, kernel_size, dilation, stride, bias, y + low, high - low);
}

void c1d_f32_dwconv__scalar(const float *x, long length, long left, int mode, float value, const float *w,
                            long kernel_size, long dilation, long stride, float bias, float *y, long count) {
  c1d_f32_dwconv_row_with(c1d_f32_dwconv_interior__scalar, x, length, left, mode, value, w, kernel_size, dilation,
                          stride, bias, y, count);
}
