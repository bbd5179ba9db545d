// The transformed weights of kernel-3 convs by output pairs (c1d_pack.h), packed at load in one pass over
// the (out, in, 3) tensor: every output panel is written front to back, its rows' taps read side by side.
#include "c1d_pack.h"

static inline long panel_rows(long out_channels, long first, long mr) {
  return out_channels - first < mr ? out_channels - first : mr;
}

void c1d_f32_pack_winograd23_weights(long out_channels, long in_channels, long mr, const float *w, float *g0, float *g1,
                                     float *g2, float *g3) {
  const long c = in_channels, panels = (out_channels + mr - 1) / mr;
  for (long p = 0; p < panels; p++) {
    const long first = p * mr, rows = panel_rows(out_channels, first, mr);
    for (long i = 0; i < c; i++) {
      const long at = (p * c + i) * mr;
      long r = 0;
      for (; r < rows; r++) {
        const float *tap = w + ((first + r) * c + i) * 3;
        const double w0 = tap[0], w1 = tap[1], w2 = tap[2];
        g0[at + r] = tap[0];
        // Summed in double: one rounding per transformed weight (exact but for it, as the halving is).
        g1[at + r] = (float)((w0 + w1 + w2) / 2);
        g2[at + r] = (float)((w0 - w1 + w2) / 2);
        g3[at + r] = tap[2];
      }
      for (; r < mr; r++) g0[at + r] = g1[at + r] = g2[at + r] = g3[at + r] = 0.0f;
    }
  }
}

void c1d_f32_pack_stride2_weights(long out_channels, long in_channels, long mr, const float *w, float *p, float *w0,
                                  float *w1, float *w2) {
  const long c = in_channels, panels = (out_channels + mr - 1) / mr;
  for (long panel = 0; panel < panels; panel++) {
    const long first = panel * mr, rows = panel_rows(out_channels, first, mr);
    const long base = panel * c * mr;
    for (long i = 0; i < c; i++) {
      const long at = base + i * mr;
      long row = 0;
      for (; row < rows; row++) {
        const float *tap = w + ((first + row) * c + i) * 3;
        p[at + row] = tap[0] + tap[2];
        w0[at + row] = tap[0];
        w1[at + row] = tap[1];
        w2[at + row] = tap[2];
      }
      for (; row < mr; row++) p[at + row] = w0[at + row] = w1[at + row] = w2[at + row] = 0.0f;
    }
  }
}
