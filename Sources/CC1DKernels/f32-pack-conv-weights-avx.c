// Conv weights into 8-row GEMM panels (c1d_pack.h's layout), 8 × 8 blocks at a time: eight rows' runs of
// eight weights loaded side by side, transposed in registers, stored as eight whole panel columns. The
// scalar packing reads eight rows at once one float each, and runs 3-4 times slower.
#include "x86.h"

#include "c1d_pack.h"

#if C1D_X86
// Rows r[0..7] become columns: afterwards r[k] holds element k of every input row.
__attribute__((target("avx"))) static inline void transpose_8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

// Depth columns [0, depth - depth % 8) of one whole panel (8 rows of `depth` weights from `source`), each
// row times its scale when there is one.
__attribute__((target("avx"))) static void pack_panel_8x8(const float *source, long depth, const float *scale,
                                                          float *panel) {
  __m256 s[8];
  for (int k = 0; k < 8; k++) s[k] = _mm256_set1_ps(scale ? scale[k] : 1.0f);
  for (long q = 0; q + 8 <= depth; q += 8) {
    __m256 r[8];
    for (int k = 0; k < 8; k++) r[k] = _mm256_loadu_ps(source + k * depth + q);
    // Unscaled weights are copied, not multiplied by 1, which would quiet a signalling NaN's bits.
    if (scale) {
      for (int k = 0; k < 8; k++) r[k] = _mm256_mul_ps(r[k], s[k]);
    }
    transpose_8x8(r);
    for (int k = 0; k < 8; k++) _mm256_storeu_ps(panel + (q + k) * 8, r[k]);
  }
}

void c1d_f32_pack_conv_weights__avx(long groups, long group_out, long depth, long mr, const float *w, const float *scale,
                                    float *packed) {
  if (mr != 8) {
    c1d_f32_pack_conv_weights(groups, group_out, depth, mr, w, scale, packed);
    return;
  }
  const long panels = (group_out + 7) / 8, whole = group_out / 8, done = depth - depth % 8;
  for (long g = 0; g < groups; g++) {
    for (long p = 0; p < panels; p++) {
      const float *source = w + (g * group_out + p * 8) * depth;
      float *panel = packed + (g * panels + p) * depth * 8;
      const long rows = p < whole ? 8 : group_out - p * 8;
      // A partial panel and the depth tail go as the portable code writes them (zero rows included).
      const float *row_scale = scale ? scale + g * group_out + p * 8 : 0;
      const long from = rows == 8 ? done : 0;
      if (rows == 8) pack_panel_8x8(source, depth, row_scale, panel);
      for (long q = from; q < depth; q++) {
        for (long r = 0; r < 8; r++) {
          panel[q * 8 + r] = r >= rows ? 0.0f : row_scale ? source[r * depth + q] * row_scale[r] : source[r * depth + q];
        }
      }
    }
  }
}
#endif
