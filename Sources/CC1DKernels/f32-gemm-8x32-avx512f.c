#include "x86.h"

#if C1D_X86
enum { MR = C1D_GEMM_8X32_MR, NR = C1D_GEMM_8X32_NR };

// One body for both ways of reading B: through a row table at an offset (rows != NULL), or as a
// contiguous packed panel b (rows == NULL). Always inlined into two wrappers, so the choice is made
// once per call, not per step.
__attribute__((target("avx512f,fma"), always_inline)) static inline void
gemm_tile_body(long kc, const float *a, const float *const *rows, long offset, const float *b, float *c, long ldc,
               long row_count, long cols, int accumulate, const float *bias) {
  __m512 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; i++) {
    float init = (!accumulate && bias && i < row_count) ? bias[i] : 0.0f;
    acc0[i] = _mm512_set1_ps(init);
    acc1[i] = acc0[i];
  }
  // Masked-off lanes are never read, so a partial panel cannot run past the end of its row.
  __mmask16 m0 = tail_mask512(cols), m1 = tail_mask512(cols - 16);
  for (long p = 0; p < kc; p++) {
    const float *bp = rows ? rows[p] + offset : b + p * NR;
    __m512 b0 = _mm512_maskz_loadu_ps(m0, bp);
    __m512 b1 = _mm512_maskz_loadu_ps(m1, bp + 16);
    const float *ap = a + p * MR;
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
      __m512 av = _mm512_set1_ps(ap[i]);
      acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
    }
  }
  for (int i = 0; i < MR; i++) {
    if (i >= row_count) break;
    float *ci = c + i * ldc;
    __m512 v0 = acc0[i], v1 = acc1[i];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, ci));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, ci + 16));
    }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}

__attribute__((target("avx512f,fma"))) void c1d_f32_igemm_8x32__avx512f(long kc, const float *a,
                                                                         const float *const *rows, long offset,
                                                                         float *c, long ldc, long row_count,
                                                                         long cols, int accumulate,
                                                                         const float *bias) {
  gemm_tile_body(kc, a, rows, offset, NULL, c, ldc, row_count, cols, accumulate, bias);
}

__attribute__((target("avx512f,fma"))) void c1d_f32_gemm_8x32__avx512f(long kc, const float *a, const float *b,
                                                                        float *c, long ldc, long row_count, long cols,
                                                                        int accumulate, const float *bias) {
  gemm_tile_body(kc, a, NULL, 0, b, c, ldc, row_count, cols, accumulate, bias);
}

__attribute__((target("avx512f"))) void c1d_f32_pack_rows_x32__avx512f(long kc, const float *const *rows,
                                                                        long offset, long cols, float *panel) {
  __mmask16 m0 = tail_mask512(cols), m1 = tail_mask512(cols - 16);
  for (long p = 0; p < kc; p++) {
    // The next column panel of the same rows comes next; its lines are far apart (one per input
    // channel), out of the hardware prefetcher's reach.
    const float *row = rows[p] + offset;
    _mm_prefetch((const char *)(row + NR), _MM_HINT_T0);
    _mm_prefetch((const char *)(row + NR + 16), _MM_HINT_T0);
    _mm512_storeu_ps(panel + p * NR, _mm512_maskz_loadu_ps(m0, row));
    _mm512_storeu_ps(panel + p * NR + 16, _mm512_maskz_loadu_ps(m1, row + 16));
  }
}
#endif
