// The 8×32 GEMM tile in plain C, one body for every ISA whose compiler vectorises it well enough
// (included by f32-gemm-8x32-scalar.c, and by f32-gemm-8x32-avx2.c with an AVX2 target).
#include "internal.h"

#define C1D_GEMM_8X32_GENERIC(NAME, ATTR)                                                                    \
  ATTR void NAME(long kc, const float *a, const float *b, float *c, long ldc, long rows, long cols, int accumulate, \
                 const float *bias) {                                                                          \
    enum { MR = C1D_GEMM_8X32_MR, NR = C1D_GEMM_8X32_NR };                                                     \
    float acc[MR][NR];                                                                                         \
    for (int i = 0; i < MR; i++) {                                                                             \
      float init = (!accumulate && bias && i < rows) ? bias[i] : 0.0f;                                         \
      for (int j = 0; j < NR; j++) acc[i][j] = init;                                                           \
    }                                                                                                          \
    for (long p = 0; p < kc; p++) {                                                                            \
      const float *bp = b + p * NR;                                                                            \
      for (int i = 0; i < MR; i++) {                                                                           \
        float av = a[p * MR + i];                                                                              \
        for (int j = 0; j < NR; j++) acc[i][j] += av * bp[j];                                                  \
      }                                                                                                        \
    }                                                                                                          \
    for (long i = 0; i < rows; i++) {                                                                          \
      float *ci = c + i * ldc;                                                                                 \
      if (accumulate)                                                                                          \
        for (long j = 0; j < cols; j++) ci[j] += acc[i][j];                                                    \
      else                                                                                                     \
        for (long j = 0; j < cols; j++) ci[j] = acc[i][j];                                                     \
    }                                                                                                          \
  }
