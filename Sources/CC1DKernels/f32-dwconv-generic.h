// The depthwise interior in plain C, a body for any ISA that the compiler vectorises well enough (included
// by f32-dwconv-scalar.c; the AVX2 and AVX-512 files have their own).
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
