// The 8×32 GEMM tile for AVX2 + FMA. The whole tile would need 32 ymm accumulators and AVX2 has 16 registers,
// so it runs as three sub-tiles, each over the whole depth: rows 0–5 × columns 0–15, rows 0–5 × columns
// 16–31 (12 accumulators, two B vectors, one broadcast), and rows 6–7 × columns 0–31 (8 accumulators, four
// B vectors). Every sub-tile keeps at least 8 accumulators, what two FMA ports of latency 4 need to stay
// busy; 4×16 quarters measured ~25% slower, 6×16 + 2×16 ~5% slower (Zen 3, L1-resident panel).
#include "x86.h"

#if C1D_X86
enum { MR = C1D_GEMM_8X32_MR, NR = C1D_GEMM_8X32_NR };

// Rows [row0, row0 + ROWS) × columns [col0, col0 + 8·VECS) of the tile, over the whole depth. ROWS, VECS and
// `masked` are constants at each call site. `masked` reads B with masks: a row table may end within the
// sub-tile, and masked-off lanes are never read; a packed panel is zero-padded and never needs them. Rows
// past row_count are computed from the panel's zero padding and not stored.
#define SUB_TILE_MAX_VECS 4
__attribute__((target("avx2,fma"), always_inline)) static inline void
sub_tile(const int ROWS, const int VECS, int masked, long kc, const float *a, const float *const *rows, long offset,
         const float *b, float *c, long ldc, long row_count, long row0, long cols, long col0, int accumulate,
         const float *bias) {
  __m256i mask[SUB_TILE_MAX_VECS];
  for (int j = 0; j < VECS; j++) mask[j] = tail_mask256(cols - col0 - 8 * j);
  __m256 acc[6][SUB_TILE_MAX_VECS];
  for (int i = 0; i < ROWS; i++) {
    long row = row0 + i;
    float init = (!accumulate && bias && row < row_count) ? bias[row] : 0.0f;
    for (int j = 0; j < VECS; j++) acc[i][j] = _mm256_set1_ps(init);
  }
  const float *ap = a + row0;
  for (long p = 0; p < kc; p++, ap += MR) {
    const float *bp = (rows ? rows[p] + offset : b + p * NR) + col0;
    __m256 bv[SUB_TILE_MAX_VECS];
#pragma clang loop unroll(full)
    for (int j = 0; j < VECS; j++) bv[j] = masked ? _mm256_maskload_ps(bp + 8 * j, mask[j]) : _mm256_loadu_ps(bp + 8 * j);
#pragma clang loop unroll(full)
    for (int i = 0; i < ROWS; i++) {
      __m256 av = _mm256_broadcast_ss(ap + i);
#pragma clang loop unroll(full)
      for (int j = 0; j < VECS; j++) acc[i][j] = _mm256_fmadd_ps(av, bv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < ROWS && row0 + i < row_count; i++) {
    float *ci = c + (row0 + i) * ldc + col0;
    for (int j = 0; j < VECS; j++) {
      __m256 v = acc[i][j];
      if (cols - col0 >= 8 * (j + 1)) {
        if (accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(ci + 8 * j));
        _mm256_storeu_ps(ci + 8 * j, v);
      } else if (cols - col0 > 8 * j) {
        if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(ci + 8 * j, mask[j]));
        _mm256_maskstore_ps(ci + 8 * j, mask[j], v);
      }
    }
  }
}

// One sub-tile, with B read through masks only where a row table ends within it.
#define C1D_SUB_TILE(ROWS, VECS, row0, col0)                                                                    \
  do {                                                                                                          \
    if (rows && cols - (col0) < 8 * (VECS))                                                                    \
      sub_tile(ROWS, VECS, 1, kc, a, rows, offset, b, c, ldc, row_count, row0, cols, col0, accumulate, bias); \
    else                                                                                                        \
      sub_tile(ROWS, VECS, 0, kc, a, rows, offset, b, c, ldc, row_count, row0, cols, col0, accumulate, bias); \
  } while (0)

__attribute__((target("avx2,fma"), always_inline)) static inline void
gemm_tile_body(long kc, const float *a, const float *const *rows, long offset, const float *b, float *c, long ldc,
               long row_count, long cols, int accumulate, const float *bias) {
  C1D_SUB_TILE(6, 2, 0, 0);
  if (cols > 16) C1D_SUB_TILE(6, 2, 0, 16);
  if (row_count > 6) C1D_SUB_TILE(2, 4, 6, 0);
}

__attribute__((target("avx2,fma"))) void c1d_f32_igemm_8x32__avx2(long kc, const float *a, const float *const *rows,
                                                                   long offset, float *c, long ldc, long row_count,
                                                                   long cols, int accumulate, const float *bias) {
  gemm_tile_body(kc, a, rows, offset, NULL, c, ldc, row_count, cols, accumulate, bias);
}

__attribute__((target("avx2,fma"))) void c1d_f32_gemm_8x32__avx2(long kc, const float *a, const float *b, float *c,
                                                                  long ldc, long row_count, long cols, int accumulate,
                                                                  const float *bias) {
  gemm_tile_body(kc, a, NULL, 0, b, c, ldc, row_count, cols, accumulate, bias);
}

// Whole panels with plain loads, ragged ones through masks: a masked load costs Zen 1 three times as much
// (64 rows of 4 KiB apart, 32 columns: 26 -> 9 ns a row; WaveNet spends 11% of its run packing).
__attribute__((target("avx2"), always_inline)) static inline void pack_row(const float *row, float *out, int masked,
                                                                            const __m256i mask[4]) {
  // The next column panel of the same rows comes next; its lines are far apart (one per input channel),
  // out of the hardware prefetcher's reach.
  _mm_prefetch((const char *)(row + NR), _MM_HINT_T0);
  _mm_prefetch((const char *)(row + NR + 16), _MM_HINT_T0);
  for (int j = 0; j < 4; j++)
    _mm256_storeu_ps(out + 8 * j, masked ? _mm256_maskload_ps(row + 8 * j, mask[j]) : _mm256_loadu_ps(row + 8 * j));
}

__attribute__((target("avx2"))) void c1d_f32_pack_rows_x32__avx2(long kc, const float *const *rows, long offset,
                                                                  long cols, float *panel) {
  const __m256i mask[4] = {tail_mask256(cols), tail_mask256(cols - 8), tail_mask256(cols - 16),
                           tail_mask256(cols - 24)};
  if (cols >= NR)
    for (long p = 0; p < kc; p++) pack_row(rows[p] + offset, panel + p * NR, 0, mask);
  else
    for (long p = 0; p < kc; p++) pack_row(rows[p] + offset, panel + p * NR, 1, mask);
}
#endif
