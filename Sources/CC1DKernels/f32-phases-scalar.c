#include "internal.h"

void c1d_f32_phases_tail(const float *x, long length, long stride, long phase_length, float *y, long done) {
  // One sequential pass over the row, whatever the stride.
  for (long j = done / stride; j * stride < length; j++)
    for (long p = 0; p < stride && j * stride + p < length; p++) y[p * phase_length + j] = x[j * stride + p];
}

void c1d_f32_phases__scalar(const float *x, long length, long stride, long phase_length, float *y) {
  c1d_f32_phases_tail(x, length, stride, phase_length, y, 0);
}
