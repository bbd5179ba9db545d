#include "internal.h"

void c1d_f32_vbinary__scalar(int product, float *y, const float *other, long count) {
  if (product)
    for (long i = 0; i < count; i++) y[i] *= other[i];
  else
    for (long i = 0; i < count; i++) y[i] += other[i];
}
