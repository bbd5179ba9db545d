// The depthwise interior in plain C, one body for every ISA whose compiler vectorises it well enough
// (included by f32-dwconv-scalar.c, and by f32-dwconv-avx2.c with an AVX2 target).
#include "internal.h"

#define C1D_DWCONV_INTERIOR_GENERIC(NAME, ATTR)                                                             \
  ATTR void NAME(const float *x, const float *w, long k, long d, long s, float bias, float *y, long count) {  \
    if (s == 1) {                                                                                           \
      for (long t = 0; t < count; t++) y[t] = bias;                                                         \
      for (long q = 0; q < k; q++) {                                                                        \
        const float *xq = x + q * d;                                                                        \
        float wq = w[q];                                                                                    \
        for (long t = 0; t < count; t++) y[t] += wq * xq[t];                                                \
      }                                                                                                     \
    } else {                                                                                                \
      for (long t = 0; t < count; t++) {                                                                    \
        float sum = bias;                                                                                   \
        for (long q = 0; q < k; q++) sum += w[q] * x[t * s + q * d];                                        \
        y[t] = sum;                                                                                         \
      }                                                                                                     \
    }                                                                                                       \
  }
