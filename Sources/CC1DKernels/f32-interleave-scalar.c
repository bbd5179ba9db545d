// The interleaving pass of a transposed convolution computed by phases: output frame r + v·stride is
// frame v of phase r; a NULL phase (no taps) writes `fill`.
#include "internal.h"

void c1d_f32_interleave_tail(const float *const *phases, long stride, long length, float fill, float *y, long m) {
  long full = length / stride;  // frames every phase has
  // Blocks of 64 frames: the block's outputs stay in L1 while each phase writes its lanes of them.
  for (long m0 = m; m0 < full; m0 += 64) {
    long end = m0 + 64 < full ? m0 + 64 : full;
    for (long r = 0; r < stride; r++) {
      const float *p = phases[r];
      float *out = y + r;
      if (p) {
        for (long v = m0; v < end; v++) out[v * stride] = p[v];
      } else {
        for (long v = m0; v < end; v++) out[v * stride] = fill;
      }
    }
  }
  // The last, partial frame: the phases below length − full·stride.
  for (long t = full * stride; t < length; t++) {
    const float *p = phases[t - full * stride];
    y[t] = p ? p[full] : fill;
  }
}

void c1d_f32_interleave__scalar(const float *const *phases, long stride, long length, float fill, float *y) {
  c1d_f32_interleave_tail(phases, stride, length, fill, y, 0);
}
