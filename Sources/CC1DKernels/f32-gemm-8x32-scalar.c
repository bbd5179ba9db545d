#include "f32-gemm-8x32-generic.h"

C1D_GEMM_8X32_GENERIC(c1d_f32_gemm_8x32__scalar, )

void c1d_f32_pack_rows_x32__scalar(long kc, const float *const *rows, long offset, long cols, float *panel) {
  enum { NR = C1D_GEMM_8X32_NR };
  for (long p = 0; p < kc; p++)
    for (long j = 0; j < NR; j++) panel[p * NR + j] = j < cols ? rows[p][offset + j] : 0.0f;
}

void c1d_f32_igemm_8x32_by_packing(c1d_gemm_fn gemm, long kc, const float *a, const float *const *rows, long offset,
                                   float *c, long ldc, long row_count, long cols, int accumulate, const float *bias) {
  enum { MR = C1D_GEMM_8X32_MR, NR = C1D_GEMM_8X32_NR, BLOCK = 64 };
  float panel[BLOCK * NR];
  for (long p0 = 0; p0 < kc; p0 += BLOCK) {
    long block = kc - p0 < BLOCK ? kc - p0 : BLOCK;
    c1d_f32_pack_rows_x32__scalar(block, rows + p0, offset, cols, panel);
    gemm(block, a + p0 * MR, panel, c, ldc, row_count, cols, accumulate || p0 > 0, bias);
  }
}

void c1d_f32_igemm_8x32__scalar(long kc, const float *a, const float *const *rows, long offset, float *c, long ldc,
                                long row_count, long cols, int accumulate, const float *bias) {
  c1d_f32_igemm_8x32_by_packing(c1d_f32_gemm_8x32__scalar, kc, a, rows, offset, c, ldc, row_count, cols, accumulate,
                                bias);
}
