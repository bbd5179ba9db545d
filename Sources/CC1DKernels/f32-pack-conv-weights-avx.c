// Conv weights into 8-row GEMM panels (c1d_pack.h's layout), 8 × 8 blocks at a time: eight rows' runs of
// eight weights loaded side by side, transposed in registers, stored as eight whole panel columns. The
// scalar packing reads eight rows at once one float each, and runs 3-4 times slower.
#include "x86.h"

#include "c1d_pack.h"

#if C1D_X86
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
