#include "f32-gemm-8x32-generic.h"
#include "x86.h"

#if C1D_X86
C1D_GEMM_8X32_GENERIC(c1d_f32_gemm_8x32__avx2, __attribute__((target("avx2,fma"))))

void c1d_f32_igemm_8x32__avx2(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                              long row_count, long cols, int accumulate, const float *bias) {
  c1d_f32_igemm_8x32_by_packing(c1d_f32_gemm_8x32__avx2, kc, a, rows, offset, c, ldc, row_count, cols, accumulate,
                                bias);
}
#endif
