// Conv weights packed at load into the GEMM micro-kernel's panels of `mr` output channels (c1d_pack.h).
#include "c1d_pack.h"

void c1d_f32_pack_conv_weights(long groups, long group_out, long depth, long mr, const float *w, const float *scale,
                               float *packed) {
  const long panels = (group_out + mr - 1) / mr;
  for (long g = 0; g < groups; g++) {
    for (long p = 0; p < panels; p++) {
      const long first = p * mr;
      const long rows = group_out - first < mr ? group_out - first : mr;
      const float *source = w + (g * group_out + first) * depth;
      const float *row_scale = scale ? scale + g * group_out + first : 0;
      float *panel = packed + (g * panels + p) * depth * mr;
      // Destination order: the panel is written front to back, its `rows` sources read side by side.
      for (long q = 0; q < depth; q++) {
        float *column = panel + q * mr;
        long r = 0;
        if (row_scale) {
          for (; r < rows; r++) column[r] = source[r * depth + q] * row_scale[r];
        } else {
          for (; r < rows; r++) column[r] = source[r * depth + q];
        }
        for (; r < mr; r++) column[r] = 0.0f;
      }
    }
  }
}
