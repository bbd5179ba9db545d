// The stride-2 pairs' transformed weights (c1d_pack.h) in 8 × 8 blocks: per row of a whole panel, eight input
// channels' taps (24 contiguous floats) split into w0, w1 and w2 vectors by blends and one permute each, then
// each of w0 + w2, w0, w1 and w2 transposed so that eight panel columns are stored whole. The portable
// routine reads one float of each of eight rows per element and runs about 3 times slower.
#include "x86.h"

#include "c1d_pack.h"

#if C1D_X86
// Taps j of input channels i .. i + 7 from their 24 interleaved floats (a, b, d): tap j of channel i + k is
// float 3k + j. Each lane of a blend holds one wanted float (their positions in a, b and d differ), and the
// permute puts them in channel order.
__attribute__((target("avx2"))) static inline void split_taps(const float *taps, __m256 *w0, __m256 *w1, __m256 *w2) {
  const __m256 a = _mm256_loadu_ps(taps), b = _mm256_loadu_ps(taps + 8), d = _mm256_loadu_ps(taps + 16);
  *w0 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b, 0x92), d, 0x24),
                                 _mm256_setr_epi32(0, 3, 6, 1, 4, 7, 2, 5));
  *w1 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b, 0x24), d, 0x49),
                                 _mm256_setr_epi32(1, 4, 7, 2, 5, 0, 3, 6));
  *w2 = _mm256_permutevar8x32_ps(_mm256_blend_ps(_mm256_blend_ps(a, b, 0x49), d, 0x92),
                                 _mm256_setr_epi32(2, 5, 0, 3, 6, 1, 4, 7));
}

// Input channels [i, i + 8) of the whole panel whose rows start at `rows` (row k at rows + k · 3c).
__attribute__((target("avx2"))) static void pack_block(const float *rows, long c, long i, float *pp, float *p0,
                                                       float *p1, float *p2) {
  __m256 sum[8], first[8], middle[8], last[8];
  for (int k = 0; k < 8; k++) {
    split_taps(rows + (k * c + i) * 3, &first[k], &middle[k], &last[k]);
    sum[k] = _mm256_add_ps(first[k], last[k]);
  }
  transpose_8x8(sum);
  transpose_8x8(first);
  transpose_8x8(middle);
  transpose_8x8(last);
  for (int k = 0; k < 8; k++) {
    const long at = (i + k) * 8;
    _mm256_storeu_ps(pp + at, sum[k]);
    _mm256_storeu_ps(p0 + at, first[k]);
    _mm256_storeu_ps(p1 + at, middle[k]);
    _mm256_storeu_ps(p2 + at, last[k]);
  }
}

void c1d_f32_pack_stride2_weights__avx2(long out_channels, long in_channels, long mr, const float *w, float *p,
                                        float *w0, float *w1, float *w2) {
  const long c = in_channels, whole = out_channels / 8, blocks = c / 8 * 8;
  if (mr != 8 || whole == 0 || blocks == 0) {
    c1d_f32_pack_stride2_weights(out_channels, in_channels, mr, w, p, w0, w1, w2);
    return;
  }
  for (long panel = 0; panel < whole; panel++) {
    const float *rows = w + panel * 8 * c * 3;
    const long base = panel * c * 8;
    float *pp = p + base, *p0 = w0 + base, *p1 = w1 + base, *p2 = w2 + base;
    for (long i = 0; i < blocks; i += 8) pack_block(rows, c, i, pp, p0, p1, p2);
    for (long i = blocks; i < c; i++) {
      for (long row = 0; row < 8; row++) {
        const float *tap = rows + (row * c + i) * 3;
        pp[i * 8 + row] = tap[0] + tap[2];
        p0[i * 8 + row] = tap[0];
        p1[i * 8 + row] = tap[1];
        p2[i * 8 + row] = tap[2];
      }
    }
  }
  // A partial last panel as the portable routine writes it (zero rows included): it packs panel by panel,
  // so the weights from the first partial row on pack as an out_channels - 8 · whole channel conv.
  if (out_channels > whole * 8) {
    const long base = whole * c * 8;
    c1d_f32_pack_stride2_weights(out_channels - whole * 8, c, mr, w + whole * 8 * c * 3, p + base, w0 + base,
                                 w1 + base, w2 + base);
  }
}
#endif
